package codec

import (
	"bytes"
	"errors"
	"image/jpeg"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/picamgo/picamgo/pkg/video/internal/bars"
)

const interval = 33333333 * time.Nanosecond // 30 frames/s

// barsImage is frame n of the virtual camera's bars, NV12 with rows stride
// bytes apart (padding filled with junk, which must not show).
func barsImage(w, h, n, stride int) *Image {
	y, uv := bars.NV12(w, h, n)
	if stride > w {
		py, puv := bytes.Repeat([]byte{0xEE}, stride*h), bytes.Repeat([]byte{0x11}, stride*h/2)
		for r := 0; r < h; r++ {
			copy(py[r*stride:], y[r*w:(r+1)*w])
		}
		for r := 0; r < h/2; r++ {
			copy(puv[r*stride:], uv[r*w:(r+1)*w])
		}
		y, uv = py, puv
	} else {
		stride = w
	}
	return &Image{Format: NV12, Width: w, Height: h, Planes: [3][]byte{y, uv}, Strides: [3]int{stride, stride}}
}

// checkLive fails the test if FFmpeg or TurboJPEG objects are left open.
func checkLive(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		if l := LiveCounts(); l != (Live{}) {
			t.Errorf("left open: %v", l)
		}
	})
}

// encodeFrames encodes frames numbered by seqs (a gap is a dropped frame)
// with pts (seq-first)*interval, and returns the packets.
func encodeFrames(t *testing.T, opts H264Options, seqs []int, stride int) (*H264, []Packet) {
	t.Helper()
	enc, err := NewH264(opts)
	if err != nil {
		t.Fatalf("NewH264: %v", err)
	}
	t.Cleanup(func() { enc.Close() })
	var pkts []Packet
	collect := func(p Packet) error { pkts = append(pkts, p); return nil }
	for _, n := range seqs {
		if err := enc.Take(barsImage(opts.Width, opts.Height, n, stride), time.Duration(n-seqs[0])*interval, false); err != nil {
			t.Fatalf("Take %d: %v", n, err)
		}
		if err := enc.Encode(collect); err != nil {
			t.Fatalf("Encode %d: %v", n, err)
		}
	}
	if err := enc.Flush(collect); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return enc, pkts
}

