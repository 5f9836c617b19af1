package libcamera

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

// The test patterns of libcamera's virtual pipeline
// (src/libcamera/pipeline/virtual/test_pattern_generator.cpp), the same in
// every release that has the pipeline (0.4.0 to 0.7.x):
//
//   - configure (at Camera.Configure) draws an ARGB template of the stream's
//     size. "bars": eight vertical bars, white, yellow, cyan, green, magenta,
//     red, blue, black, each width/8 pixels wide (the colour of column x is
//     bar (x/(width/8))%8). "lines": white and black diagonal stripes,
//     width/10 pixels wide (pixel (x, y) is black when ((x+y)/(width/10))%2
//     is 1).
//   - every generateFrame, one per request the pipeline processes, first
//     rotates the template left by one column (shiftLeft in 0.4,
//     rotateLeft1Column later; the same operation), then converts it with
//     libyuv::ARGBToNV12 into the buffer: BT.601 limited range, Y per pixel,
//     Cb and Cr of the average of each 2x2 block, rows width bytes apart.
//
// So the n-th frame since Configure (n from 0) shows the template rotated
// left by n+1 columns: pixel (x, y) has the template's colour at
// ((x+n+1) mod width, y). Requests are processed in the order they are
// queued and complete in that order, so n is also the frame's sequence
// number after the first Start following Configure.

// patternTolerance is how many levels a sample may differ from the exact
// BT.601 value of its colour. libyuv works in 8-bit fixed point (Y =
// (66R+129G+25B+0x1080)>>8 and alike), its SIMD rows round a little
// differently from its C rows, and it averages the 2x2 chroma blocks with
// rounding (in two steps in newer releases). Over every sample of 30 frames
// of each configured size the largest difference measured was 0.55 levels in
// Y and 1.21 in Cb/Cr, on libcamera 0.4.0 and 0.7.1 alike. 3 levels leaves a
// margin for other libyuv builds and is far below any difference the pattern
// makes: neighbouring bars differ by at least 25 levels in Y, white and
// black by 219, so a frame scrolled one column too far or too little fails.
const patternTolerance = 3

// patternOf returns the pattern testdata/virtual.yaml gives camera id.
func patternOf(id string) (string, bool) {
	switch id {
	case barsID:
		return "bars", true
	case linesID:
		return "lines", true
	}
	return "", false
}

// checkPattern compares a captured frame with the test pattern its camera
// is configured with in testdata/virtual.yaml. frame is the number of frames
// the camera generated before this one since it was configured: the frame's
// sequence number after the first Start.
//
// Every sample checked is compared with the exact value of the scrolled
// template, bar and stripe edges included (a chroma block across an edge
// averages the colours, as libyuv does), so a frame scrolled by a wrong
// number of columns fails: for the bars any number but a multiple of the
// width, for the lines (periodic across by twice the stripe width) any but a
// multiple of that. To keep a long capture quick (a 640x480 frame costs
// about 25ms to check whole under the race detector) it checks every
// column of one row pair in sixteen, a different set each frame, so every
// row over sixteen frames; patternErr checks them all.
func checkPattern(t *testing.T, id string, size Size, b *FrameBuffer, frame int) {
	t.Helper()
	cfg := b.Stream().Configuration()
	if cfg.Size != size || cfg.PixelFormat != FormatNV12 {
		t.Errorf("camera %s frame %d: stream is %v, want %v NV12", id, frame, &cfg, size)
		return
	}
	planes := b.Planes()
	if len(planes) < 2 {
		t.Errorf("camera %s frame %d: %d planes, want NV12's 2 (Y, CbCr)", id, frame, len(planes))
		return
	}
	if err := patternRowsErr(id, size, int(cfg.Stride), planes[0].Data, planes[1].Data, frame, 16); err != nil {
		t.Error(err)
	}
}

// patternErr returns an error naming the first mismatches if the NV12 planes
// y and uv (rows stride bytes apart) differ anywhere from frame number frame
// of camera id's pattern by more than patternTolerance.
func patternErr(id string, size Size, stride int, y, uv []byte, frame int) error {
	return patternRowsErr(id, size, stride, y, uv, frame, 1)
}

