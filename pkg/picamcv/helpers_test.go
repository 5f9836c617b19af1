package picamcv

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/testenv"
	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
	"gocv.io/x/gocv"
)

// The cameras of testdata/virtual.yaml (at the repository's root).
const barsID = "picamgo-bars"

func TestMain(m *testing.M) {
	testenv.Setup()
	code := m.Run()
	// With -tags matprofile, every gocv Mat must be closed by now.
	if n := env.Settle().Extra; n > 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "%d gocv Mats left open:\n%s", n, matReport())
		code = 1
	}
	os.Exit(code)
}

// env counts what a leak would grow: fds, buffer mappings, goroutines and
// (with -tags matprofile; -1 without) open gocv Mats.
var env = testenv.Env{LiveMappings: libcamera.LiveMappings, Extra: matCount, ExtraName: "mats"}

// logBuffer collects a log for checks.
type logBuffer = testenv.LogBuffer

func newLogger(lb *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startCamera opens the bars camera, configures its main stream as NV12
// of the given size (unadjusted) and starts it. MaxFrameRate paces the
// virtual camera, which has no pacing of its own.
func startCamera(t testing.TB, size picam.Size) *picam.Camera {
	t.Helper()
	lb := &logBuffer{}
	c, err := picam.OpenWith(picam.Options{ID: barsID, MaxFrameRate: 500, StallTimeout: 2 * time.Second, Logger: newLogger(lb)})
	if err != nil {
		t.Fatalf("OpenWith(%s): %v", barsID, err)
	}
	t.Cleanup(func() {
		c.Close()
		if testing.Verbose() && lb.String() != "" {
			t.Logf("camera log:\n%s", lb)
		}
	})
	cfg := c.PreviewConfiguration()
	cfg.Main = picam.StreamConfig{Size: size, Format: picam.FormatNV12}
	cfg.ColorSpace = nil
	cfg.Strict = true
	if _, err := c.Configure(cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	applied, err := c.Configuration()
	if err != nil {
		t.Fatal(err)
	}
	barsSpace = applied.Main.ColorSpace
	if err := c.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return c
}

// barsSpace is the colour space the bars camera labels its frames with, as
// the last startCamera configured it. libcamera 0.7's virtual camera says
// Rec709 (0.4's none), while libyuv encodes its frames BT.601 limited range
// (SMPTE170M) whatever the label: converted as labelled, the bars come out
// in other colours (barsAs).
var barsSpace *picam.ColorSpace

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func capture(t testing.TB, c *picam.Camera) *picam.CompletedRequest {
	t.Helper()
	r, err := c.CaptureRequest(ctxT(t))
	if err != nil {
		t.Fatalf("CaptureRequest: %v", err)
	}
	return r
}

// checkLeaks returns a function that fails the test if fds, mappings,
// goroutines or (with -tags matprofile) gocv Mats grew since (see
// [testenv.Env.CheckLeaks]).
func checkLeaks(t testing.TB) func() {
	t.Helper()
	done := env.CheckLeaks(t)
	return func() {
		t.Helper()
		done()
	}
}

// bgrColour is one colour of the bars pattern, as B, G, R.
type bgrColour struct {
	name    string
	b, g, r int
}

// The virtual camera's "bars": eight vertical bars of width/8 columns.
var bars = []bgrColour{
	{"white", 255, 255, 255}, {"yellow", 0, 255, 255}, {"cyan", 255, 255, 0}, {"green", 0, 255, 0},
	{"magenta", 255, 0, 255}, {"red", 0, 0, 255}, {"blue", 255, 0, 0}, {"black", 0, 0, 0},
}

// barsTolerance: the pattern goes through libyuv's BT.601 limited-range
// ARGBToNV12 (8-bit fixed point, 2x2 chroma averages) and back through
// OpenCV's YUV2BGR_NV12 (the same matrix, 20-bit fixed point); saturated
// colours clip. Neighbouring bars differ by at least 255 in one channel.
const barsTolerance = 12

// checkBars checks a BGR image of frame number seq of the bars camera,
// converted in the colour space the camera labels it with.
func checkBars(t *testing.T, what string, bgr gocv.Mat, seq uint32) {
	t.Helper()
	checkBarsAs(t, what, bgr, seq, barsSpace)
}

// checkBarsAs checks a BGR image of frame number seq of the bars camera
// converted as if in colour space cs.
func checkBarsAs(t *testing.T, what string, bgr gocv.Mat, seq uint32, cs *picam.ColorSpace) {
	t.Helper()
	if bgr.Type() != gocv.MatTypeCV8UC3 {
		t.Fatalf("%s: type %v, want CV8UC3", what, bgr.Type())
	}
	if bad := barsErrs(bgr, seq, barsAs(cs)); len(bad) > 0 {
		t.Errorf("%s, frame %d: %d samples wrong:\n%s", what, seq, len(bad), strings.Join(bad, "\n"))
	}
}

// barsAs returns the colours of the bars once encoded BT.601 limited range,
// as the virtual camera does, and converted as if in colour space cs: the
// bars themselves for SMPTE170M or none.
func barsAs(cs *picam.ColorSpace) []bgrColour {
	out := make([]bgrColour, len(bars))
	for i, c := range bars {
		r, g, b := float64(c.r)/255, float64(c.g)/255, float64(c.b)/255
		ey := 0.299*r + 0.587*g + 0.114*b
		q := func(v float64) uint8 { return uint8(math.Round(v)) }
		y, cb, cr := q(16+219*ey), q(128+224*(b-ey)/1.772), q(128+224*(r-ey)/1.402)
		v := refBGR(cs, y, cb, cr)
		out[i] = bgrColour{c.name, int(math.Round(v[0])), int(math.Round(v[1])), int(math.Round(v[2]))}
	}
	return out
}

// barsErrs samples every bar of a BGR image of frame number seq of the
// bars camera: frame n shows the pattern scrolled left by n+1 columns (see
// libcamera/pattern_test.go). Each bar is sampled in its middle and one
// column inside each edge (a chroma block there is still the bar's own), on
// three rows, so that a scroll wrong by two columns or more fails.
func barsErrs(bgr gocv.Mat, seq uint32, colours []bgrColour) []string {
	w, h := bgr.Cols(), bgr.Rows()
	shift := (int(seq) + 1) % w
	bw := w / 8
	var bad []string
	for k, want := range colours {
		for _, tx := range []int{k*bw + 1, k*bw + bw/2, (k+1)*bw - 2} {
			x := ((tx-shift)%w + w) % w
			for _, y := range []int{h / 8, h / 2, h - 1 - h/8} {
				v := bgr.GetVecbAt(y, x)
				if absDiff(int(v[0]), want.b) > barsTolerance || absDiff(int(v[1]), want.g) > barsTolerance || absDiff(int(v[2]), want.r) > barsTolerance {
					bad = append(bad, fmt.Sprintf("bar %d (%s) at (%d, %d), scrolled by %d: BGR %v, want %d,%d,%d",
						k, want.name, x, y, shift, []uint8(v), want.b, want.g, want.r))
				}
			}
		}
	}
	return bad
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

func imageRect(w, h int) image.Rectangle { return image.Rect(0, 0, w, h) }
