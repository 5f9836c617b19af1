package codec

/*
#include <stdlib.h>
#include "codec.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"time"
	"unsafe"
)

// H264Options configure an H.264 encoder. The zero value (with a size)
// is libx264's ultrafast preset at CRF 23, tuned for low latency, a
// keyframe every second at 30 frames/s.
type H264Options struct {
	Width, Height int
	Format        PixelFormat
	// Codec is libavcodec's encoder: "" tries the hardware encoder
	// h264_v4l2m2m (Raspberry Pi 4) and falls back to libx264 (Raspberry Pi
	// 5 has none); name one to use only it.
	Codec string
	// Bitrate in bits/s selects constant-bitrate-like coding; otherwise
	// CRF (1..51, lower is better; default 23) or, if set, QP.
	Bitrate int
	CRF     int
	QP      int
	// Preset is libx264's speed preset ("ultrafast" .. "veryslow");
	// "" means "ultrafast", as Picamera2 on a Raspberry Pi 5.
	Preset string
	// Tune is libx264's tune: "" means "zerolatency" (no B-frames, each
	// frame's packet out at once); "none" for none.
	Tune string
	// Profile: "baseline", "main", "high"; "" lets the encoder choose.
	Profile string
	// GOP is the number of frames from one keyframe to the next (the
	// intra period); zero means one second of frames.
	GOP int
	// RepeatHeaders puts the SPS and PPS before every keyframe, not only
	// the first, for streams that are joined midway (Picamera2's repeat).
	RepeatHeaders bool
	// FrameRate is the nominal rate (zero: 30). Timestamps, not this rate,
	// time the frames; it sets the rate control's expectations and the
	// duration of a packet the encoder gives none.
	FrameRate float64
	// Threads for libx264; zero: automatic.
	Threads int
	// Nice is added to the nice value of the encoder's threads (0..19; the
	// result at most 19): the thread each encode runs on, which opens the
	// encoder, and libx264's threads, which inherit it. Zero keeps the
	// program's priority.
	Nice int
	// Color describes the frames' colour in the stream (its VUI).
	Color Color
}

// Color is how Y'CbCr frames are to be read, as FFmpeg's AVColor* values
// (0: unspecified).
type Color struct {
	Range     int // 1 limited (16-235), 2 full
	Matrix    int // 1 BT.709, 6 BT.601 (SMPTE 170M), 9 BT.2020
	Primaries int // 1 BT.709, 6 SMPTE 170M, 9 BT.2020
	Transfer  int // 1 BT.709, 6 SMPTE 170M, 13 sRGB
}

// H264 is an open H.264 encoder. Its methods must not be called
// concurrently.
//
// The encoder runs on a thread of its own, not a Go one: Encode posts the
// frame there and waits for its packets on an eventfd through Go's
// poller, so the 10-30 ms of a 1080p encode hold none of the program's Go
// threads or processors (a cgo call that long keeps a processor in a
// system call until the runtime's monitor, which may sleep 10 ms, takes it
// back: the program's other goroutines wait meanwhile).
type H264 struct {
	e        *C.pv_h264
	w        *C.pv_h264_worker
	done     *os.File // the worker's eventfd
	name     string
	headers  []byte
	opts     H264Options
	fallback error
}

// NewH264 opens an encoder.
func NewH264(opts H264Options) (*H264, error) {
	if opts.FrameRate == 0 {
		opts.FrameRate = 30
	}
	if opts.FrameRate < 0 || math.IsNaN(opts.FrameRate) || math.IsInf(opts.FrameRate, 0) {
		return nil, fmt.Errorf("codec: h264: frame rate %v: %w", opts.FrameRate, ErrInvalid)
	}
	if opts.Format != NV12 && opts.Format != YUV420 {
		return nil, fmt.Errorf("codec: h264: format %v: %w", opts.Format, ErrInvalid)
	}
	if opts.Nice < 0 || opts.Nice > 19 {
		return nil, fmt.Errorf("codec: h264: nice %d (want 0..19): %w", opts.Nice, ErrInvalid)
	}
	if opts.CRF < 0 || opts.CRF > 51 || opts.QP < 0 || opts.QP > 69 || opts.Bitrate < 0 || opts.GOP < 0 {
		return nil, fmt.Errorf("codec: h264: bitrate %d, CRF %d, QP %d, GOP %d: %w", opts.Bitrate, opts.CRF, opts.QP, opts.GOP, ErrInvalid)
	}
	if opts.GOP == 0 {
		opts.GOP = max(1, int(math.Round(opts.FrameRate)))
	}
	if opts.Codec != "" {
		e, err := openH264(opts, opts.Codec)
		if err != nil {
			return nil, err
		}
		return e, nil
	}
	var fallback error
	if opts.CRF == 0 && opts.QP == 0 {
		// The hardware encoder takes a bitrate only.
		// The hardware encoder has a bitrate and a GOP only: libx264's
		// preset, tune and profile are not its.
		hw := opts
		hw.Preset, hw.Tune, hw.Profile = "", "", ""
		if hw.Bitrate == 0 {
			hw.Bitrate = defaultBitrate(opts.Width, opts.Height, opts.FrameRate)
		}
		e, err := openH264(hw, "h264_v4l2m2m")
		if err == nil {
			return e, nil
		}
		fallback = err
	}
	e, err := openH264(opts, "libx264")
	if err != nil {
		if fallback != nil {
			return nil, errors.Join(err, fallback)
		}
		return nil, err
	}
	e.fallback = fallback
	return e, nil
}

// defaultBitrate is Picamera2's medium quality for H.264: about 0.1 bit per
// pixel at 30 frames/s (10 Mbit/s at 1080p30).
func defaultBitrate(w, h int, fps float64) int {
	return int(float64(w*h) * fps * 0.16)
}

func openH264(opts H264Options, codec string) (*H264, error) {
	x264 := codec == "libx264"
	preset, tune := opts.Preset, opts.Tune
	if x264 {
		if preset == "" {
			preset = "ultrafast"
		}
		switch tune {
		case "":
			tune = "zerolatency"
		case "none":
			tune = ""
		}
	} else if tune == "none" {
		tune = ""
	}
	crf := opts.CRF
	if x264 && opts.Bitrate == 0 && crf == 0 && opts.QP == 0 {
		crf = 23
	}
	num, den := rational(opts.FrameRate)
	strs := []*C.char{C.CString(codec), C.CString(preset), C.CString(tune), C.CString(opts.Profile)}
	defer func() {
		for _, s := range strs {
			C.free(unsafe.Pointer(s))
		}
	}()
	p := C.pv_h264_params{
		codec: strs[0], width: C.int(opts.Width), height: C.int(opts.Height),
		pix_fmt: C.PV_NV12, bitrate: C.int64_t(opts.Bitrate), crf: C.int(crf), qp: C.int(opts.QP),
		preset: strs[1], tune: strs[2], profile: strs[3], gop: C.int(opts.GOP),
		fps_num: C.int(num), fps_den: C.int(den), threads: C.int(opts.Threads),
		color_range: C.int(opts.Color.Range), color_space: C.int(opts.Color.Matrix),
		color_primaries: C.int(opts.Color.Primaries), color_trc: C.int(opts.Color.Transfer),
	}
	if opts.Format == YUV420 {
		p.pix_fmt = C.PV_YUV420
	}
	if opts.RepeatHeaders {
		p.repeat_headers = 1
	}
	var eb errBuf
	var w *C.pv_h264_worker
	var efd C.int
	if r := C.pv_h264_worker_start(&p, C.int(opts.Nice), &w, &efd, eb.ptr(), eb.size()); r < 0 {
		return nil, cError(r, &eb)
	}
	h := &H264{w: w, done: os.NewFile(uintptr(efd), "h264 encoder"), opts: opts}
	if err := h.wait(); err != nil {
		h.Close()
		return nil, err
	}
	var e *C.pv_h264
	if r := C.pv_h264_worker_opened(w, &e, eb.ptr(), eb.size()); r < 0 {
		h.Close()
		return nil, cError(r, &eb)
	}
	h.e, h.name = e, C.GoString(C.pv_h264_name(e))
	return h, nil
}

// wait waits for the encoder's thread to finish its job.
func (h *H264) wait() error {
	var b [8]byte
	if _, err := io.ReadFull(h.done, b[:]); err != nil {
		return fmt.Errorf("codec: h264: waiting for the encoder: %w", err)
	}
	return nil
}

// rational approximates a frame rate as num/den (30000/1001 for 29.97).
func rational(fps float64) (num, den int) {
	if r := math.Round(fps); math.Abs(fps-r) < 1e-6 {
		return int(r), 1
	}
	return int(math.Round(fps * 1001)), 1001
}

// Name returns the encoder opened: "libx264", "h264_v4l2m2m", ...
func (h *H264) Name() string { return h.name }

// Fallback returns why the hardware encoder did not open, when NewH264
// chose libx264 in its place.
func (h *H264) Fallback() error { return h.fallback }

// Options returns the options the encoder was opened with, defaults filled in.
func (h *H264) Options() H264Options { return h.opts }

// Headers returns the SPS and PPS (Annex B) of the stream, once the first
// keyframe was encoded.
func (h *H264) Headers() []byte { return h.headers }

// Take copies a frame into the encoder, to be encoded with pts (from the
// start of the stream) by the next Encode: img's buffers are free once it
// returns. key forces a keyframe.
func (h *H264) Take(img *Image, pts time.Duration, key bool) error {
	if h.e == nil {
		return fmt.Errorf("codec: h264 take: %w", ErrClosed)
	}
	if img.Width != h.opts.Width || img.Height != h.opts.Height || img.Format != h.opts.Format {
		return fmt.Errorf("codec: h264: image %dx%d %v for an encoder of %dx%d %v: %w",
			img.Width, img.Height, img.Format, h.opts.Width, h.opts.Height, h.opts.Format, ErrInvalid)
	}
	if err := img.check(); err != nil {
		return err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	planes, strides := img.cPlanes(&pin)
	k := C.int(0)
	if key {
		k = 1
	}
	var eb errBuf
	if r := C.pv_h264_take(h.e, &planes[0], &strides[0], C.int64_t(pts.Microseconds()), k, eb.ptr(), eb.size()); r < 0 {
		return cError(r, &eb)
	}
	return nil
}

// Encode encodes the frame taken last and calls fn with each packet the
// encoder has ready (none, one, or with B-frames several). An error of fn
// is returned.
func (h *H264) Encode(fn func(Packet) error) error {
	if h.e == nil {
		return fmt.Errorf("codec: h264 encode: %w", ErrClosed)
	}
	return h.run(false, fn)
}

// Flush encodes what the encoder still holds and calls fn with the
// packets; the encoder takes no more frames afterwards.
func (h *H264) Flush(fn func(Packet) error) error {
	if h.e == nil {
		return fmt.Errorf("codec: h264 flush: %w", ErrClosed)
	}
	return h.run(true, fn)
}

// run has the encoder's thread send the frame taken last (or flush) and
// calls fn with the packets it gave.
func (h *H264) run(flush bool, fn func(Packet) error) error {
	f := C.int(0)
	if flush {
		f = 1
	}
	C.pv_h264_worker_submit(h.w, f)
	if err := h.wait(); err != nil {
		return err
	}
	var eb errBuf
	var n C.int
	if r := C.pv_h264_worker_result(h.w, &n, eb.ptr(), eb.size()); r < 0 {
		return cError(r, &eb)
	}
	for i := range n {
		var pkt C.pv_packet
		C.pv_h264_worker_packet(h.w, i, &pkt)
		p := Packet{
			Data: C.GoBytes(unsafe.Pointer(pkt.data), pkt.size),
			PTS:  time.Duration(pkt.pts) * time.Microsecond, DTS: time.Duration(pkt.dts) * time.Microsecond,
			Duration: time.Duration(pkt.duration) * time.Microsecond, Key: pkt.key != 0,
		}
		if p.Key && h.headers == nil {
			h.headers = ParameterSets(p.Data)
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// Close frees the encoder. Closing twice is harmless.
func (h *H264) Close() error {
	if h.w != nil {
		C.pv_h264_worker_close(h.w) // closes the encoder
		h.w, h.e = nil, nil
		h.done.Close()
	}
	return nil
}