// patternRowsErr is patternErr on the chroma rows r with r%every ==
// frame%every (and the luma rows they cover), every column of each.
func patternRowsErr(id string, size Size, stride int, y, uv []byte, frame, every int) error {
	name, ok := patternOf(id)
	if !ok {
		return fmt.Errorf("camera %s: no test pattern known for it", id)
	}
	w, h := int(size.Width), int(size.Height)
	if w < 10 || h < 2 || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("camera %s: size %v not checked (need even sizes, width >= 10)", id, size)
	}
	if stride < w {
		return fmt.Errorf("camera %s frame %d: stride %d below width %d", id, frame, stride, w)
	}
	if need := stride*(h-1) + w; len(y) < need {
		return fmt.Errorf("camera %s frame %d: Y plane %d bytes, want at least %d", id, frame, len(y), need)
	}
	if need := stride*(h/2-1) + w; len(uv) < need {
		return fmt.Errorf("camera %s frame %d: CbCr plane %d bytes, want at least %d", id, frame, len(uv), need)
	}
	want := expectedPattern(name, w, h)
	shift := (frame + 1) % w
	type sample struct {
		what string // "Y", "Cb" or "Cr"
		x, y int    // the pixel, or the top left one of a chroma block
		got  byte
		want float32
	}
	var bad int
	var first []sample
	mismatch := func(s sample) {
		if bad++; len(first) < 3 {
			first = append(first, s)
		}
	}
	for cy := frame % every; cy < h/2; cy += every {
		for _, yy := range [2]int{2 * cy, 2*cy + 1} {
			row := y[yy*stride : yy*stride+w]
			lo, hi := want.ylo[yy*w:(yy+1)*w], want.yhi[yy*w:(yy+1)*w]
			for x, got := range row {
				j := x + shift
				if j >= w {
					j -= w
				}
				if got < lo[j] || got > hi[j] {
					mismatch(sample{"Y", x, yy, got, want.y[yy*w+j]})
				}
			}
		}
		row := uv[cy*stride : cy*stride+w]
		lo, hi := want.clo[cy*2*w:(cy+1)*2*w], want.chi[cy*2*w:(cy+1)*2*w]
		for x := 0; x < w; x++ {
			// row[x] is Cb (x even) or Cr (x odd) of pixels x&^1 and x|1.
			k := 2*(x&^1+shift) + x&1
			if k >= 2*w {
				k -= 2 * w
			}
			if got := row[x]; got < lo[k] || got > hi[k] {
				s := sample{"Cb", x &^ 1, 2 * cy, got, want.cb[cy*w+k/2]}
				if x&1 == 1 {
					s.what, s.want = "Cr", want.cr[cy*w+k/2]
				}
				mismatch(s)
			}
		}
	}
	if bad == 0 {
		return nil
	}
	var msgs []string
	for _, s := range first {
		where := fmt.Sprintf("Y at (x=%d, y=%d)", s.x, s.y)
		if s.what != "Y" {
			where = fmt.Sprintf("%s of pixels (x=%d-%d, y=%d-%d)", s.what, s.x, s.x+1, s.y, s.y+1)
		}
		msgs = append(msgs, fmt.Sprintf("%s = %d, want %.1f±%d", where, s.got, s.want, patternTolerance))
	}
	return fmt.Errorf("camera %s frame %d: %d samples differ from the %s pattern scrolled left by %d columns; first: %s",
		id, frame, bad, name, shift, strings.Join(msgs, "; "))
}

// nv12Pattern is a pattern's unscrolled template in exact BT.601 limited
// range values: y[r*w+j] is the Y of template pixel (j, r); cb and cr
// [r*w+j] are those of the 2x2 block of template columns j and j+1 (mod w)
// and rows 2r and 2r+1, which a frame scrolled by s shows at chroma column
// (j-s)/2 when j-s is even. The lo and hi slices are the byte values within
// patternTolerance of them; clo and chi interleave Cb and Cr as NV12 does
// ([2*(r*w+j)] Cb, [2*(r*w+j)+1] Cr).
type nv12Pattern struct {
	y, cb, cr          []float32
	ylo, yhi, clo, chi []uint8
}

