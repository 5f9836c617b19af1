package picam

import (
	"context"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"sync"
	"testing"
	"time"
)

// barLevels are the Y values of the virtual camera's eight colour bars
// (BT.601 limited range: white, yellow, cyan, green, magenta, red, blue,
// black).
var barLevels = []byte{235, 210, 169, 144, 107, 82, 41, 16}

// checkBars checks a frame of the bars camera: each line is the eight bars,
// scrolled left by one pixel per frame.
func checkBars(t *testing.T, f Frame, seq uint32) {
	t.Helper()
	img, err := f.Image()
	if err != nil {
		t.Fatal(err)
	}
	nv, ok := img.(*NV12)
	if !ok {
		t.Fatalf("%v: image %T, want *NV12", f, img)
	}
	w, h := int(f.Size.Width), int(f.Size.Height)
	bar := w / 8
	for _, y := range []int{0, h / 2, h - 1} {
		// Find the scroll: where the black-to-white edge is.
		row := nv.Y[y*nv.YStride : y*nv.YStride+w]
		shift := -1
		for x := range w {
			if row[x] == 235 && row[(x+w-1)%w] == 16 {
				shift = (w - x) % w
				break
			}
		}
		if shift < 0 {
			t.Fatalf("%v seq %d line %d: no bars edge in %v", f, seq, y, row)
		}
		for i, level := range barLevels {
			x := (i*bar + bar/2 - shift + w) % w
			if got := nv.YCbCrAt(x, y).Y; got != level {
				t.Fatalf("%v seq %d: bar %d at x=%d line %d has Y %d, want %d (shift %d)", f, seq, i, x, y, got, level, shift)
			}
		}
	}
}

// scroll returns the bars' scroll of a frame (see checkBars).
func scroll(f Frame) int {
	w := int(f.Size.Width)
	row := f.Planes[0][:w]
	for x := range w {
		if row[x] == 235 && row[(x+w-1)%w] == 16 {
			return (w - x) % w
		}
	}
	return -1
}

func TestCaptureFrames(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	var prev struct {
		seq    uint32
		ts     int64
		scroll int
	}
	for i := range 60 {
		r := capture(t, c)
		f, err := r.Frame(Main)
		if err != nil {
			t.Fatal(err)
		}
		seq, ts := r.Sequence(), r.SensorTimestamp()
		md, err := r.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		if mts, ok := md.SensorTimestamp(); !ok || mts != ts {
			t.Fatalf("metadata SensorTimestamp %d %v, request %d", mts, ok, ts)
		}
		if d := time.Since(r.Time()); d < 0 || d > 5*time.Second {
			t.Errorf("frame time %v is %v ago", r.Time(), d)
		}
		checkBars(t, f, seq)
		sc := scroll(f)
		if i > 0 {
			if seq <= prev.seq || ts <= prev.ts {
				t.Fatalf("frame %d: sequence %d ts %d after %d, %d", i, seq, ts, prev.seq, prev.ts)
			}
			// One pixel of scroll per frame the camera produced: the
			// sequence gap is the number of frames in between.
			if want := (prev.scroll + int(seq-prev.seq)) % 640; sc != want {
				t.Fatalf("frame %d: scroll %d after %d, sequence %d after %d", i, sc, prev.scroll, seq, prev.seq)
			}
		}
		prev.seq, prev.ts, prev.scroll = seq, ts, sc
		if err := r.Release(); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if st.Frames < 60 || st.Leaked != 0 || st.Stalls != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestLinesCamera(t *testing.T) {
	c, _ := startCamera(t, linesID, Size{Width: 320, Height: 240}, startOpts{})
	r := capture(t, c)
	defer r.Release()
	img, err := r.Image(Main)
	if err != nil {
		t.Fatal(err)
	}
	// Diagonal black and white lines, no colour.
	levels := map[uint8]bool{}
	for y := 0; y < 240; y += 7 {
		for x := 0; x < 320; x += 5 {
			p := img.(*NV12).YCbCrAt(x, y)
			levels[p.Y] = true
			if p.Cb != 128 || p.Cr != 128 {
				t.Fatalf("(%d,%d) = %v, want grey", x, y, p)
			}
		}
	}
	if !levels[16] || !levels[235] {
		t.Errorf("levels %v, want black (16) and white (235)", levels)
	}
}

func TestFlush(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 64, Height: 48}, startOpts{})
	capture(t, c).Release()
	time.Sleep(30 * time.Millisecond) // the camera keeps its newest frame back
	before := MonotonicNow()
	stale := capture(t, c)
	if stale.SensorTimestamp() >= before {
		t.Logf("queued frame is from after the call (%d >= %d)", stale.SensorTimestamp(), before)
	}
	stale.Release()
	time.Sleep(30 * time.Millisecond)
	for _, opt := range []func() CaptureOption{Flush, func() CaptureOption { return After(time.Now()) }} {
		before := MonotonicNow()
		r := capture(t, c, opt())
		if ts := r.SensorTimestamp(); ts < before {
			t.Errorf("flushed frame started at %d, before the call at %d", ts, before)
		}
		r.Release()
	}
	// A time in the past takes the queued frame at once.
	time.Sleep(30 * time.Millisecond)
	r := capture(t, c, After(time.Now().Add(-time.Hour)))
	if r.SensorTimestamp() >= MonotonicNow() {
		t.Error("frame from the future")
	}
	r.Release()
}

