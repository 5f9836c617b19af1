package picam

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// faultCase is one row of the fault matrix: a misuse or a failure the
// library must survive with a clear error, no crash, no hang, no leak.
type faultCase struct {
	name string
	// isolated cases run in a child process (the test binary run again
	// for that case alone), so that a crash, a hang or a data race fails
	// the case with the child's output instead of ending the whole run.
	isolated bool
	run      func(t *testing.T)
}

// faultChildEnv names the case a child process runs (see runIsolated).
const faultChildEnv = "PICAMGO_FAULT_CASE"

// faultBound is how long any call of a fault case may take: far more than
// any of them needs on a loaded machine, far less than go test's timeout.
const faultBound = 60 * time.Second

// TestFaultMatrix runs every fault case (issue 10's list and the misuses
// next to it); each ends with the camera's buffers, fds, mappings and
// goroutines counted where it leaves them.
func TestFaultMatrix(t *testing.T) {
	for _, fc := range faultCases() {
		t.Run(fc.name, func(t *testing.T) {
			if fc.isolated && os.Getenv(faultChildEnv) != fc.name {
				runIsolated(t, fc.name)
				return
			}
			fc.run(t)
		})
	}
}

func faultCases() []faultCase {
	return []faultCase{
		// Issue 10, item 1: a view used after Release and Close.
		{"ViewAfterReleaseAndClose", true, faultViewAfterClose},
		// Item 2: Stream with a context that expires while it starts.
		{"StreamExpiringContext", true, faultStreamExpiringContext},
		// Item 3: Close, Stop and SwitchMode behind a callback that blocks.
		{"CloseBehindBlockedCallback", true, func(t *testing.T) { faultBehindBlockedCallback(t, "Close") }},
		{"StopBehindBlockedCallback", true, func(t *testing.T) { faultBehindBlockedCallback(t, "Stop") }},
		{"SwitchModeBehindBlockedCallback", true, func(t *testing.T) { faultBehindBlockedCallback(t, "SwitchMode") }},
		// Item 4: Close while a capture call waits.
		{"CloseWhileCaptureBlocked", false, faultCloseWhileBlocked},
		// Item 5: invalid control values.
		{"InvalidControlValues", false, faultInvalidControls},
		{"StopWithRequestsHeld", false, faultStopWithHeld},
		{"ReleaseAfterClose", false, faultReleaseAfterClose},
		{"DoubleRelease", false, faultDoubleRelease},
		{"CancelledContexts", false, faultCancelledContexts},
		{"PanickingCallbacks", false, faultPanickingCallbacks},
		{"BlockingCallback", false, faultBlockingCallback},
		{"OutOfBuffers", false, faultOutOfBuffers},
		{"OpenedTwice", false, faultOpenedTwice},
		{"UseAfterClose", false, faultUseAfterClose},
		{"NotConfiguredNotStarted", false, faultNotStarted},
	}
}

// runIsolated runs the fault case in a child process and fails with its
// output unless it passed. The child has faultBound plus a margin before
// go test's own timeout dumps its goroutines.
func runIsolated(t *testing.T, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*faultBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestFaultMatrix$/^"+name+"$",
		"-test.v", "-test.count=1", "-test.timeout="+(2*faultBound).String())
	cmd.Env = append(os.Environ(), faultChildEnv+"="+name)
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.ENOEXEC) {
		// Under qemu-user without binfmt (make test-arm64) the binary
		// cannot start itself; make test runs the case.
		t.Skipf("cannot run the test binary as a child process here: %v", err)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestFaultMatrix/"+name) {
		t.Fatalf("in a child process: %v\n%s", err, tail(string(out), 60))
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// within runs fn on its own goroutine and fails the test if it has not
// returned within faultBound.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(faultBound):
		t.Fatalf("%s did not return within %v", what, faultBound)
	}
}

