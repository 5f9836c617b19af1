package codec

/*
#include <stdlib.h>
#include "codec.h"
*/
import "C"

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"runtime/cgo"
	"strings"
	"time"
	"unsafe"
)

// CodecID names what a stream holds.
type CodecID int

const (
	CodecH264 CodecID = iota
	CodecMJPEG
	// CodecYUV420 is raw planar 4:2:0 frames, which no muxer here takes.
	CodecYUV420
)

func (c CodecID) String() string {
	switch c {
	case CodecH264:
		return "h264"
	case CodecMJPEG:
		return "mjpeg"
	case CodecYUV420:
		return "yuv420"
	}
	return fmt.Sprintf("CodecID(%d)", int(c))
}

// StreamInfo describes an encoded stream to a container.
type StreamInfo struct {
	Codec         CodecID
	Width, Height int
	// Headers are H.264's SPS and PPS (Annex B, as [H264.Headers]).
	Headers   []byte
	FrameRate float64
	Color     Color
}

// MuxerOptions choose a container.
type MuxerOptions struct {
	// Format is libavformat's muxer: "mp4", "matroska" (or "mkv"),
	// "mpegts" (or "ts"), "mov", ... "" picks it from the file's extension.
	Format string
	// Options are the muxer's own, as "key=value:key=value"
	// ("movflags=+faststart").
	Options string
}

// Muxer writes packets into a container. Its methods must not be called
// concurrently.
type Muxer struct {
	m      *C.pv_mux
	handle cgo.Handle
	aw     *avioWriter
	what   string
}

// formatAliases maps file extensions used as names to libavformat's.
var formatAliases = map[string]string{"mkv": "matroska", "ts": "mpegts", "m4v": "mp4", "mjpeg": "mjpeg"}

func formatName(f string) string {
	if a, ok := formatAliases[strings.ToLower(f)]; ok {
		return a
	}
	return f
}

// CreateMuxer creates (or truncates) the file at path and writes the
// container's header.
func CreateMuxer(path string, info StreamInfo, opts MuxerOptions) (*Muxer, error) {
	return openMuxer(path, nil, info, opts)
}

// NewMuxer writes a container to w; opts.Format is required. An MP4 or
// MOV to a w that is not an io.Seeker (a pipe, a socket) is written
// fragmented, which needs no seeking back.
func NewMuxer(w io.Writer, info StreamInfo, opts MuxerOptions) (*Muxer, error) {
	if opts.Format == "" {
		return nil, fmt.Errorf("codec: mux to a writer: no format: %w", ErrInvalid)
	}
	return openMuxer("", w, info, opts)
}

