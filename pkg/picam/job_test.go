package picam

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestJobs(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{NoQueue: true, Running: true})
	ctx := ctxT(t)
	leaks := checkLeaks(t)

	// A request job, awaited with select among other work: a frame from
	// 30ms on. Every buffer is held until the loop has ticked 5 times, so
	// the job cannot be done before: the loop goes on while it waits,
	// whatever the load (5 ticks within the 30ms alone asked the scheduler
	// to run the loop's goroutine 5 times in that window).
	cfg, err := c.Configuration()
	if err != nil {
		t.Fatal(err)
	}
	var all []*CompletedRequest
	for range cfg.BufferCount {
		all = append(all, capture(t, c))
	}
	job := c.CaptureRequestAsync(ctx, After(time.Now().Add(30*time.Millisecond)))
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	ticks := 0
wait:
	for {
		select {
		case <-job.Done():
			break wait
		case <-tick.C:
			if ticks++; ticks == 5 { // the "event loop" goes on
				for _, h := range all {
					h.Release()
				}
			}
		}
	}
	r, err := job.Result()
	if err != nil {
		t.Fatal(err)
	}
	if ticks < 5 {
		t.Errorf("the job was done after %d ticks of the select loop, with every buffer held", ticks)
	}
	f, _ := r.Frame(Main)
	checkBars(t, f, r.Sequence())
	if r2, _ := job.Wait(ctx); r2 != r {
		t.Error("a second Wait returned another request")
	}
	waitHeld(t, c, 1)
	r.Release()
	waitHeld(t, c, 0)

	// Every copying kind, all at once; copies are made on the jobs' goroutines.
	path := filepath.Join(t.TempDir(), "job.png")
	fj := c.CaptureFrameAsync(ctx, Main)
	bj := c.CaptureBufferAsync(ctx, Main)
	ij := c.CaptureImageAsync(ctx, Main, Flush())
	mj := c.CaptureMetadataAsync(ctx)
	pj := c.CaptureFileAsync(ctx, path, Main)
	cf, err := fj.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkBars(t, cf.Frame, 0)
	if ts, ok := cf.Metadata.SensorTimestamp(); !ok || ts == 0 {
		t.Errorf("frame job metadata %v", cf.Metadata)
	}
	sc, _ := c.StreamConfiguration(Main)
	if b, err := bj.Wait(ctx); err != nil || len(b) < sc.Stride*480*3/2 {
		t.Errorf("buffer job: %d bytes, %v", len(b), err)
	}
	if img, err := ij.Wait(ctx); err != nil || img.Bounds().Dx() != 640 {
		t.Errorf("image job: %v", err)
	}
	if md, err := mj.Wait(ctx); err != nil || len(md.Names()) == 0 {
		t.Errorf("metadata job: %v %v", md, err)
	}
	if _, err := pj.Wait(ctx); err != nil {
		t.Errorf("file job: %v", err)
	} else if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Errorf("file job wrote nothing: %v", err)
	}
	waitHeld(t, c, 0)

	// A job that cannot complete: not done, then cancelled.
	never := c.CaptureRequestAsync(ctx, After(time.Now().Add(time.Hour)))
	if _, err := never.Result(); !errors.Is(err, ErrNotDone) {
		t.Errorf("Result of a pending job = %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	if _, err := never.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait with a short context = %v", err)
	}
	cancel()
	never.Cancel()
	if _, err := never.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after Cancel = %v", err)
	}

	// Done but never collected, then abandoned by its context: the buffer
	// goes back.
	jctx, jcancel := context.WithCancel(ctx)
	held := c.CaptureRequestAsync(jctx)
	<-held.Done()
	waitHeld(t, c, 1)
	jcancel()
	waitHeld(t, c, 0)
	if r, err := held.Result(); r != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("Result of an abandoned job = %v, %v", r, err)
	}
	// Collected, then cancelled: the caller keeps it.
	kept := c.CaptureRequestAsync(ctx)
	r, err = kept.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept.Cancel()
	if _, err := r.Frame(Main); err != nil {
		t.Errorf("a collected request was released by Cancel: %v", err)
	}
	r.Release()
	waitHeld(t, c, 0)
	leaks()
	// A job on a stopped camera waits for the next Start.
	c.Stop()
	if _, err := c.CaptureRequestAsync(cancelled()).Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("job on a stopped camera = %v, want it to wait for Start", err)
	}
	t.Logf("%d ticks of the select loop while the first job ran", ticks)
}

// TestJobCancelRace cancels jobs at random moments around their
// completion and checks that every buffer comes back, whoever won.
func TestJobCancelRace(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Running: true})
	leaks := checkLeaks(t)
	var got, cancelled int
	for i := range 300 {
		ctx, cancel := context.WithCancel(context.Background())
		job := c.CaptureRequestAsync(ctx)
		if d := rand.IntN(3000); d > 0 {
			time.Sleep(time.Duration(d) * time.Microsecond)
		}
		switch i % 3 {
		case 0:
			cancel()
		case 1:
			job.Cancel()
		case 2:
			// Collect if done, then cancel.
			if r, err := job.Result(); err == nil {
				r.Release()
			}
			cancel()
		}
		<-job.Done()
		if r, err := job.Result(); err == nil {
			got++
			r.Release()
		} else if errors.Is(err, context.Canceled) || errors.Is(err, ErrNotDone) {
			cancelled++
		} else {
			t.Fatalf("job %d: %v", i, err)
		}
		cancel()
	}
	waitHeld(t, c, 0)
	leaks()
	if st := c.Stats(); st.Held != 0 || st.Leaked != 0 {
		t.Errorf("stats %+v", st)
	}
	t.Logf("300 jobs: %d results collected, %d cancelled; stats %+v", got, cancelled, c.Stats())
}
