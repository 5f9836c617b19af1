package picam

import (
	"context"
	"errors"
	"testing"
)

// cancelled returns a context already cancelled: a call given it returns
// at once, with context.Canceled if it would have waited.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestCaptureBeforeStartWaits starts captures (synchronous and as jobs) on
// a camera not started yet, not even configured: they wait, and once
// every one is known to wait, Start gives each a frame. A capture on a
// closed camera fails at once, and Close ends the ones waiting.
func TestCaptureBeforeStartWaits(t *testing.T) {
	c, _ := openCamera(t, barsID)
	waiting := make(chan struct{}, 16)
	c.waitStart = func() { waiting <- struct{}{} }
	ctx := ctxT(t)

	reqs := make(chan error, 1)
	go func() {
		r, err := c.CaptureRequest(ctx)
		if err == nil {
			var f Frame
			if f, err = r.Frame(Main); err == nil {
				checkBars(t, f, r.Sequence())
			}
			r.Release()
		}
		reqs <- err
	}()
	job := c.CaptureFrameAsync(ctx, Main)
	drops := make(chan error, 1)
	go func() { drops <- c.DropFrames(ctx, 2) }()
	for n := 0; n < 3; {
		select {
		case <-waiting:
			n++
		case err := <-reqs:
			t.Fatalf("CaptureRequest returned before Start: %v", err)
		case err := <-drops:
			t.Fatalf("DropFrames returned before Start: %v", err)
		case <-job.Done():
			_, err := job.Result()
			t.Fatalf("CaptureFrameAsync ended before Start: %v", err)
		case <-ctx.Done():
			t.Fatal("the captures never waited for Start")
		}
	}
	if err := c.Start(); err != nil { // configures the preview configuration first
		t.Fatal(err)
	}
	if err := <-reqs; err != nil {
		t.Errorf("CaptureRequest started before Start: %v", err)
	}
	if cf, err := job.Wait(ctx); err != nil {
		t.Errorf("CaptureFrameAsync started before Start: %v", err)
	} else if cf.Frame.Size != c.PreviewConfiguration().Main.Size {
		t.Errorf("job's frame %v", cf.Frame)
	}
	if err := <-drops; err != nil {
		t.Errorf("DropFrames started before Start: %v", err)
	}

	// Stopped again: a capture waits again, and Close ends it.
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	job = c.CaptureFrameAsync(ctx, Main)
	<-waiting
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := job.Wait(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("a capture waiting for Start when the camera closed = %v, want ErrClosed", err)
	}
	if _, err := c.CaptureRequest(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("CaptureRequest on a closed camera = %v, want ErrClosed", err)
	}
	select {
	case <-waiting:
		t.Error("a capture on a closed camera waited for a Start")
	default:
	}
}
