package picam

import (
	"bytes"
	"errors"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// distinctInRow counts the colours of an image's first line.
func distinctInRow(img interface {
	At(x, y int) color.Color
}, w int) int {
	seen := map[color.RGBA]bool{}
	for x := range w {
		r, g, b, _ := img.At(x, 0).RGBA()
		seen[color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8)}] = true
	}
	return len(seen)
}

type failingWriter struct{ n int }

var errWrite = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n += len(p); w.n > 100 {
		return 0, errWrite
	}
	return len(p), nil
}

// TestCaptureToWriter writes frames of the virtual camera to memory in
// each format and quality, synchronously and as a Job, and checks what
// decodes from the bytes; a bad format fails before a frame is taken, and
// a failing writer gives its error back with the frame released.
func TestCaptureToWriter(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 64, Height: 48}, startOpts{NoQueue: true}) // Held is 0 between captures
	ctx := ctxT(t)

	var pngBuf bytes.Buffer
	md, err := c.CaptureTo(ctx, &pngBuf, Main, FileOptions{Format: "png"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := md.SensorTimestamp(); !ok {
		t.Error("no metadata returned")
	}
	img, err := png.Decode(&pngBuf)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 64 || img.Bounds().Dy() != 48 {
		t.Fatalf("PNG of %v", img.Bounds())
	}
	if n := distinctInRow(img, 64); n < 8 {
		t.Errorf("the PNG's first line has %d colours, not the 8 bars", n)
	}

	sizes := map[int]int{}
	for _, q := range []int{20, 95} {
		var buf bytes.Buffer
		if _, err := c.CaptureTo(ctx, &buf, Main, FileOptions{Format: "jpg", Quality: q}); err != nil {
			t.Fatal(err)
		}
		sizes[q] = buf.Len()
		if !bytes.Contains(buf.Bytes()[:32], []byte("Exif\x00\x00")) {
			t.Errorf("quality %d: no EXIF block at the start", q)
		}
		img, err := jpeg.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if n := distinctInRow(img, 64); n < 8 {
			t.Errorf("quality %d: the JPEG's first line has %d colours", q, n)
		}
	}
	if sizes[20] >= sizes[95] {
		t.Errorf("JPEG of quality 20 has %d bytes, of quality 95 %d: the quality was not applied", sizes[20], sizes[95])
	}

	var async bytes.Buffer
	if _, err := c.CaptureToAsync(ctx, &async, Main, FileOptions{Format: "png"}).Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&async); err != nil {
		t.Errorf("async PNG: %v", err)
	}

	if _, err := c.CaptureTo(ctx, &bytes.Buffer{}, Main, FileOptions{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no format: %v, want ErrInvalid", err)
	}
	if _, err := c.CaptureTo(ctx, &bytes.Buffer{}, Main, FileOptions{Format: "gif"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("gif: %v, want ErrUnsupported", err)
	}
	if _, err := c.CaptureTo(ctx, &bytes.Buffer{}, Main, FileOptions{Format: "dng"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("DNG of a YUV stream: %v, want ErrUnsupported", err)
	}
	if _, err := c.CaptureTo(ctx, &failingWriter{}, Main, FileOptions{Format: "png"}); !errors.Is(err, errWrite) {
		t.Errorf("failing writer: %v, want its error", err)
	}
	if got := c.Stats().Held; got != 0 {
		t.Errorf("%d requests held after the failed write: its frame was not given back", got)
	}
}
