package libcamera

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

func TestCapture1000Frames(t *testing.T) {
	for _, tc := range []struct {
		id   string
		size Size
	}{{barsID, Size{640, 480}}, {linesID, Size{320, 240}}} {
		t.Run(tc.id, func(t *testing.T) {
			r := newRig(t, tc.id, tc.size, AllocatorAuto)
			if k := r.alloc.Kind(r.stream); k == AllocatorAuto {
				t.Fatalf("allocator kind %v after Allocate", k)
			}
			r.start(t)
			const frames = 1000
			var lastSeq, lastBufSeq uint32
			var lastTS, lastBufTS uint64
			cookies := map[uint64]bool{}
			for i := range frames {
				req := r.next(t)
				if req.Status() != RequestComplete {
					t.Fatalf("frame %d: status %v", i, req.Status())
				}
				if i > 0 && req.Sequence() != lastSeq+1 {
					t.Fatalf("frame %d: request sequence %d after %d", i, req.Sequence(), lastSeq)
				}
				ts := req.SensorTimestamp()
				if ts == 0 || (i > 0 && ts <= lastTS) {
					t.Fatalf("frame %d: SensorTimestamp %d after %d", i, ts, lastTS)
				}
				md, err := req.Metadata()
				if err != nil {
					t.Fatal(err)
				}
				if v, ok := md.Get("SensorTimestamp"); !ok {
					t.Fatalf("frame %d: metadata %v has no SensorTimestamp", i, md)
				} else if n, _ := v.Int64(); uint64(n) != ts {
					t.Fatalf("frame %d: metadata SensorTimestamp %d, SensorTimestamp() %d", i, n, ts)
				}
				b := req.Buffer(r.stream)
				fm := b.Metadata()
				if fm.Status != FrameSuccess {
					t.Fatalf("frame %d: buffer status %v", i, fm.Status)
				}
				if i > 0 && (fm.Sequence != lastBufSeq+1 || fm.Timestamp <= lastBufTS) {
					t.Fatalf("frame %d: buffer sequence %d ts %d after %d, %d", i, fm.Sequence, fm.Timestamp, lastBufSeq, lastBufTS)
				}
				planes := b.Planes()
				if len(planes) < 2 || fm.NumPlanes != len(planes) {
					t.Fatalf("frame %d: %d planes, metadata says %d", i, len(planes), fm.NumPlanes)
				}
				y := int(tc.size.Width * tc.size.Height)
				if int(fm.BytesUsed[0]) != y || int(fm.BytesUsed[1]) != y/2 || len(planes[0].Data) != y || len(planes[1].Data) != y/2 {
					t.Fatalf("frame %d: bytes used %v, plane sizes %d %d; want %d %d", i, fm.BytesUsed, len(planes[0].Data), len(planes[1].Data), y, y/2)
				}
				checkPattern(t, tc.id, tc.size, b, i)
				cookies[req.Cookie()] = true
				lastSeq, lastTS, lastBufSeq, lastBufTS = req.Sequence(), ts, fm.Sequence, fm.Timestamp
				r.requeue(t, req)
			}
			if len(cookies) != len(r.requests) {
				t.Errorf("cookies seen %v, want one per request (%d)", cookies, len(r.requests))
			}
			back := r.stopAndDrain(t)
			if len(back) != len(r.requests) {
				t.Errorf("%d requests came back at stop, want %d", len(back), len(r.requests))
			}
			if n := r.cam.LostCompletions(); n != 0 {
				t.Errorf("%d completions lost", n)
			}
		})
	}
}

