package picam

// What one configuration allocates (a streamSet: streams, buffers, one
// slot per libcamera request) and the reference counting that returns a
// slot to the camera once nobody holds its frame.

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/picamgo/picamgo/libcamera"
)

// streamSet is what one configuration built: streams, buffers and one slot
// per request. A completed request leads to its slot by itself
// ([libcamera.Request.Owner]); slots lists them for the set to free and
// for stall reports.
type streamSet struct {
	c       *Camera
	gen     uint64
	order   []StreamName
	streams [3]*libcamera.Stream // by StreamName
	configs [3]StreamConfig      // as applied, by StreamName
	alloc   *libcamera.FrameBufferAllocator
	slots   []*slot
	// asked and applied are the configuration's orientation as asked for
	// and as libcamera applied it, for EXIF (see exifOrientation).
	asked, applied Orientation
	// colorSpaces are the streams' colour spaces as libcamera applied them,
	// which each handle copies (see newCompleted); hasCS says which exist.
	colorSpaces [3]ColorSpace
	hasCS       [3]bool
}

// slot is one libcamera request with its buffers, reused for every frame
// it carries. Its reference count says who holds the frame in it: the
// capture engine and each unreleased CompletedRequest. The count reaches
// zero exactly once per frame, and that moment returns the slot to the
// camera.
type slot struct {
	set  *streamSet
	req  *libcamera.Request
	refs atomic.Int32
	// ctrlID is the newest SetControls id queued with this request or an
	// earlier one; written by the engine before queueing.
	ctrlID ControlsID
	// site is the newest handle given out for the current frame, for stall
	// diagnostics.
	site atomic.Pointer[handle]
	// frames counts the frames the slot carried to the end: it goes up
	// when the last holder lets go, so that the checked mode can tell a
	// view of this frame from one of an earlier frame (see lease).
	frames atomic.Uint64

	mdMu sync.Mutex
	md   *libcamera.ControlList

	// nextReleased links the slots released to the engine and not yet
	// queued again (see requeueNow).
	nextReleased *slot

	// retired is set, under Camera.rmu, when the slot's configuration was
	// dropped while someone held it (see dropSet).
	retired bool
	// planes are the views of the slot's buffers by stream, made once, so
	// that [CompletedRequest.Frame] costs no allocation. Never written
	// after the set is built: views read after release race with nothing.
	planes [3][][]byte
}

func (c *Camera) newStreamSet(lcfg *libcamera.CameraConfiguration, order []StreamName) (set *streamSet, err error) {
	set = &streamSet{c: c, order: order, alloc: libcamera.NewFrameBufferAllocator(c.lc, c.opts.Allocator)}
	lstreams := c.lc.Streams()
	defer func() {
		if err != nil {
			for _, s := range set.slots {
				s.req.Free()
			}
			set.freeBuffers()
		}
	}()
	n := -1
	for i, s := range order {
		ls := lstreams[i]
		set.streams[s] = ls
		lsc := lcfg.At(i)
		set.configs[s] = StreamConfig{Size: lsc.Size, Format: lsc.PixelFormat, Stride: int(lsc.Stride), FrameSize: int(lsc.FrameSize)}
		if cs := ls.Configuration().ColorSpace; cs != nil {
			set.colorSpaces[s], set.hasCS[s] = *cs, true
		}
		got, err := set.alloc.Allocate(ls)
		if err != nil {
			return nil, fmt.Errorf("picam: configure %s: allocate %v buffers: %w", c.id, s, err)
		}
		if n < 0 || got < n {
			n = got
		}
	}
	if n <= 0 {
		return nil, fmt.Errorf("picam: configure %s: no buffers allocated: %w", c.id, ErrUnsupported)
	}
	for i := range n {
		req, err := c.lc.CreateRequest(uint64(i))
		if err != nil {
			return nil, fmt.Errorf("picam: configure %s: %w", c.id, err)
		}
		sl := &slot{set: set, req: req}
		req.SetOwner(sl) // the request leads back to its slot: no lookup
		set.slots = append(set.slots, sl)
		for _, s := range order {
			ls := set.streams[s]
			b := set.alloc.Buffers(ls)[i]
			if err := req.AddBuffer(ls, b); err != nil {
				return nil, fmt.Errorf("picam: configure %s: %w", c.id, err)
			}
			planes := b.Planes()
			sl.planes[s] = make([][]byte, len(planes))
			for j, p := range planes {
				sl.planes[s][j] = p.Data
			}
		}
	}
	c.rmu.Lock()
	set.gen = c.gen
	c.free = make(chan *slot, len(set.slots))
	for _, s := range set.slots {
		c.free <- s
	}
	c.rmu.Unlock()
	return set, nil
}