func faultViewAfterClose(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true})
	r := capture(t, c)
	f, err := r.Frame(Main)
	if err != nil {
		t.Fatal(err)
	}
	img, err := f.Image()
	if err != nil {
		t.Fatal(err)
	}
	held := capture(t, c) // held across Close, released after
	hf, _ := held.Frame(Main)
	r.Release()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	held.Release()
	// Reading must not kill the process; what it reads is not judged.
	sum := 0
	for _, p := range append(f.Planes, hf.Planes...) {
		for _, b := range p {
			sum += int(b)
		}
	}
	_ = img.At(1, 1)
	t.Logf("read %d planes after Release and Close (sum %d)", len(f.Planes)+len(hf.Planes), sum)
}

func faultStreamExpiringContext(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	leaks := checkLeaks(t)
	const n = 20000 // about 2s under -race; 2000 missed the race now and then
	opened := 0
	for i := range n {
		// From already expired to expiring while Stream runs.
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%50)*time.Microsecond)
		if st, err := c.OpenFrameStream(ctx, FrameStreamOptions{}); err == nil {
			opened++
			st.Close()
		} else if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stream with an expiring context = %v", err)
		}
		cancel()
	}
	waitHeld(t, c, 0)
	leaks()
	t.Logf("%d of %d streams opened before their context expired", opened, n)
}

func faultBehindBlockedCallback(t *testing.T, op string) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	block, entered := make(chan struct{}), make(chan struct{}, 1)
	c.SetPostCallback(func(*CompletedRequest) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-block
	})
	defer close(block) // lets the callback go at the end, whatever happened
	select {
	case <-entered:
	case <-time.After(faultBound):
		t.Fatal("the post-callback never ran")
	}
	var err error
	within(t, op+" behind a blocked callback", func() {
		switch op {
		case "Close":
			err = c.Close()
		case "Stop":
			err = c.Stop()
		case "SwitchMode":
			_, err = c.SwitchMode(nv12Config(c, Size{Width: 640, Height: 480}))
		}
	})
	t.Logf("%s behind a blocked callback returned %v", op, err)
}

func faultCloseWhileBlocked(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true})
	var held []*CompletedRequest
	for range 4 {
		held = append(held, capture(t, c))
	}
	errc, cancel := waitingCapture(t, c)
	defer cancel()
	within(t, "Close with a capture call waiting", func() { c.Close() })
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("CaptureRequest waiting when the camera closed = %v, want ErrClosed", err)
		}
	case <-time.After(faultBound):
		t.Fatal("CaptureRequest still waiting after Close")
	}
	for _, r := range held {
		r.Release()
	}
}

func faultInvalidControls(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{})
	nan, inf := math.NaN(), math.Inf(1)
	f := func(x float64) *float64 { return &x }
	d := func(x time.Duration) *time.Duration { return &x }
	for _, tc := range []struct {
		name string
		ctrl Controls
	}{
		{"FrameRate NaN", Controls{FrameRate: f(nan)}},
		{"FrameRate +Inf", Controls{FrameRate: f(inf)}},
		{"FrameRate -Inf", Controls{FrameRate: f(-inf)}},
		{"FrameRate 0", Controls{FrameRate: f(0)}},
		{"FrameRate -1", Controls{FrameRate: f(-1)}},
		{"FrameDurationLimits negative", Controls{FrameDurationLimits: &[2]time.Duration{-time.Millisecond, -time.Millisecond}}},
		{"FrameDurationLimits min > max", Controls{FrameDurationLimits: &[2]time.Duration{50 * time.Millisecond, 10 * time.Millisecond}}},
		{"ExposureTime negative", Controls{ExposureTime: d(-time.Millisecond)}},
		{"ByName FrameDurationLimits NaN", Controls{ByName: map[string]any{"FrameDurationLimits": []float64{nan, nan}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, _, err := c.SetControls(tc.ctrl)
			var ce *ControlError
			if !errors.As(err, &ce) {
				t.Errorf("SetControls(%s) = %d, %v; want a *ControlError", tc.name, id, err)
			}
		})
	}
	// The camera goes on.
	capture(t, c).Release()
}