func TestZeroCopy(t *testing.T) {
	r := newRig(t, barsID, Size{640, 480}, AllocatorMemfd)
	maps := readMaps(t)
	bases := map[uintptr]bool{}
	for _, b := range r.alloc.Buffers(r.stream) {
		planes := b.Planes()
		y := unsafe.Pointer(unsafe.SliceData(planes[0].Data))
		uv := unsafe.Pointer(unsafe.SliceData(planes[1].Data))
		// Both planes are views of one mapping at their offsets.
		if uintptr(uv)-uintptr(y) != uintptr(planes[1].Offset) || planes[0].Offset != 0 {
			t.Fatalf("buffer %d: planes at %p and %p, offsets %d %d", b.Index(), y, uv, planes[0].Offset, planes[1].Offset)
		}
		// And that mapping is the buffer's memfd, as the kernel sees it.
		m, ok := maps.find(uintptr(y))
		if !ok || !strings.Contains(m.path, "memfd:picamgo-frame") || m.offset != 0 || m.start != uintptr(y) {
			t.Fatalf("buffer %d: plane 0 at %p is in mapping %+v (found %v), want the start of a picamgo memfd", b.Index(), y, m, ok)
		}
		bases[uintptr(y)] = true
	}
	if len(bases) != len(r.requests) {
		t.Fatalf("%d distinct mappings for %d buffers", len(bases), len(r.requests))
	}
	r.start(t)
	// Frames arrive in the same memory: the request's plane is the mapping.
	for i := range 20 {
		req := r.next(t)
		p := req.Buffer(r.stream).Planes()[0].Data
		if !bases[uintptr(unsafe.Pointer(unsafe.SliceData(p)))] {
			t.Fatalf("frame %d: plane data at %p is not one of the mapped buffers", i, unsafe.SliceData(p))
		}
		r.requeue(t, req)
	}
	r.stopAndDrain(t)
}

type mapsEntry struct {
	start, end uintptr
	offset     uint64
	path       string
}

type procMaps []mapsEntry

func (pm procMaps) find(addr uintptr) (mapsEntry, bool) {
	for _, m := range pm {
		if addr >= m.start && addr < m.end {
			return m, true
		}
	}
	return mapsEntry{}, false
}

func readMaps(t *testing.T) procMaps {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out procMaps
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m mapsEntry
		var perms, dev string
		var inode uint64
		line := sc.Text()
		fmt.Sscanf(line, "%x-%x %s %x %s %d", &m.start, &m.end, &perms, &m.offset, &dev, &inode)
		if i := strings.Index(line, "/"); i >= 0 {
			m.path = line[i:]
		}
		out = append(out, m)
	}
	return out
}

