package video

import (
	"fmt"
	"runtime"
	"time"

	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/codec"
)

// Encoder is what a recording encodes frames with: [H264], [MJPEG] or
// [YUV420] (Picamera2's H264Encoder, MJPEGEncoder/JpegEncoder and the null
// Encoder). It is a description: each recording opens an encoder of its own
// from it.
type Encoder interface {
	open(sc picam.StreamConfig) (frameEncoder, error)
}

// frameEncoder is an open encoder of one recording, used by its encoding
// goroutine only.
type frameEncoder interface {
	info() codec.StreamInfo
	// take reads the frame (copying what it needs): the request can be
	// released once it returns.
	take(img *codec.Image, pts time.Duration, key bool) error
	// encode calls emit with the packets the frame taken last gave.
	encode(emit func(codec.Packet) error) error
	flush(emit func(codec.Packet) error) error
	close()
}

// H264 is an H.264 encoder through FFmpeg's libavcodec: the Raspberry Pi
// 4's hardware encoder (h264_v4l2m2m) where it opens, otherwise libx264
// (Raspberry Pi 5, PCs). See [codec.H264Options] for each field; the zero
// value is libx264's ultrafast preset at CRF 23, tuned for low latency,
// with a keyframe every second.
type H264 struct {
	Codec         string
	Bitrate       int // bits/s; zero: quality mode (CRF)
	CRF, QP       int
	Preset, Tune  string
	Profile       string
	GOP           int // the intra period, in frames; zero: one second
	RepeatHeaders bool
	FrameRate     float64 // nominal; zero: 30
	// Threads is libx264's thread count. Zero leaves the program a core:
	// one thread fewer than the cores Go may use (runtime.NumCPU), at
	// least one. libx264's own choice (1.5 per core) keeps every core busy
	// for milliseconds per frame, and the program's goroutines wait behind
	// it: on 2 cores a 1 kHz heartbeat's p99 while recording 1080p30 was
	// 2.8 ms with it, 1.1 ms with one thread (docs/video.md).
	Threads int
	// Nice lowers the scheduling priority of the encoder: it runs on a
	// thread of its own (not one of Go's) whose nice value is raised by
	// Nice (1..19) before the encoder opens, and libx264's threads inherit
	// it. Zero means 10: a 1080p frame takes libx264 10-30 ms of CPU on
	// both cores of a small machine, and at the program's own priority it
	// delays the program's other threads (a control loop's goroutine, the
	// camera's completions) for up to a scheduler slice; niced, it yields
	// to them and encodes in the time left. [KeepPriority] leaves the
	// encoder at the program's priority.
	Nice int
}

func (h H264) open(sc picam.StreamConfig) (frameEncoder, error) {
	f, err := imageFormat(sc.Format)
	if err != nil {
		return nil, err
	}
	nice, err := niceOf(h.Nice)
	if err != nil {
		return nil, err
	}
	threads, err := threadsOf(h.Threads)
	if err != nil {
		return nil, err
	}
	enc, err := codec.NewH264(codec.H264Options{
		Width: int(sc.Size.Width), Height: int(sc.Size.Height), Format: f,
		Codec: h.Codec, Bitrate: h.Bitrate, CRF: h.CRF, QP: h.QP, Preset: h.Preset, Tune: h.Tune,
		Profile: h.Profile, GOP: h.GOP, RepeatHeaders: h.RepeatHeaders, FrameRate: h.FrameRate,
		Threads: threads, Nice: nice, Color: colorOf(sc.ColorSpace),
	})
	if err != nil {
		return nil, err
	}
	return &h264Encoder{enc: enc}, nil
}

type h264Encoder struct{ enc *codec.H264 }

func (e *h264Encoder) info() codec.StreamInfo {
	o := e.enc.Options()
	return codec.StreamInfo{Codec: codec.CodecH264, Width: o.Width, Height: o.Height,
		Headers: e.enc.Headers(), FrameRate: o.FrameRate, Color: o.Color}
}

func (e *h264Encoder) take(img *codec.Image, pts time.Duration, key bool) error {
	return e.enc.Take(img, pts, key)
}
func (e *h264Encoder) encode(emit func(codec.Packet) error) error { return e.enc.Encode(emit) }
func (e *h264Encoder) flush(emit func(codec.Packet) error) error  { return e.enc.Flush(emit) }
func (e *h264Encoder) close()                                     { e.enc.Close() }

