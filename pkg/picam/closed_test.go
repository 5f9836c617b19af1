package picam

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// blockedCall is a call that waits for frames until the camera stops or
// closes. It calls running once it is sure to be waiting, or, with waits
// set, goes through Camera.wait, which says so through waitHanded.
type blockedCall struct {
	name  string
	waits bool
	run   func(ctx context.Context, c *Camera, running func()) error
}

// never is a capture option no frame satisfies: the call waits until the
// camera stops or closes.
var never = After(time.Now().Add(time.Hour))

func blockedCalls(dir string) []blockedCall {
	return []blockedCall{
		{"CaptureRequest", true, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureRequest(ctx, never)
			return err
		}},
		{"CaptureMetadata", true, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureMetadata(ctx, never)
			return err
		}},
		{"CaptureFrame", true, func(ctx context.Context, c *Camera, _ func()) error {
			_, _, err := c.CaptureFrame(ctx, Main, never)
			return err
		}},
		{"CaptureBuffer", true, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureBuffer(ctx, Main, never)
			return err
		}},
		{"CaptureImage", true, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureImage(ctx, Main, never)
			return err
		}},
		{"CaptureFile", true, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureFile(ctx, filepath.Join(dir, "never.png"), Main, never)
			return err
		}},
		{"DropFrames", true, func(ctx context.Context, c *Camera, _ func()) error {
			return c.DropFrames(ctx, 1<<30)
		}},
		{"CaptureRequestAsync", true, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureRequestAsync(ctx, never).Wait(ctx)
			return err
		}},
		{"CaptureFrameAsync", true, func(ctx context.Context, c *Camera, _ func()) error {
			_, err := c.CaptureFrameAsync(ctx, Main, never).Wait(ctx)
			return err
		}},
		{"Stream.Next", false, func(ctx context.Context, c *Camera, running func()) error {
			st, err := c.OpenFrameStream(ctx, FrameStreamOptions{})
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
		{"Stream.C", false, func(ctx context.Context, c *Camera, running func()) error {
			st, err := c.OpenFrameStream(ctx, FrameStreamOptions{})
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
		{"Frames", false, func(ctx context.Context, c *Camera, running func()) error {
			for _, err := range c.Frames(ctx, FrameStreamOptions{}) {
				if err != nil {
					return err
				}
				running()
			}
			return errors.New("Frames ended without an error")
		}},
		{"Process", false, func(ctx context.Context, c *Camera, running func()) error {
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
				c, _ := startCamera(t, barsID, Size{Width: 64, Height: 48}, startOpts{})
				ctx := ctxT(t)
				running := make(chan struct{}, 1)
				result := make(chan error, 1)
				handed := make(chan struct{}, 1)
				c.waitHanded = func() {
					select {
					case handed <- struct{}{}:
					default:
					}
				}
				go func() {
					result <- call.run(ctx, c, func() {
						select {
						case running <- struct{}{}:
						default:
						}
					})
				}()
				if call.waits {
					select {
					case <-handed:
					case err := <-result:
						t.Fatalf("%s ended before %s: %v", call.name, end, err)
					}
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
