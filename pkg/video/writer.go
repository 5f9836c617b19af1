package video

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/picamgo/picamgo/pkg/video/codec"
)

// Writer returns an output writing the bare stream to w: H.264 as Annex B
// (SPS and PPS before the first frame, so that the stream decodes from its
// start: ffplay, `ffmpeg -f h264`), MJPEG as JPEGs one after the other,
// YUV420 as raw frames. It does not close w. A write error ends this
// output (see [Recording.Err]).
func Writer(w io.Writer) Output { return &rawOutput{w: w} }

type rawOutput struct {
	w       io.Writer
	path    string // File: created at Open, closed at Close
	f       *os.File
	bw      *bufio.Writer
	headers []byte
	started bool
}

func (o *rawOutput) Open(info StreamInfo) error {
	if info.Codec == codec.CodecH264 {
		o.headers = info.Headers
	}
	if o.path != "" {
		f, err := os.Create(o.path)
		if err != nil {
			return fmt.Errorf("video: %w", err)
		}
		o.f = f
		o.bw = bufio.NewWriterSize(f, 256<<10)
		o.w = o.bw
	}
	return nil
}

func (o *rawOutput) WritePacket(p *Packet) error {
	if !o.started {
		o.started = true
		if len(o.headers) > 0 && !codec.HasParameterSets(p.Data) {
			if _, err := o.w.Write(o.headers); err != nil {
				return fmt.Errorf("video: write: %w", err)
			}
		}
	}
	if _, err := o.w.Write(p.Data); err != nil {
		return fmt.Errorf("video: write: %w", err)
	}
	return nil
}

func (o *rawOutput) Close() error {
	if o.f == nil {
		return nil
	}
	err := o.bw.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	o.f = nil
	if err != nil {
		return fmt.Errorf("video: %s: %w", o.path, err)
	}
	return nil
}

// File returns an output writing to the file at path (created or
// truncated when the first packet arrives), in the container its
// extension names: .mp4, .mkv, .mov, .ts (and whatever else libavformat
// knows) through libavformat, with exact timestamps; .h264/.264, .mjpeg/.mjpg
// and .yuv as the bare stream ([Writer]).
func File(path string) Output {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".h264", ".264", ".mjpeg", ".mjpg", ".yuv":
		return &rawOutput{path: path}
	}
	return &containerOutput{path: path}
}

// Container returns an output writing a container of the given format
// ("mp4", "mkv", "ts", ... as libavformat names them) to w through a custom
// AVIOContext. An MP4 to a w that cannot seek (a pipe, a socket) is
// written fragmented. It does not close w.
func Container(w io.Writer, format string) Output {
	return &containerOutput{w: w, opts: codec.MuxerOptions{Format: format}}
}

// ContainerFile is [File] for a container with libavformat's options
// (e.g. Format "mp4" whatever the name, Options "movflags=+faststart").
func ContainerFile(path string, opts codec.MuxerOptions) Output {
	return &containerOutput{path: path, opts: opts}
}

type containerOutput struct {
	path string
	w    io.Writer
	opts codec.MuxerOptions
	m    *codec.Muxer
	// base: the first packet's DTS, subtracted so that the file starts at
	// 0 whatever part of the recording it holds.
	base    codec.Packet
	started bool
}

func (o *containerOutput) Open(info StreamInfo) (err error) {
	if o.w != nil {
		o.m, err = codec.NewMuxer(o.w, info, o.opts)
	} else {
		o.m, err = codec.CreateMuxer(o.path, info, o.opts)
	}
	if err != nil {
		return fmt.Errorf("video: %w", err)
	}
	return nil
}

func (o *containerOutput) WritePacket(p *Packet) error {
	if !o.started {
		o.started = true
		o.base = p.Packet
	}
	cp := p.Packet
	off := min(o.base.PTS, o.base.DTS)
	cp.PTS -= off
	cp.DTS -= off
	if err := o.m.Write(cp); err != nil {
		return fmt.Errorf("video: %w", err)
	}
	return nil
}

func (o *containerOutput) Close() error {
	if o.m == nil {
		return nil
	}
	err := o.m.Close()
	o.m = nil
	if err != nil {
		return fmt.Errorf("video: %w", err)
	}
	return nil
}
