package picam

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// blockedCall is a call that waits for frames until the camera stops or
// closes. It calls running once it is sure to be waiting, or leaves that
// to parkedIn: a function its goroutine is then blocked in.
type blockedCall struct {
	name     string
	parkedIn string
	run      func(ctx context.Context, c *Camera, running func()) error
}

// never is a capture option no frame satisfies: the call waits until the
// camera stops or closes.
var never = After(time.Now().Add(time.Hour))

func blockedCalls(dir string) []blockedCall {
	const inWait = ".(*Camera).wait("
	return []blockedCall{
		{"CaptureRequest", inWait, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureRequest(ctx, never)
			return err
		}},
		{"CaptureMetadata", inWait, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureMetadata(ctx, never)
			return err
		}},
		{"CaptureFrame", inWait, func(ctx context.Context, c *Camera, _ func()) error {
			_, _, err := c.CaptureFrame(ctx, Main, never)
			return err
		}},
		{"CaptureBuffer", inWait, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureBuffer(ctx, Main, never)
			return err
		}},
		{"CaptureImage", inWait, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureImage(ctx, Main, never)
			return err
		}},
		{"CaptureFile", inWait, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureFile(ctx, filepath.Join(dir, "never.png"), Main, never)
			return err
		}},
		{"DropFrames", inWait, func(ctx context.Context, c *Camera, _ func()) error {
			return c.DropFrames(ctx, 1<<30)
		}},
		{"CaptureRequestAsync", inWait, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureRequestAsync(ctx, never).Wait(ctx)
			return err
		}},
		{"CaptureFrameAsync", inWait, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureFrameAsync(ctx, Main, never).Wait(ctx)
			return err
		}},
		{"Stream.Next", "", func(ctx context.Context, c *Camera, running func()) error {
			st, err := c.Stream(ctx, StreamOptions{})
			if err != nil {
				return err
			}
			defer st.Close()
			for {
				r, err := st.Next(ctx)
				if err != nil {
					return err
				}
				r.Release()
				running()
			}
		}},
		{"Stream.C", "", func(ctx context.Context, c *Camera, running func()) error {
			st, err := c.Stream(ctx, StreamOptions{})
			if err != nil {
				return err
			}
			defer st.Close()
			for r := range st.C() {
				r.Release()
				running()
			}
			return st.Err()
		}},
		{"Frames", "", func(ctx context.Context, c *Camera, running func()) error {
			for _, err := range c.Frames(ctx, StreamOptions{}) {
				if err != nil {
					return err
				}
				running()
			}
			return errors.New("Frames ended without an error")
		}},
		{"Process", "", func(ctx context.Context, c *Camera, running func()) error {
			for _, err := range Process(ctx, c, ProcessOptions{Workers: 2}, func(context.Context, *CompletedRequest) (int, error) {
				return 0, nil
			}) {
				if err != nil {
					return err
				}
				running()
			}
			return errors.New("Process ended without an error")
		}},
	}
}

// TestBlockedCallsEndWithClose checks what every call waiting for frames
// gets when the camera closes under it: an error matching ErrClosed (and
// not ErrNotStarted), while a Stop still gives ErrNotStarted.
func TestBlockedCallsEndWithClose(t *testing.T) {
	for _, call := range blockedCalls(t.TempDir()) {
		for _, end := range []string{"Close", "Stop"} {
			t.Run(call.name+"/"+end, func(t *testing.T) {
				c, _ := startCamera(t, barsID, Size{Width: 64, Height: 48})
				ctx := ctxT(t)
				running := make(chan struct{}, 1)
				result := make(chan error, 1)
				go func() {
					result <- call.run(ctx, c, func() {
						select {
						case running <- struct{}{}:
						default:
						}
					})
				}()
				if call.parkedIn != "" {
					waitParked(t, call.parkedIn)
				} else {
					select {
					case <-running:
					case err := <-result:
						t.Fatalf("%s ended before %s: %v", call.name, end, err)
					}
				}
				var err error
				if end == "Close" {
					err = c.Close()
				} else {
					err = c.Stop()
				}
				if err != nil {
					t.Fatalf("%s: %v", end, err)
				}
				err = <-result
				want, not := ErrClosed, ErrNotStarted
				if end == "Stop" {
					want, not = ErrNotStarted, ErrClosed
				}
				if !errors.Is(err, want) || errors.Is(err, not) {
					t.Errorf("%s waiting at %s = %v, want an error matching %v (not %v)", call.name, end, err, want, not)
				}
			})
		}
	}
}

// waitParked waits until a goroutine is blocked in fn (a substring of a
// function on its stack, such as ".(*Camera).wait(").
func waitParked(t *testing.T, fn string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	buf := make([]byte, 1<<20)
	for time.Now().Before(deadline) {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			head, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, fn) && (strings.Contains(head, "[select") || strings.Contains(head, "[chan")) {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no goroutine blocked in %s", fn)
}
