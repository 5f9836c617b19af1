package picam

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// The cameras of testdata/virtual.yaml.
const (
	barsID  = "picamgo-bars"
	linesID = "picamgo-lines"
)

func TestMain(m *testing.M) {
	os.Setenv("LIBCAMERA_PIPELINES_MATCH_LIST", "virtual")
	if lv := os.Getenv("PICAMGO_LOG"); lv != "" {
		os.Setenv("LIBCAMERA_LOG_LEVELS", lv)
	} else {
		os.Setenv("LIBCAMERA_LOG_LEVELS", "*:FATAL")
	}
	os.Exit(m.Run())
}

// logBuffer collects a camera's log for checks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

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

// resources is what a leak would grow.
type resources struct {
	fds, mappings, memfdMaps, goroutines int
}

func countResources() resources {
	var r resources
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		r.fds = len(ents)
	}
	r.mappings = int(libcamera.LiveMappings())
	if maps, err := os.ReadFile("/proc/self/maps"); err == nil {
		r.memfdMaps = strings.Count(string(maps), "memfd:picamgo-frame")
	}
	r.goroutines = runtime.NumGoroutine()
	return r
}

// settle collects garbage until the counts stop changing.
func settle() resources {
	last := countResources()
	for range 20 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		now := countResources()
		if now == last {
			return now
		}
		last = now
	}
	return last
}

// checkLeaks returns a function that fails the test if fds, mappings or
// goroutines grew since checkLeaks was called.
func checkLeaks(t testing.TB) func() resources {
	t.Helper()
	before := settle()
	return func() resources {
		t.Helper()
		var after resources
		for range 50 {
			runtime.GC()
			after = countResources()
			if after == before {
				return after
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("leak: before %+v, after %+v", before, after)
		return after
	}
}