func (set *streamSet) freeBuffers() {
	for _, s := range set.order {
		if ls := set.streams[s]; ls != nil { // nil if allocation failed before it
			set.alloc.Free(ls)
		}
	}
}

// slotOf returns the slot of a completed request of this set, or nil.
func (set *streamSet) slotOf(r *libcamera.Request) *slot {
	if s, ok := r.Owner().(*slot); ok && set != nil && s.set == set {
		return s
	}
	return nil
}

// held counts the slots someone holds.
func (set *streamSet) held() int {
	n := 0
	for _, s := range set.slots {
		if s.refs.Load() > 0 {
			n++
		}
	}
	return n
}

// heldSites lists where the held slots' frames were captured, skipping except.
func (set *streamSet) heldSites(except ...*slot) []string {
	var out []string
	for _, s := range set.slots {
		if s.refs.Load() <= 0 || (len(except) > 0 && except[0] == s) {
			continue
		}
		if h := s.site.Load(); h != nil {
			out = append(out, h.callSite())
		} else {
			out = append(out, "(unknown)")
		}
	}
	return out
}

func (s *slot) ref() { s.refs.Add(1) }

func (s *slot) unref() {
	switch n := s.refs.Add(-1); {
	case n == 0:
		s.frames.Add(1)
		s.set.c.recycle(s)
	case n < 0:
		panic("picam: request reference count below zero")
	}
}

// recycle gives a slot nobody holds back to the camera: queued again at
// once by the engine of its configuration (see requeueNow), or to the
// engine's free list, or, if the camera was closed or reconfigured since,
// to libcamera to be freed (which unmaps its buffers once nothing else
// holds them).
func (c *Camera) recycle(s *slot) {
	s.site.Store(nil)
	s.mdMu.Lock()
	s.md = nil
	s.mdMu.Unlock()
	if c.requeueNow(s) {
		return
	}
	c.recycleIdle(s)
}

// recycleIdle gives s to the camera's free list, which the next Start (or
// the running engine) queues, or frees it.
func (c *Camera) recycleIdle(s *slot) {
	c.rmu.Lock()
	if s.set.gen != c.gen {
		// Reconfigured since: the request is freed already, or retired
		// (Free is idempotent), and its descriptors may be gone.
		if s.retired {
			s.retired = false
			c.retiredHeld--
		}
		c.rmu.Unlock()
		s.req.Free()
		return
	}
	if c.rclosed || c.free == nil {
		c.rmu.Unlock()
		s.req.Free()
		return
	}
	c.free <- s // never blocks: the list has a place for every slot
	c.rmu.Unlock()
}

// metadata decodes the request's metadata once per frame.
func (s *slot) metadata() (*libcamera.ControlList, error) {
	s.mdMu.Lock()
	defer s.mdMu.Unlock()
	if s.md != nil {
		return s.md, nil
	}
	md, err := s.req.Metadata()
	if err != nil {
		return nil, err
	}
	s.md = md
	return md, nil
}

// exposureStart is when the frame's exposure began, in CLOCK_MONOTONIC ns:
// SensorTimestamp (the start of readout) minus ExposureTime where the
// camera reports it, as Picamera2's flush.
func (s *slot) exposureStart() int64 {
	ts := int64(s.req.SensorTimestamp())
	if md, err := s.metadata(); err == nil {
		if v, ok := md.Get("ExposureTime"); ok {
			if us, ok := v.Int64(); ok {
				ts -= us * 1000
			}
		}
	}
	return ts
}

// frameOK tells frames to hand out from cancelled, failed and startup ones.
func (s *slot) frameOK() bool {
	if s.req.Status() != libcamera.RequestComplete {
		return false
	}
	for _, st := range s.set.order {
		if b := s.req.Buffer(s.set.streams[st]); b != nil {
			if md := b.Metadata(); !md.Derived && md.Status != libcamera.FrameSuccess {
				return false
			}
		}
	}
	return true
}
