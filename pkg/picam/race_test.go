package picam

import (
	"context"
	"testing"
	"time"
)

// TestStreamExpiringContextRace opens streams and Frames loops with
// contexts that expire while they are being set up, so that the context's
// AfterFunc closes the stream while Stream is still returning it. Under
// -race this caught Stream writing the AfterFunc's stop function after the
// close it started had read it (issue 10, item 2).
func TestStreamExpiringContextRace(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 64, Height: 48}, startOpts{})
	r := capture(t, c) // frames flow
	r.Release()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	done := checkLeaks(t) // stopped, as the test ends
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var opened, ended int
	for i := range 300 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%20)*time.Microsecond)
		st, err := c.OpenFrameStream(ctx, FrameStreamOptions{})
		if err == nil {
			opened++
			st.Close()
		} else if ctx.Err() == nil {
			t.Fatalf("Stream: %v with its context still live", err)
		}
		for _, err := range c.Frames(ctx, FrameStreamOptions{}) {
			if err != nil {
				ended++
			}
			break
		}
		cancel()
	}
	t.Logf("%d streams opened, %d Frames loops ended by their context", opened, ended)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Held != 0 {
		t.Errorf("Held = %d after every stream closed and Stop, want 0", st.Held)
	}
	done()
}

// TestExpiringContextsRace runs every other call that registers work on a
// context (jobs, with their AfterFunc; Process; capture waits) with
// contexts that expire while the call sets up, under -race (the audit of
// issue 10 item 2).
func TestExpiringContextsRace(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 64, Height: 48}, startOpts{})
	r := capture(t, c)
	r.Release()
	var got int
	for i := range 300 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%20)*time.Microsecond)
		j := c.CaptureRequestAsync(ctx)
		if r, err := j.Wait(context.Background()); err == nil {
			got++
			r.Release()
		}
		if r, err := c.CaptureRequest(ctx); err == nil {
			got++
			r.Release()
		}
		for _, err := range Process(ctx, c, ProcessOptions{Workers: 1}, func(context.Context, *CompletedRequest) (int, error) { return 0, nil }) {
			if err != nil {
				break
			}
			got++
		}
		cancel()
	}
	t.Logf("%d frames before their context expired", got)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Held != 0 {
		t.Errorf("Held = %d after Stop, want 0", st.Held)
	}
}
