package libcamera

import (
	"runtime"
	"testing"
)

// A Plane.Data kept after its buffer is gone reads zeros and takes writes,
// whatever took the buffer away; it never faults (which would kill the
// test binary, not fail a test). Each case first checks that the view held
// a real frame (or a mark written through it), so that reading zeros
// afterwards shows the pages were replaced, not that nothing was there.

// sumOf is the sum of a view's bytes.
func sumOf(b []byte) int {
	n := 0
	for _, v := range b {
		n += int(v)
	}
	return n
}

// checkZeroed fails unless every byte of every view is zero, then writes
// through each view (which must not fault either).
func checkZeroed(t *testing.T, views [][]byte) {
	t.Helper()
	runtime.GC() // run any cleanup that would free what holds the views
	for i, v := range views {
		if n := sumOf(v); n != 0 {
			t.Errorf("stale view %d (%d bytes) sums to %d, want zeros", i, len(v), n)
		}
		v[0], v[len(v)-1] = 1, 2
		if v[0] != 1 || v[len(v)-1] != 2 {
			t.Errorf("stale view %d does not keep what is written to it", i)
		}
	}
}

// planeViews returns the Data of every plane of b.
func planeViews(b *FrameBuffer) [][]byte {
	var out [][]byte
	for _, p := range b.Planes() {
		out = append(out, p.Data)
	}
	return out
}

// frameViews runs r's camera until a frame completes and returns the views
// of its buffer, checking that the Y plane holds the test pattern.
func frameViews(t *testing.T, r *rig) [][]byte {
	t.Helper()
	r.start(t)
	req := r.next(t)
	if req.Status() != RequestComplete {
		t.Fatalf("request status %v", req.Status())
	}
	views := planeViews(req.Buffer(r.stream))
	if len(views) == 0 || sumOf(views[0]) == 0 {
		t.Fatalf("the frame's Y plane is empty (%d planes)", len(views))
	}
	return views
}

func (r *rig) freeRequests(t *testing.T) {
	t.Helper()
	for _, req := range r.requests {
		if err := req.Free(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStaleViewLowLevel(t *testing.T) {
	warmUp(t)
	done := checkLeaks(t)
	t.Run("NeverQueued", func(t *testing.T) {
		// A buffer that was never in a request, held past Manager.Close.
		m := newManager(t)
		cam := getCamera(t, m, barsID)
		if err := cam.Acquire(); err != nil {
			t.Fatal(err)
		}
		cfg, err := cam.GenerateConfiguration(RoleViewfinder)
		if err != nil {
			t.Fatal(err)
		}
		cfg.At(0).Size = Size{640, 480}
		if _, _, err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := cam.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		s := cam.Streams()[0]
		alloc := NewFrameBufferAllocator(cam, AllocatorMemfd)
		if _, err := alloc.Allocate(s); err != nil {
			t.Fatal(err)
		}
		views := planeViews(alloc.Buffers(s)[0])
		for _, v := range views {
			v[0], v[len(v)-1] = 0x5a, 0xa5 // into the buffer's own memory
		}
		m.Close()
		if n := LiveMappings(); n != 0 {
			t.Errorf("%d mappings live after Manager.Close, want 0", n)
		}
		checkZeroed(t, views)
	})
	t.Run("ManagerClose", func(t *testing.T) {
		r := newRig(t, barsID, Size{640, 480}, AllocatorMemfd)
		views := frameViews(t, r)
		r.stopAndDrain(t)
		r.freeRequests(t)
		r.m.Close()
		checkZeroed(t, views)
	})
	t.Run("ManagerCloseRunning", func(t *testing.T) {
		// Closed while running; the requests are freed after Close.
		r := newRig(t, barsID, Size{640, 480}, AllocatorMemfd)
		views := frameViews(t, r)
		r.m.Close()
		r.freeRequests(t)
		checkZeroed(t, views)
	})
	t.Run("AllocatorFree", func(t *testing.T) {
		r := newRig(t, linesID, Size{1280, 720}, AllocatorMemfd)
		views := frameViews(t, r)
		r.stopAndDrain(t)
		r.freeRequests(t)
		if err := r.alloc.Free(r.stream); err != nil {
			t.Fatal(err)
		}
		checkZeroed(t, views)
		r.m.Close()
	})
	t.Run("Reconfigure", func(t *testing.T) {
		// Configure drops the old streams' buffers; the new, larger ones do
		// not fit their address ranges, so the views still read zeros.
		r := newRig(t, barsID, Size{640, 480}, AllocatorMemfd)
		views := frameViews(t, r)
		r.stopAndDrain(t)
		r.freeRequests(t)
		cfg, err := r.cam.GenerateConfiguration(RoleViewfinder)
		if err != nil {
			t.Fatal(err)
		}
		cfg.At(0).Size = Size{1920, 1080}
		if _, _, err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := r.cam.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		checkZeroed(t, views)
		r.m.Close()
	})
	t.Run("RequestGarbage", func(t *testing.T) {
		// A request dropped without Free after Close: its cleanup lets go of
		// the mapping while the view is still in use.
		r := newRig(t, barsID, Size{640, 480}, AllocatorMemfd)
		views := frameViews(t, r)
		r.m.Close()
		r.requests = nil
		for range 10 {
			runtime.GC()
			if LiveMappings() == 0 {
				break
			}
		}
		if n := LiveMappings(); n != 0 {
			t.Fatalf("%d mappings live after the requests became garbage", n)
		}
		checkZeroed(t, views)
	})
	done()
}

// Spans are reused: cycles of the same configuration reserve no more
// address space than the first, and nothing else grows.
func TestStaleViewSpansReused(t *testing.T) {
	warmUp(t)
	done := checkLeaks(t)
	var first AddressSpace
	var kept [][]byte // a stale view from every cycle, read at the end
	for i := range 30 {
		r := newRig(t, barsID, Size{1920, 1080}, AllocatorMemfd)
		views := frameViews(t, r)
		kept = append(kept, views[0])
		r.stopAndDrain(t)
		r.freeRequests(t)
		r.m.Close()
		as := ReservedAddressSpace()
		if i == 0 {
			first = as
			t.Logf("one 1920x1080 configuration: %+v", as)
			if as.Free != as.Spans || as.Spans < len(r.requests) {
				t.Fatalf("after Close: %+v, want every span of the %d buffers free", as, len(r.requests))
			}
		} else if as != first {
			t.Fatalf("cycle %d: %+v, first cycle %+v", i, as, first)
		}
	}
	for i, v := range kept {
		if n := sumOf(v); n != 0 {
			t.Errorf("stale view of cycle %d sums to %d, want zeros", i, n)
		}
	}
	done()
}