func openMuxer(path string, w io.Writer, info StreamInfo, opts MuxerOptions) (*Muxer, error) {
	if info.Codec != CodecH264 && info.Codec != CodecMJPEG {
		return nil, fmt.Errorf("codec: mux: %v in a container: %w", info.Codec, ErrUnsupported)
	}
	if info.Width <= 0 || info.Height <= 0 {
		return nil, fmt.Errorf("codec: mux: size %dx%d: %w", info.Width, info.Height, ErrInvalid)
	}
	fps := info.FrameRate
	if fps <= 0 {
		fps = 30
	}
	num, den := rational(fps)
	format := formatName(opts.Format)
	mo := &Muxer{what: path}
	var cs []*C.char
	cstr := func(s string) *C.char {
		if s == "" {
			return nil
		}
		c := C.CString(s)
		cs = append(cs, c)
		return c
	}
	defer func() {
		for _, c := range cs {
			C.free(unsafe.Pointer(c))
		}
	}()
	options := opts.Options
	p := C.pv_mux_params{
		codec: C.PV_CODEC_H264, width: C.int(info.Width), height: C.int(info.Height),
		fps_num: C.int(num), fps_den: C.int(den),
		color_range: C.int(info.Color.Range), color_space: C.int(info.Color.Matrix),
		color_primaries: C.int(info.Color.Primaries), color_trc: C.int(info.Color.Transfer),
	}
	if info.Codec == CodecMJPEG {
		p.codec = C.PV_CODEC_MJPEG
	}
	if w != nil {
		mo.what = format
		mo.aw = &avioWriter{w: w}
		mo.handle = cgo.NewHandle(mo.aw)
		p.writer = C.uintptr_t(mo.handle)
		if _, ok := w.(io.Seeker); ok {
			p.seekable = 1
		} else if format == "mp4" || format == "mov" {
			options = joinOptions("movflags=+frag_keyframe+empty_moov+default_base_moof", options)
		}
	} else {
		p.path = cstr(path)
		if format == "" && strings.EqualFold(filepath.Ext(path), ".mjpeg") {
			format = "mjpeg"
		}
	}
	p.format = cstr(format)
	p.options = cstr(options)
	var pin runtime.Pinner
	defer pin.Unpin()
	if len(info.Headers) > 0 {
		pin.Pin(&info.Headers[0])
		p.extradata = (*C.uint8_t)(unsafe.Pointer(&info.Headers[0]))
		p.extradata_size = C.int(len(info.Headers))
	}
	var eb errBuf
	var m *C.pv_mux
	if r := C.pv_mux_open(&p, &m, eb.ptr(), eb.size()); r < 0 {
		err := mo.wrap(cError(r, &eb))
		mo.free()
		return nil, err
	}
	mo.m = m
	return mo, nil
}

func joinOptions(a, b string) string {
	if b == "" {
		return a
	}
	return a + ":" + b
}

// wrap adds the writer's own error to an FFmpeg error it caused.
func (mo *Muxer) wrap(err error) error {
	if mo.aw != nil && mo.aw.err != nil {
		return fmt.Errorf("%w: the writer's error: %w", err, mo.aw.err)
	}
	return err
}

func (mo *Muxer) free() {
	if mo.handle != 0 {
		mo.handle.Delete()
		mo.handle = 0
	}
}

// Write writes one packet. Timestamps are the packet's, from the start of
// the stream.
func (mo *Muxer) Write(pkt Packet) error {
	if mo.m == nil {
		return fmt.Errorf("codec: mux %s: %w", mo.what, ErrClosed)
	}
	if len(pkt.Data) == 0 {
		return nil
	}
	key := C.int(0)
	if pkt.Key {
		key = 1
	}
	var pin runtime.Pinner
	pin.Pin(&pkt.Data[0])
	defer pin.Unpin()
	var eb errBuf
	r := C.pv_mux_write(mo.m, (*C.uint8_t)(unsafe.Pointer(&pkt.Data[0])), C.int(len(pkt.Data)),
		C.int64_t(pkt.PTS/time.Microsecond), C.int64_t(pkt.DTS/time.Microsecond), C.int64_t(pkt.Duration/time.Microsecond),
		key, eb.ptr(), eb.size())
	if r < 0 {
		return mo.wrap(cError(r, &eb))
	}
	return nil
}

// Written returns the bytes written to an io.Writer so far (0 for a file).
func (mo *Muxer) Written() int64 {
	if mo.aw == nil {
		return 0
	}
	return mo.aw.n
}

// Close writes the container's trailer (an MP4's index: without it the
// file does not play) and closes the file. It frees the muxer whatever
// happens; closing twice is harmless.
func (mo *Muxer) Close() error {
	if mo.m == nil {
		return nil
	}
	var eb errBuf
	r := C.pv_mux_close(mo.m, eb.ptr(), eb.size())
	mo.m = nil
	var err error
	if r < 0 {
		err = mo.wrap(cError(r, &eb))
	} else if mo.aw != nil && mo.aw.err != nil {
		err = fmt.Errorf("codec: mux %s: %w", mo.what, mo.aw.err)
	}
	mo.free()
	return err
}