func TestStartStopStart(t *testing.T) {
	r := newRig(t, barsID, Size{64, 48}, AllocatorMemfd)
	for round := range 3 {
		r.start(t)
		for i := range 10 {
			req := r.next(t)
			if req.Status() != RequestComplete {
				t.Fatalf("round %d frame %d: %v", round, i, req.Status())
			}
			// libcamera counts sequences from 0 at every start.
			if i == 0 && req.Sequence() != 0 {
				t.Errorf("round %d: first sequence %d, want 0", round, req.Sequence())
			}
			r.requeue(t, req)
		}
		back := r.stopAndDrain(t)
		if len(back) != len(r.requests) {
			t.Fatalf("round %d: %d requests back after stop, want %d", round, len(back), len(r.requests))
		}
		for _, req := range back {
			if err := req.Reuse(ReuseBuffers); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := r.cam.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := r.cam.QueueRequest(r.requests[0]); !errors.Is(err, ErrState) {
		t.Errorf("QueueRequest after Stop = %v, want ErrState", err)
	}
}

func TestStopWithRequestsInFlight(t *testing.T) {
	r := newRig(t, barsID, Size{1920, 1080}, AllocatorMemfd)
	r.start(t)
	// Stop at once: every queued request must come back, cancelled
	// (libcamera 0.6 and later) or completed (0.4 and 0.5 complete
	// synchronously), and none twice.
	back := r.stopAndDrain(t)
	if len(back) != len(r.requests) {
		t.Fatalf("%d requests back, want %d", len(back), len(r.requests))
	}
	seen := map[*Request]bool{}
	for _, req := range back {
		if seen[req] {
			t.Fatal("request delivered twice")
		}
		seen[req] = true
		if st := req.Status(); st != RequestCancelled && st != RequestComplete {
			t.Errorf("status %v", st)
		}
		if st := req.Buffer(r.stream).Metadata().Status; req.Status() == RequestCancelled && st != FrameCancelled {
			t.Errorf("cancelled request's buffer status %v", st)
		}
	}
	if r.cam.LostCompletions() != 0 {
		t.Errorf("%d completions lost", r.cam.LostCompletions())
	}
	// A stopped camera's requests can be freed, and queued ones could not.
	for _, req := range back {
		if err := req.Free(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestQueuedRequestCannotBeFreed(t *testing.T) {
	r := newRig(t, barsID, Size{640, 480}, AllocatorMemfd)
	if err := r.cam.Start(nil); err != nil {
		t.Fatal(err)
	}
	// Find a moment when a request is queued: queue one and free it before
	// it completes. The unpaced virtual camera may complete it first (often
	// on 0.4 and 0.5, which complete as soon as libcamera's thread takes the
	// request); then the free rightly succeeds, the freed request still
	// comes back once, and a new request on the same buffer tries again.
	req := r.requests[0]
	buf := req.Buffer(r.stream)
	refused, attempt := false, 0
	for ; attempt < 200 && !refused; attempt++ {
		if err := r.cam.QueueRequest(req); err != nil {
			t.Fatal(err)
		}
		err := req.Free()
		switch {
		case errors.Is(err, ErrBusy):
			refused = true
		case err != nil:
			t.Fatalf("Free of a queued request = %v, want ErrBusy (or nil once completed)", err)
		}
		if got := r.next(t); got != req {
			t.Fatal("wrong request completed")
		}
		if !refused { // completed first, and freed
			if req, err = r.cam.CreateRequest(uint64(200 + attempt)); err != nil {
				t.Fatal(err)
			}
			if err := req.AddBuffer(r.stream, buf); err != nil {
				t.Fatalf("the freed request's buffer in a new request: %v", err)
			}
		}
	}
	if !refused {
		t.Fatal("Free of a queued request never refused in 200 attempts")
	}
	t.Logf("refused at attempt %d; the request had completed before the earlier ones", attempt)
	r.stopAndDrain(t)
}

func TestControlsChecked(t *testing.T) {
	r := newRig(t, barsID, Size{640, 480}, AllocatorMemfd)
	req := r.requests[0]
	ctrls := req.Controls()
	for _, tc := range []struct {
		name string
		val  any
	}{
		{"FrameDurationLimits", 1.5},                     // float for int64[2]
		{"FrameDurationLimits", int64(33333)},            // scalar for an array
		{"FrameDurationLimits", []int64{1, 2, 3}},        // wrong length
		{"FrameDurationLimits", []float32{33333, 33333}}, // wrong element type
		{"FaceDetectMode", true},                         // bool for int32
		{"FaceDetectMode", int64(1) << 40},               // does not fit int32
		{"ExposureTime", int32(1000)},                    // not a control of this camera
		{"NoSuchControl", 1},                             // not a control at all
	} {
		if err := ctrls.Set(tc.name, tc.val); !errors.Is(err, ErrInvalid) {
			t.Errorf("Set(%s, %T %v) = %v, want ErrInvalid", tc.name, tc.val, tc.val, err)
		}
	}
	if ctrls.Len() != 0 {
		t.Fatalf("rejected values were kept: %v", ctrls)
	}
	if err := ctrls.Set("FrameDurationLimits", []int64{33333, 33333}); err != nil {
		t.Fatal(err)
	}
	if err := ctrls.Set("FaceDetectMode", 0); err != nil { // untyped constant: int fits int32
		t.Fatal(err)
	}
	// Start controls are checked the same way.
	bad := r.cam.Controls().NewControlList()
	bad.entries = append(bad.entries, controlEntry{id: mustInfo(t, r.cam, "FrameDurationLimits").ID, value: mustValue(t, float32(1))})
	if err := r.cam.Start(bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Start with a float FrameDurationLimits = %v, want ErrInvalid from the shim", err)
	}
	start := r.cam.Controls().NewControlList()
	if err := start.Set("FrameDurationLimits", []int64{33333, 33333}); err != nil {
		t.Fatal(err)
	}
	if err := r.cam.Start(start); err != nil {
		t.Fatal(err)
	}
	if err := r.cam.QueueRequest(req); err != nil {
		t.Fatalf("queue with valid controls: %v", err)
	}
	got := r.next(t)
	if got.Status() != RequestComplete {
		t.Fatalf("status %v", got.Status())
	}
	if got.Controls().Len() != 2 {
		t.Errorf("controls before reuse: %v", got.Controls())
	}
	got.Reuse(ReuseBuffers)
	if got.Controls().Len() != 0 {
		t.Errorf("Reuse kept controls %v", got.Controls())
	}
	// The shim checks too: a value that bypassed the Go checks is refused
	// with an error, not a libcamera assertion.
	got.controls.entries = append(got.controls.entries, controlEntry{id: mustInfo(t, r.cam, "FaceDetectMode").ID, value: mustValue(t, "text")})
	if err := r.cam.QueueRequest(got); !errors.Is(err, ErrInvalid) {
		t.Fatalf("queue with a string FaceDetectMode = %v, want ErrInvalid", err)
	}
	r.stopAndDrain(t)
}

func mustInfo(t *testing.T, c *Camera, name string) *ControlInfo {
	t.Helper()
	info, ok := c.Controls().Find(name)
	if !ok {
		t.Fatalf("camera has no %s", name)
	}
	return info
}

func mustValue(t *testing.T, x any) ControlValue {
	t.Helper()
	v, err := NewControlValue(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAllocators(t *testing.T) {
	m := newManager(t)
	c := getCamera(t, m, barsID)
	if err := c.Acquire(); err != nil {
		t.Fatal(err)
	}
	cfg, _ := c.GenerateConfiguration(RoleViewfinder)
	cfg.At(0).Size = Size{64, 48}
	cfg.Validate()
	if err := c.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	s := c.Streams()[0]
	_, heapErr := os.Stat("/dev/dma_heap")
	if heapErr == nil {
		t.Log("this machine has /dev/dma_heap; the no-device cases are not checked")
	} else {
		if _, err := NewFrameBufferAllocator(c, AllocatorDmaHeap).Allocate(s); !errors.Is(err, ErrNoDevice) {
			t.Errorf("dma-heap allocator without /dev/dma_heap = %v, want ErrNoDevice", err)
		}
		// libcamera's own allocator needs a dma-buf provider for the virtual camera.
		if _, err := NewFrameBufferAllocator(c, AllocatorLibcamera).Allocate(s); err == nil {
			t.Errorf("libcamera allocator succeeded without a dma-buf provider")
		}
	}
	a := NewFrameBufferAllocator(c, AllocatorAuto)
	n, err := a.Allocate(s)
	if err != nil || n != 4 {
		t.Fatalf("auto allocator: %d, %v", n, err)
	}
	if heapErr != nil && a.Kind(s) != AllocatorMemfd {
		t.Errorf("auto picked %v, want memfd here", a.Kind(s))
	}
	if _, err := a.Allocate(s); !errors.Is(err, ErrBusy) {
		t.Errorf("second Allocate = %v, want ErrBusy", err)
	}
	req, _ := c.CreateRequest(0)
	buf := a.Buffers(s)[0]
	if err := req.AddBuffer(s, buf); err != nil {
		t.Fatal(err)
	}
	if err := req.AddBuffer(s, a.Buffers(s)[1]); !errors.Is(err, ErrBusy) {
		t.Errorf("second buffer for one stream = %v, want ErrBusy", err)
	}
	other, _ := c.CreateRequest(1)
	if err := other.AddBuffer(s, buf); !errors.Is(err, ErrBusy) {
		t.Errorf("a buffer in two requests = %v, want ErrBusy", err)
	}
	if err := c.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.QueueRequest(other); !errors.Is(err, ErrInvalid) {
		t.Errorf("queue a request without buffers = %v, want ErrInvalid", err)
	}
	c.Stop()
	if err := a.Free(s); !errors.Is(err, ErrBusy) {
		t.Errorf("Free while a request holds a buffer = %v, want ErrBusy", err)
	}
	req.Free()
	other.Free()
	if err := a.Free(s); err != nil {
		t.Errorf("Free: %v", err)
	}
	if len(a.Buffers(s)) != 0 {
		t.Error("buffers left after Free")
	}
}