// MJPEG encodes each frame as a JPEG with libjpeg-turbo (TurboJPEG),
// straight from the camera's 4:2:0 planes: for the MJPEG HTTP handler,
// .mjpeg files and Matroska. Y'CbCr values go into the JPEG as the camera
// gave them (as Picamera2's encoders do): a limited-range (video) stream
// decodes slightly flat.
type MJPEG struct {
	Quality int // 1..100; zero: 85
	// FrameRate is the nominal rate containers are told; zero: 30.
	FrameRate float64
}

func (m MJPEG) open(sc picam.StreamConfig) (frameEncoder, error) {
	f, err := imageFormat(sc.Format)
	if err != nil {
		return nil, err
	}
	q := m.Quality
	if q == 0 {
		q = 85
	}
	if q < 1 || q > 100 {
		return nil, fmt.Errorf("video: MJPEG quality %d (want 1..100): %w", q, ErrInvalid)
	}
	j, err := codec.NewJPEG()
	if err != nil {
		return nil, err
	}
	fps := m.FrameRate
	if fps == 0 {
		fps = 30
	}
	return &jpegEncoder{j: j, quality: q, si: codec.StreamInfo{Codec: codec.CodecMJPEG,
		Width: int(sc.Size.Width), Height: int(sc.Size.Height), FrameRate: fps, Color: colorOf(sc.ColorSpace)},
		format: f, interval: time.Duration(float64(time.Second) / fps)}, nil
}

type jpegEncoder struct {
	j        *codec.JPEG
	quality  int
	si       codec.StreamInfo
	format   codec.PixelFormat
	interval time.Duration
	out      codec.Packet
	ready    bool
	scratch  []byte // TurboJPEG writes here: room for the largest JPEG
}

func (e *jpegEncoder) info() codec.StreamInfo { return e.si }

// take compresses the frame at once, reading the camera's buffer in place:
// holding the request for one compression (about 4 ms at 1080p) saves a
// copy of the frame.
func (e *jpegEncoder) take(img *codec.Image, pts time.Duration, _ bool) error {
	data, err := e.j.Append(e.scratch[:0], img, e.quality)
	if err != nil {
		return err
	}
	e.scratch = data
	// The packet gets a buffer of its own size: outputs may keep it.
	out := make([]byte, len(data))
	copy(out, data)
	e.out = codec.Packet{Data: out, PTS: pts, DTS: pts, Duration: e.interval, Key: true}
	e.ready = true
	return nil
}

func (e *jpegEncoder) encode(emit func(codec.Packet) error) error {
	if !e.ready {
		return nil
	}
	e.ready = false
	return emit(e.out)
}

func (e *jpegEncoder) flush(func(codec.Packet) error) error { return nil }
func (e *jpegEncoder) close()                               { e.j.Close() }

// YUV420 passes frames on as they are, packed as planar YUV 4:2:0 (I420:
// Y, then Cb, then Cr, without row padding): a .yuv file plays with
// `ffplay -f rawvideo -pixel_format yuv420p -video_size WxH`.
type YUV420 struct{}

func (YUV420) open(sc picam.StreamConfig) (frameEncoder, error) {
	if _, err := imageFormat(sc.Format); err != nil {
		return nil, err
	}
	return &rawEncoder{si: codec.StreamInfo{Codec: codec.CodecYUV420, Width: int(sc.Size.Width), Height: int(sc.Size.Height), FrameRate: 30}}, nil
}

type rawEncoder struct {
	si    codec.StreamInfo
	out   codec.Packet
	ready bool
}

func (e *rawEncoder) info() codec.StreamInfo { return e.si }

func (e *rawEncoder) take(img *codec.Image, pts time.Duration, _ bool) error {
	w, h := img.Width, img.Height
	buf := make([]byte, 0, w*h*3/2)
	for r := range h {
		buf = append(buf, img.Planes[0][r*img.Strides[0]:r*img.Strides[0]+w]...)
	}
	if img.Format == codec.YUV420 {
		for p := 1; p <= 2; p++ {
			for r := range h / 2 {
				buf = append(buf, img.Planes[p][r*img.Strides[p]:r*img.Strides[p]+w/2]...)
			}
		}
	} else {
		u, v := buf[w*h:w*h+w*h/4], buf[w*h+w*h/4:w*h*3/2]
		for r := range h / 2 {
			row := img.Planes[1][r*img.Strides[1] : r*img.Strides[1]+w]
			for x := range w / 2 {
				u[r*w/2+x], v[r*w/2+x] = row[2*x], row[2*x+1]
			}
		}
		buf = buf[:w*h*3/2]
	}
	e.out = codec.Packet{Data: buf, PTS: pts, DTS: pts, Key: true}
	e.ready = true
	return nil
}