func faultStopWithHeld(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true})
	leaks := checkLeaks(t)
	a, b := capture(t, c), capture(t, c)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*CompletedRequest{a, b} {
		f, err := r.Frame(Main)
		if err != nil {
			t.Fatalf("a request held across Stop: %v", err)
		}
		checkBars(t, f, r.Sequence())
	}
	if err := c.Stop(); err != nil {
		t.Errorf("a second Stop = %v", err)
	}
	a.Release()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	b.Release()
	for range 8 {
		capture(t, c).Release()
	}
	waitHeld(t, c, 0)
	leaks()
}

func faultReleaseAfterClose(t *testing.T) {
	leaks := checkLeaks(t)
	func() {
		c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true})
		r, kept := capture(t, c), capture(t, c)
		kept2 := kept.Acquire()
		c.Close()
		if err := r.Release(); !errors.Is(err, ErrClosed) {
			t.Errorf("Release after Close = %v, want ErrClosed", err)
		}
		kept.Release()
		kept2.Release()
		if _, err := r.Frame(Main); !errors.Is(err, ErrReleased) {
			t.Errorf("Frame of a request released after Close = %v, want ErrReleased", err)
		}
	}()
	leaks()
}

func faultDoubleRelease(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true})
	r := capture(t, c)
	if err := r.Release(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := r.Release(); !errors.Is(err, ErrReleased) {
			t.Errorf("Release again = %v, want ErrReleased", err)
		}
	}
	if _, err := r.Frame(Main); !errors.Is(err, ErrReleased) {
		t.Errorf("Frame after Release = %v, want ErrReleased", err)
	}
	if r.Sequence() != 0 || r.SensorTimestamp() != 0 || !r.Acquire().Released() {
		t.Error("a released request still gives its frame")
	}
	var nilReq *CompletedRequest
	if err := nilReq.Release(); err != nil {
		t.Errorf("nil Release = %v", err)
	}
	waitHeld(t, c, 0)
}

func faultCancelledContexts(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	leaks := checkLeaks(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want context.Canceled", what, err)
		}
	}
	_, err := c.CaptureRequest(ctx)
	check("CaptureRequest", err)
	_, _, err = c.CaptureFrame(ctx, Main)
	check("CaptureFrame", err)
	_, err = c.CaptureImage(ctx, Main)
	check("CaptureImage", err)
	check("DropFrames", c.DropFrames(ctx, 3))
	_, err = c.OpenFrameStream(ctx, FrameStreamOptions{})
	check("Stream", err)
	for r, err := range c.Frames(ctx, FrameStreamOptions{}) {
		check("Frames", err)
		if r != nil {
			r.Release()
		}
	}
	for _, err := range Process(ctx, c, ProcessOptions{}, func(context.Context, *CompletedRequest) (int, error) { return 0, nil }) {
		check("Process", err)
	}
	// Many times: a job whose context ended before it started used to
	// learn it on another goroutine, and a frame could come first (CI).
	for range 50 {
		r, err := c.CaptureRequestAsync(ctx).Wait(context.Background())
		check("CaptureRequestAsync", err)
		if r != nil {
			r.Release()
		}
	}
	// Cancelled while waiting: a frame that can never come.
	wctx, wcancel := context.WithCancel(context.Background())
	job := c.CaptureRequestAsync(wctx, After(time.Now().Add(time.Hour)))
	wcancel()
	_, err = job.Wait(context.Background())
	check("a waiting CaptureRequestAsync", err)
	// The camera goes on and nothing is held.
	capture(t, c).Release()
	waitHeld(t, c, 0)
	leaks()
}