var patternCache sync.Map // "name WxH" -> *nv12Pattern

func expectedPattern(name string, w, h int) *nv12Pattern {
	key := fmt.Sprintf("%s %dx%d", name, w, h)
	if p, ok := patternCache.Load(key); ok {
		return p.(*nv12Pattern)
	}
	p := &nv12Pattern{
		y: make([]float32, w*h), cb: make([]float32, w*h/2), cr: make([]float32, w*h/2),
		ylo: make([]uint8, w*h), yhi: make([]uint8, w*h), clo: make([]uint8, w*h), chi: make([]uint8, w*h),
	}
	bounds := func(v float32) (lo, hi uint8) {
		return uint8(max(0, math.Ceil(float64(v)-patternTolerance))), uint8(min(255, math.Floor(float64(v)+patternTolerance)))
	}
	// The exact values of each template pixel, then of each 2x2 block:
	// the conversion is affine, so a block's value is its pixels' mean.
	var cb, cr = make([]float64, w*h), make([]float64, w*h)
	for r := range h {
		for j := range w {
			i := r*w + j
			y, b, c := ycbcr(templateRGB(name, w, j, r))
			p.y[i], cb[i], cr[i] = y, float64(b), float64(c)
			p.ylo[i], p.yhi[i] = bounds(y)
		}
	}
	for r := range h / 2 {
		for j := range w {
			a, b := 2*r*w+j, 2*r*w+(j+1)%w // top left and top right; +w below
			i := r*w + j
			p.cb[i] = float32((cb[a] + cb[b] + cb[a+w] + cb[b+w]) / 4)
			p.cr[i] = float32((cr[a] + cr[b] + cr[a+w] + cr[b+w]) / 4)
			p.clo[2*i], p.chi[2*i] = bounds(p.cb[i])
			p.clo[2*i+1], p.chi[2*i+1] = bounds(p.cr[i])
		}
	}
	p2, _ := patternCache.LoadOrStore(key, p)
	return p2.(*nv12Pattern)
}

// templateRGB is the colour libcamera's generator draws at (x, y) of a
// template w pixels wide.
func templateRGB(name string, w, x, y int) [3]uint8 {
	switch name {
	case "bars":
		bars := [8][3]uint8{
			{0xff, 0xff, 0xff}, // white
			{0xff, 0xff, 0x00}, // yellow
			{0x00, 0xff, 0xff}, // cyan
			{0x00, 0xff, 0x00}, // green
			{0xff, 0x00, 0xff}, // magenta
			{0xff, 0x00, 0x00}, // red
			{0x00, 0x00, 0xff}, // blue
			{0x00, 0x00, 0x00}, // black
		}
		return bars[(x/(w/8))%8]
	case "lines":
		if ((x+y)/(w/10))%2 == 1 {
			return [3]uint8{0, 0, 0}
		}
		return [3]uint8{0xff, 0xff, 0xff}
	}
	panic("unknown pattern " + name)
}

// ycbcr converts R'G'B' to BT.601 limited range Y'CbCr, exactly.
func ycbcr(c [3]uint8) (y, cb, cr float32) {
	r, g, b := float64(c[0])/255, float64(c[1])/255, float64(c[2])/255
	return float32(16 + 219*(0.299*r+0.587*g+0.114*b)),
		float32(128 + 224*(-0.168736*r-0.331264*g+0.5*b)),
		float32(128 + 224*(0.5*r-0.418688*g-0.081312*b))
}