func (e *rawEncoder) encode(emit func(codec.Packet) error) error {
	if !e.ready {
		return nil
	}
	e.ready = false
	return emit(e.out)
}

func (e *rawEncoder) flush(func(codec.Packet) error) error { return nil }
func (e *rawEncoder) close()                               {}

// imageFormat maps the stream's format to the encoders' input.
func imageFormat(f picam.PixelFormat) (codec.PixelFormat, error) {
	switch f {
	case picam.FormatNV12:
		return codec.NV12, nil
	case picam.FormatYUV420:
		return codec.YUV420, nil
	}
	return 0, fmt.Errorf("video: stream format %v: the encoders take NV12 or YUV420: %w", f, ErrUnsupported)
}

// colorOf describes a stream's colour space to FFmpeg (its AVColor* values).
func colorOf(cs *picam.ColorSpace) codec.Color {
	if cs == nil {
		return codec.Color{}
	}
	var c codec.Color
	switch cs.Range {
	case libcamera.RangeLimited:
		c.Range = 1
	case libcamera.RangeFull:
		c.Range = 2
	}
	switch cs.YcbcrEncoding {
	case libcamera.YcbcrRec601:
		c.Matrix = 6
	case libcamera.YcbcrRec709:
		c.Matrix = 1
	case libcamera.YcbcrRec2020:
		c.Matrix = 9
	}
	switch cs.Primaries {
	case libcamera.PrimariesSmpte170m:
		c.Primaries = 6
	case libcamera.PrimariesRec709:
		c.Primaries = 1
	case libcamera.PrimariesRec2020:
		c.Primaries = 9
	}
	switch cs.TransferFunction {
	case libcamera.TransferRec709:
		c.Transfer = 1
	case libcamera.TransferSrgb:
		c.Transfer = 13
	case libcamera.TransferLinear:
		c.Transfer = 8
	}
	return c
}

// frameImage views one stream of a request as an encoder's input, without
// copying. libcamera gives NV12 and YUV420 in one plane on a Raspberry Pi
// and in several on other pipelines: both are split here (picam keeps its
// own splitting unexported).
func frameImage(f picam.Frame) (codec.Image, error) {
	pf, err := imageFormat(f.Format)
	if err != nil {
		return codec.Image{}, err
	}
	w, h, s := int(f.Size.Width), int(f.Size.Height), f.Stride
	img := codec.Image{Format: pf, Width: w, Height: h}
	sizes := []int{s * h, s * h / 2}
	strides := []int{s, s}
	if pf == codec.YUV420 {
		sizes = []int{s * h, s / 2 * h / 2, s / 2 * h / 2}
		strides = []int{s, s / 2, s / 2}
	}
	switch {
	case len(f.Planes) >= len(sizes):
		for i := range sizes {
			img.Planes[i] = f.Planes[i]
		}
	case len(f.Planes) == 1:
		all, off := f.Planes[0], 0
		for i, n := range sizes {
			if off+n > len(all) {
				n = len(all) - off // the last plane's padding may be missing
				if n <= 0 {
					return codec.Image{}, fmt.Errorf("video: %v: one plane of %d bytes: %w", f, len(all), ErrInvalid)
				}
			}
			img.Planes[i] = all[off : off+n]
			off += n
		}
	default:
		return codec.Image{}, fmt.Errorf("video: %v: %d planes: %w", f, len(f.Planes), ErrInvalid)
	}
	copy(img.Strides[:], strides)
	return img, nil
}

// threadsOf gives H264.Threads' value for libx264: zero becomes all the
// cores but one.
func threadsOf(n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("video: h264: %d threads (want 1 or more, 0 for all cores but one): %w", n, ErrInvalid)
	case n == 0:
		return max(1, runtime.NumCPU()-1), nil
	}
	return n, nil
}
