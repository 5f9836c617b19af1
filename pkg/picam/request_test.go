package picam

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestReleaseSemantics(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true})
	r := capture(t, c)
	r2 := r.Acquire()
	waitHeld(t, c, 1)
	if err := r.Release(); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(); !errors.Is(err, ErrReleased) {
		t.Errorf("second Release = %v, want ErrReleased", err)
	}
	if _, err := r.Frame(Main); !errors.Is(err, ErrReleased) {
		t.Errorf("Frame after Release = %v, want ErrReleased", err)
	}
	if !r.Released() || r2.Released() {
		t.Error("Released()")
	}
	// The second handle keeps the frame: its buffer is not requeued.
	seq := r2.Sequence()
	f, err := r2.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		capture(t, c).Release()
	}
	waitHeld(t, c, 1)
	checkBars(t, f, seq)
	if r2.Sequence() != seq {
		t.Errorf("held frame's sequence changed from %d to %d", seq, r2.Sequence())
	}
	if err := r2.Release(); err != nil {
		t.Fatal(err)
	}
	waitHeld(t, c, 0)
	if r3 := r.Acquire(); !r3.Released() || r3.Release() == nil {
		t.Error("Acquire of a released request gave a live handle")
	}
	// Exactly-once requeue: every buffer still circulates.
	for range 20 {
		capture(t, c).Release()
	}
	var nilReq *CompletedRequest
	if err := nilReq.Release(); err != nil {
		t.Errorf("nil Release = %v", err)
	}
}

func TestReleaseAfterClose(t *testing.T) {
	done := checkLeaks(t)
	func() {
		c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true})
		r := capture(t, c)
		f, _ := r.Frame(Main)
		seq := r.Sequence()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		// Still mapped and unchanged after Close.
		checkBars(t, f, seq)
		if err := r.Release(); !errors.Is(err, ErrClosed) {
			t.Errorf("Release after Close = %v, want ErrClosed", err)
		}
		if err := r.Release(); !errors.Is(err, ErrReleased) {
			t.Errorf("second Release after Close = %v, want ErrReleased", err)
		}
	}()
	done()
}

// leakRequests captures n requests and drops them without Release.
func leakRequests(t *testing.T, c *Camera, n int) {
	for range n {
		r := capture(t, c)
		_ = r.Sequence()
	}
}

// waitLeaked collects garbage until the camera has recovered n leaked
// requests.
func waitLeaked(t *testing.T, c *Camera, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.Stats().Leaked < n {
		if time.Now().After(deadline) {
			t.Fatalf("leaked requests not recovered: %+v", c.Stats())
		}
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLeakedRequestRecovered(t *testing.T) {
	c, lb := startCamera(t, barsID, small, startOpts{NoQueue: true})
	leakRequests(t, c, 4) // every buffer the camera has
	waitHeld(t, c, 4)
	waitLeaked(t, c, 4)
	log := lb.String()
	if strings.Count(log, "never released") != 4 || !strings.Contains(log, "request_test.go") || !strings.Contains(log, "leakRequests") {
		t.Errorf("leak log does not name the capture site:\n%s", log)
	}
	// The buffers are back: capture goes on.
	for range 10 {
		capture(t, c).Release()
	}
	waitHeld(t, c, 0)
}