func TestH264ToMP4(t *testing.T) {
	bars.Need(t)
	checkLive(t)
	const w, h = 320, 240
	// 40 frames, frame 20 dropped by the camera: 39 encoded.
	var seqs []int
	for n := 5; n < 45; n++ {
		if n != 25 {
			seqs = append(seqs, n)
		}
	}
	for _, tune := range []string{"", "none"} { // zerolatency, and B-frames (veryfast's 3)
		t.Run("tune="+tune, func(t *testing.T) {
			enc, pkts := encodeFrames(t, H264Options{Width: w, Height: h, Preset: "veryfast", Tune: tune}, seqs, 384)
			if enc.Name() != "libx264" {
				t.Errorf("encoder %s, want libx264 (no hardware encoder here)", enc.Name())
			}
			if enc.Fallback() == nil {
				t.Errorf("no reason given for not using h264_v4l2m2m")
			}
			if len(pkts) != len(seqs) {
				t.Fatalf("%d packets for %d frames", len(pkts), len(seqs))
			}
			if !pkts[0].Key || len(enc.Headers()) == 0 || !HasParameterSets(pkts[0].Data) {
				t.Fatalf("first packet: key %v, headers %d bytes", pkts[0].Key, len(enc.Headers()))
			}
			path := filepath.Join(t.TempDir(), "bars.mp4")
			m, err := CreateMuxer(path, StreamInfo{Codec: CodecH264, Width: w, Height: h, Headers: enc.Headers(), FrameRate: 30}, MuxerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pkts {
				if err := m.Write(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			checkBarsFile(t, path, "", w, h, seqs, true)
		})
	}
}

// checkBarsFile checks that path holds the frames seqs of the bars, each
// with its pts (when withPTS), in order.
func checkBarsFile(t *testing.T, path, format string, w, h int, seqs []int, withPTS bool) {
	t.Helper()
	p := bars.ProbeFile(t, path, format)
	if p.Codec != "h264" || p.Width != w || p.Height != h || p.Frames != len(seqs) {
		t.Fatalf("%s: %v; want h264 %dx%d, %d frames", path, p, w, h, len(seqs))
	}
	if withPTS {
		if p.TimeBase != "1/1000000" {
			t.Errorf("time base %s, want 1/1000000", p.TimeBase)
		}
		for i, n := range seqs {
			if want := int64(time.Duration(n-seqs[0]) * interval / time.Microsecond); p.PTS[i] != want {
				t.Errorf("frame %d (seq %d): pts %d µs, want %d", i, n, p.PTS[i], want)
			}
		}
		span := time.Duration(seqs[len(seqs)-1]-seqs[0]+1) * interval
		if d := time.Duration(p.Duration * float64(time.Second)); d < span-time.Millisecond || d > span+time.Millisecond {
			t.Errorf("duration %v, want %v (the span plus one frame)", d, span)
		}
	}
	for i, f := range bars.DecodeGray(t, path, format, w, h) {
		x, err := bars.FindWhite(f, w, h, w)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if want := bars.WhiteX(w, seqs[i]); x != want {
			t.Errorf("frame %d: white bar at %d, want %d (frame %d)", i, x, want, seqs[i])
		}
	}
}

func TestMuxFormats(t *testing.T) {
	bars.Need(t)
	checkLive(t)
	const w, h = 320, 240
	seqs := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	enc, pkts := encodeFrames(t, H264Options{Width: w, Height: h, RepeatHeaders: true}, seqs, w)
	info := StreamInfo{Codec: CodecH264, Width: w, Height: h, Headers: enc.Headers(), FrameRate: 30}
	for _, tc := range []struct {
		name, format string
		writer       bool // through an io.Writer that cannot seek
	}{
		{"a.mkv", "", false}, {"a.ts", "", false}, {"a.mov", "", false},
		{"w.mp4", "mp4", true}, {"w.mkv", "mkv", true}, {"w.ts", "ts", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name)
			var m *Muxer
			var err error
			var buf bytes.Buffer
			if tc.writer {
				m, err = NewMuxer(&buf, info, MuxerOptions{Format: tc.format})
			} else {
				m, err = CreateMuxer(path, info, MuxerOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pkts {
				if err := m.Write(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			if tc.writer {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// MPEG-TS keeps a 90 kHz clock: its pts are checked through the others.
			checkBarsFile(t, path, "", w, h, seqs, false)
		})
	}
}

// failingWriter fails every write after the first n bytes.
type failingWriter struct {
	n   int
	got int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.got+len(p) > f.n {
		return 0, syscall.ENOSPC
	}
	f.got += len(p)
	return len(p), nil
}

func TestMuxWriterFails(t *testing.T) {
	checkLive(t)
	const w, h = 320, 240
	var seqs []int
	for n := range 60 {
		seqs = append(seqs, n)
	}
	enc, pkts := encodeFrames(t, H264Options{Width: w, Height: h}, seqs, w)
	fw := &failingWriter{n: 20000}
	m, err := NewMuxer(fw, StreamInfo{Codec: CodecH264, Width: w, Height: h, Headers: enc.Headers()}, MuxerOptions{Format: "mkv"})
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for _, p := range pkts {
		if werr = m.Write(p); werr != nil {
			break
		}
	}
	cerr := m.Close()
	err = errors.Join(werr, cerr)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("error %v, want one matching ENOSPC", err)
	}
	t.Logf("error: %v", err)
}

func TestErrors(t *testing.T) {
	checkLive(t)
	if _, err := NewH264(H264Options{Width: 320, Height: 240, Codec: "no-such-encoder"}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown encoder: %v, want ErrUnsupported", err)
	}
	if _, err := NewH264(H264Options{Width: 321, Height: 240, Codec: "libx264"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("odd width: %v, want ErrInvalid", err)
	}
	for _, n := range []int{-1, 20} {
		if _, err := NewH264(H264Options{Width: 320, Height: 240, Codec: "libx264", Nice: n}); !errors.Is(err, ErrInvalid) {
			t.Errorf("nice %d: %v, want ErrInvalid", n, err)
		}
	}
	if _, err := NewH264(H264Options{Width: 320, Height: 240, Preset: "warp"}); err == nil {
		t.Errorf("preset warp accepted")
	} else {
		t.Logf("preset warp: %v", err)
	}
	_, err := NewH264(H264Options{Width: 320, Height: 240, Codec: "h264_v4l2m2m"})
	t.Logf("h264_v4l2m2m: %v", err) // opens on a Raspberry Pi 4 only
	enc, err := NewH264(H264Options{Width: 320, Height: 240})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	short := barsImage(320, 240, 0, 320)
	short.Planes[1] = short.Planes[1][:100]
	if err := enc.Take(short, 0, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("short plane: %v, want ErrInvalid", err)
	}
	if _, err := CreateMuxer(filepath.Join(t.TempDir(), "a.nosuch"), StreamInfo{Width: 320, Height: 240}, MuxerOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown container: %v, want ErrUnsupported", err)
	}
	if _, err := CreateMuxer(filepath.Join(t.TempDir(), "no", "dir", "a.mp4"), StreamInfo{Width: 320, Height: 240}, MuxerOptions{}); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing directory: %v, want ENOENT", err)
	}
	j, err := NewJPEG()
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := j.Append(nil, barsImage(320, 240, 0, 320), 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("quality 0: %v, want ErrInvalid", err)
	}
}

func TestJPEG(t *testing.T) {
	checkLive(t)
	j, err := NewJPEG()
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	const w, h = 640, 480
	for _, n := range []int{0, 17, 333} {
		for _, yuv420 := range []bool{false, true} {
			img := barsImage(w, h, n, 704)
			if yuv420 {
				img = toYUV420(img)
			}
			out, err := j.Append([]byte("prefix"), img, 85)
			if err != nil {
				t.Fatal(err)
			}
			if string(out[:6]) != "prefix" {
				t.Fatalf("Append lost dst's bytes")
			}
			m, err := jpeg.Decode(bytes.NewReader(out[6:]))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if b := m.Bounds(); b.Dx() != w || b.Dy() != h {
				t.Fatalf("decoded %v", b)
			}
			checkJPEGBars(t, m, n)
		}
	}
}

func toYUV420(img *Image) *Image {
	w, h, s := img.Width, img.Height, img.Strides[1]
	u, v := make([]byte, w/2*h/2), make([]byte, w/2*h/2)
	for r := 0; r < h/2; r++ {
		for x := 0; x < w/2; x++ {
			u[r*w/2+x] = img.Planes[1][r*s+2*x]
			v[r*w/2+x] = img.Planes[1][r*s+2*x+1]
		}
	}
	return &Image{Format: YUV420, Width: w, Height: h, Planes: [3][]byte{img.Planes[0], u, v}, Strides: [3]int{img.Strides[0], w / 2, w / 2}}
}

func TestNoLeaks(t *testing.T) {
	checkLive(t)
	g := runtime.NumGoroutine()
	for range 50 {
		_, _ = encodeFrames(t, H264Options{Width: 64, Height: 48}, []int{0, 1, 2}, 64)
	}
	if n := runtime.NumGoroutine(); n > g {
		t.Errorf("goroutines %d -> %d", g, n)
	}
}