// TestPatternDetectsCorruption shows that the pattern check can fail: real
// frames of both cameras pass, and copies of them fail when one sample is
// moved just past the tolerance, when checked as another frame number (the
// scroll differs) or against the other camera's pattern.
func TestPatternDetectsCorruption(t *testing.T) {
	for _, tc := range []struct {
		id, other string
		size      Size
	}{{barsID, linesID, Size{640, 480}}, {linesID, barsID, Size{320, 240}}} {
		t.Run(tc.id, func(t *testing.T) {
			r := newRig(t, tc.id, tc.size, AllocatorMemfd)
			stride := int(r.stream.Configuration().Stride)
			w, h := int(tc.size.Width), int(tc.size.Height)
			name, _ := patternOf(tc.id)
			want := expectedPattern(name, w, h)
			r.start(t)
			// Frames 0 and 1: an odd and an even scroll, so the chroma
			// blocks straddle the template's column pairs once and not
			// the other time.
			var frames [2][2][]byte
			for i := range frames {
				req := r.next(t)
				if req.Sequence() != uint32(i) {
					t.Fatalf("frame %d has sequence %d", i, req.Sequence())
				}
				p := req.Buffer(r.stream).Planes()
				frames[i] = [2][]byte{append([]byte(nil), p[0].Data...), append([]byte(nil), p[1].Data...)}
				if err := patternErr(tc.id, tc.size, stride, frames[i][0], frames[i][1], i); err != nil {
					t.Fatalf("real frame: %v", err)
				}
				r.requeue(t, req)
			}
			r.stopAndDrain(t)

			for i, f := range frames {
				for _, wrong := range []int{i - 1, i + 1, i + 7} {
					if wrong < 0 {
						continue
					}
					if err := patternErr(tc.id, tc.size, stride, f[0], f[1], wrong); err == nil {
						t.Errorf("frame %d checked as frame %d: no error", i, wrong)
					} else {
						t.Logf("frame %d checked as frame %d: %v", i, wrong, err)
					}
				}
				if err := patternErr(tc.other, tc.size, stride, f[0], f[1], i); err == nil {
					t.Errorf("frame %d checked against %s's pattern: no error", i, tc.other)
				}
			}

			// One sample at a time, set to the edge of the tolerance (still
			// passes) and one level beyond it (fails, and the error names it).
			const frame = 1
			shift := frame + 1
			x, yy, cx, cy := w/2+3, h/2+1, w/4+1, h/4
			blk := fmt.Sprintf("of pixels (x=%d-%d, y=%d-%d)", 2*cx, 2*cx+1, 2*cy, 2*cy+1)
			for _, s := range []struct {
				what  string // as the error names the sample
				plane int
				off   int
				exp   float32
			}{
				{fmt.Sprintf("Y at (x=%d, y=%d)", x, yy), 0, yy*stride + x, want.y[yy*w+(x+shift)%w]},
				{"Cb " + blk, 1, cy*stride + 2*cx, want.cb[cy*w+(2*cx+shift)%w]},
				{"Cr " + blk, 1, cy*stride + 2*cx + 1, want.cr[cy*w+(2*cx+shift)%w]},
				{fmt.Sprintf("Y at (x=%d, y=%d)", w-1, h-1), 0, (h-1)*stride + w - 1, want.y[(h-1)*w+(w-1+shift)%w]},
			} {
				// Towards mid-grey, so the byte cannot saturate.
				dir := float32(1)
				if s.exp > 128 {
					dir = -1
				}
				edge := byte(math.Floor(float64(s.exp + patternTolerance)))
				if dir < 0 {
					edge = byte(math.Ceil(float64(s.exp - patternTolerance)))
				}
				beyond := byte(int(edge) + int(dir))
				for _, v := range []byte{edge, beyond} {
					p := [2][]byte{append([]byte(nil), frames[frame][0]...), append([]byte(nil), frames[frame][1]...)}
					p[s.plane][s.off] = v
					err := patternErr(tc.id, tc.size, stride, p[0], p[1], frame)
					switch named := fmt.Sprintf("1 samples differ from the %s pattern scrolled left by %d columns; first: %s = %d, want %.1f±%d",
						name, shift, s.what, v, s.exp, patternTolerance); {
					case v == edge && err != nil:
						t.Errorf("%s set to %d (want %.1f): within tolerance, but %v", s.what, v, s.exp, err)
					case v == beyond && err == nil:
						t.Errorf("%s set to %d (want %.1f): beyond tolerance, but no error", s.what, v, s.exp)
					case v == beyond && !strings.HasSuffix(err.Error(), named):
						t.Errorf("%s set to %d: error %q does not end %q", s.what, v, err, named)
					case err != nil:
						t.Logf("%s corrupted: %v", s.what, err)
					}
				}
			}
		})
	}
}
