package picam

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/testenv"
	"github.com/picamgo/picamgo/libcamera"
)

// The cameras of testdata/virtual.yaml.
const (
	barsID  = "picamgo-bars"
	linesID = "picamgo-lines"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// env counts what a leak would grow, buffer mappings included.
var env = testenv.Env{LiveMappings: libcamera.LiveMappings}

// logBuffer collects a camera's log for checks.
type logBuffer = testenv.LogBuffer

// testOptions paces the virtual camera (which has no frame pacing of its
// own) so that tests do not spin two cores.
func testOptions(id string) (Options, *logBuffer) {
	lb := &logBuffer{}
	return Options{ID: id, MaxFrameRate: 500, StallTimeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))}, lb
}

func openCamera(t testing.TB, id string) (*Camera, *logBuffer) {
	t.Helper()
	opts, lb := testOptions(id)
	c, err := OpenWith(opts)
	if err != nil {
		t.Fatalf("OpenWith(%s): %v", id, err)
	}
	t.Cleanup(func() {
		c.Close()
		if testing.Verbose() && lb.String() != "" {
			t.Logf("camera log:\n%s", lb)
		}
	})
	return c, lb
}

// nv12Config is a configuration the virtual camera takes unadjusted.
func nv12Config(c *Camera, size Size) Configuration {
	cfg := c.PreviewConfiguration()
	cfg.Main = StreamConfig{Size: size, Format: FormatNV12}
	cfg.ColorSpace = nil
	cfg.Strict = true
	return cfg
}

func startCamera(t testing.TB, id string, size Size) (*Camera, *logBuffer) {
	t.Helper()
	c, lb := openCamera(t, id)
	if _, err := c.Configure(nv12Config(c, size)); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return c, lb
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func capture(t testing.TB, c *Camera, opts ...CaptureOption) *CompletedRequest {
	t.Helper()
	r, err := c.CaptureRequest(ctxT(t), opts...)
	if err != nil {
		t.Fatalf("CaptureRequest: %v", err)
	}
	return r
}

func countResources() testenv.Counts { return env.Count() }

// checkLeaks returns a function that fails the test if fds, mappings or
// goroutines grew since checkLeaks was called (see [testenv.Env.CheckLeaks]).
func checkLeaks(t testing.TB) func() testenv.Counts {
	t.Helper()
	return env.CheckLeaks(t)
}