func TestConcurrentCaptures(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 4 {
		wg.Go(func() {
			var last uint32
			for i := range 25 {
				r, err := c.CaptureRequest(context.Background())
				if err != nil {
					errs <- err
					return
				}
				if i > 0 && r.Sequence() <= last {
					t.Errorf("goroutine %d: sequence %d after %d", g, r.Sequence(), last)
				}
				last = r.Sequence()
				f, _ := r.Frame(Main)
				cp := f.Clone() // copy on this goroutine, while held
				r2 := r.Acquire()
				r.Release()
				if _, err := cp.Image(); err != nil {
					errs <- err
				}
				r2.Release()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st := c.Stats(); st.Leaked != 0 || st.Stalls != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestCopies(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	ctx := ctxT(t)
	f, md, err := c.CaptureFrame(ctx, Main)
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := md.SensorTimestamp()
	if seq == 0 || f.Len() != 640*480*3/2 {
		t.Errorf("CaptureFrame: %v, md %v", f, md)
	}
	// The copy is ours: more captures do not change it.
	before := f.AppendBytes(nil)
	for range 5 {
		capture(t, c).Release()
	}
	if string(before) != string(f.AppendBytes(nil)) {
		t.Error("captured frame changed after more captures")
	}
	buf, err := c.CaptureBuffer(ctx, Main)
	if err != nil || len(buf) != 640*480*3/2 {
		t.Errorf("CaptureBuffer: %d bytes, %v", len(buf), err)
	}
	img, err := c.CaptureImage(ctx, Main)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 640, 480) {
		t.Errorf("CaptureImage bounds %v", img.Bounds())
	}
	// The first bar is white, the last black.
	rgba := ToRGBA(img)
	sc := scroll(f)
	_ = sc
	if md, err := c.CaptureMetadata(ctx); err != nil || len(md.Map()) == 0 {
		t.Errorf("CaptureMetadata: %v %v", md, err)
	}
	var white, black bool
	for x := 0; x < 640; x += 4 {
		switch rgba.RGBAAt(x, 100) {
		case color.RGBA{235, 235, 235, 255}:
			white = true
		case color.RGBA{16, 16, 16, 255}:
			black = true
		}
	}
	if !white || !black {
		t.Error("no white or black bar in the RGBA conversion")
	}
	dir := t.TempDir()
	for _, name := range []string{"a.jpg", "b.JPEG", "c.png"} {
		md, err := c.CaptureFile(ctx, dir+"/"+name, Main)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := md.SensorTimestamp(); !ok {
			t.Errorf("%s: metadata %v", name, md)
		}
		checkImageFile(t, dir+"/"+name, 640, 480)
	}
	if _, err := c.CaptureFile(ctx, dir+"/d.bmp", Main); !errors.Is(err, ErrUnsupported) {
		t.Errorf("CaptureFile(.bmp) = %v, want ErrUnsupported", err)
	}
	if _, err := os.Stat(dir + "/d.bmp"); err == nil {
		t.Error("a .bmp file was written")
	}
	if err := c.DropFrames(ctx, 3); err != nil {
		t.Fatal(err)
	}
}

func checkImageFile(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil || cfg.Width != w || cfg.Height != h {
		t.Errorf("%s: %s %dx%d, %v; want %dx%d", path, format, cfg.Width, cfg.Height, err, w, h)
	}
}