func faultPanickingCallbacks(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	c.SetPreCallback(func(*CompletedRequest) { panic("pre boom") })
	c.SetPostCallback(func(*CompletedRequest) { panic("post boom") })
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case err := <-c.CallbackErrors():
			var pe *PanicError
			if !errors.As(err, &pe) || !errors.Is(err, ErrPanic) {
				t.Fatalf("callback error %v, want a *PanicError", err)
			}
			seen[pe.Where] = true
		case <-time.After(faultBound):
			t.Fatalf("panics reported: %v", seen)
		}
	}
	// Frames still come, through the panicking callbacks.
	for range 5 {
		capture(t, c).Release()
	}
	c.SetPreCallback(nil)
	c.SetPostCallback(nil)
	if st := c.Stats(); st.CallbackPanics < 2 {
		t.Errorf("stats %+v", st)
	}
	waitHeld(t, c, 0)
	if !seen["pre-callback"] || !seen["post-callback"] {
		t.Errorf("panics reported from %v", seen)
	}
}

func faultBlockingCallback(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	leaks := checkLeaks(t)
	block, entered := make(chan struct{}), make(chan struct{}, 1)
	c.SetPostCallback(func(*CompletedRequest) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-block
	})
	<-entered
	// The callback holds one frame; capture calls go on.
	before := c.Stats()
	for range 20 {
		capture(t, c).Release()
	}
	after := c.Stats()
	c.SetPostCallback(nil)
	close(block)
	if after.CallbackSkipped <= before.CallbackSkipped {
		t.Errorf("a blocked post-callback skipped no frame: before %+v after %+v", before, after)
	}
	waitHeld(t, c, 0)
	leaks()
}

func faultOutOfBuffers(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Options: func(o *Options) { o.StallTimeout = time.Second }})
	var held []*CompletedRequest
	for range 4 {
		held = append(held, capture(t, c))
	}
	_, err := c.CaptureRequest(ctxT(t))
	var se *StallError
	if !errors.As(err, &se) || !errors.Is(err, ErrStalled) {
		t.Fatalf("CaptureRequest with every buffer held = %v, want a *StallError", err)
	}
	if len(se.Held) != 4 || !strings.Contains(se.Held[0], "faults_test.go:") {
		t.Errorf("stall error does not name the 4 holders here: %+v", se)
	}
	for _, r := range held {
		r.Release()
	}
	capture(t, c).Release()
	waitHeld(t, c, 0)
}

func faultOpenedTwice(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{})
	opts, _ := testOptions(barsID)
	if c2, err := OpenWith(opts); !errors.Is(err, ErrBusy) {
		if err == nil {
			c2.Close()
		}
		t.Fatalf("opening an open camera again = %v, want ErrBusy", err)
	}
	capture(t, c).Release() // the first goes on
	c.Close()
	c3, err := OpenWith(opts)
	if err != nil {
		t.Fatalf("opening the camera after Close = %v", err)
	}
	c3.Close()
}

func faultUseAfterClose(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", what, err)
		}
	}
	_, err := c.Configure(nv12Config(c, small))
	check("Configure", err)
	check("Start", c.Start())
	_, err = c.CaptureRequest(ctx)
	check("CaptureRequest", err)
	_, err = c.OpenFrameStream(ctx, FrameStreamOptions{})
	check("Stream", err)
	_, err = c.SwitchMode(nv12Config(c, small))
	check("SwitchMode", err)
	_, err = c.CaptureRequestAsync(ctx).Wait(ctx)
	check("CaptureRequestAsync", err)
	if err := c.Close(); err != nil {
		t.Errorf("a second Close = %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("Stop after Close = %v", err)
	}
}

func faultNotStarted(t *testing.T) {
	c, _ := openCamera(t, barsID)
	ctx := ctxT(t)
	if _, err := c.Configuration(); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("Configuration unconfigured = %v, want ErrNotConfigured", err)
	}
	if _, err := c.CaptureRequest(cancelled()); !errors.Is(err, context.Canceled) {
		t.Errorf("CaptureRequest unconfigured = %v, want it to wait for Start", err)
	}
	if _, err := c.Configure(nv12Config(c, small)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CaptureRequest(cancelled()); !errors.Is(err, context.Canceled) {
		t.Errorf("CaptureRequest not started = %v, want it to wait for Start", err)
	}
	if _, err := c.OpenFrameStream(ctx, FrameStreamOptions{}); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Stream not started = %v, want ErrNotStarted", err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("Stop not started = %v", err)
	}
}
