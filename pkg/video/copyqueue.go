package video

import (
	"fmt"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/codec"
)

// copyingEncoder marks an encoder that copies each frame before encoding
// it (H.264: into its own AVFrame). For such an encoder the recording
// copies the frame as it arrives, releases the request at once, and
// encodes on another goroutine from a queue of copies
// ([Options].EncoderQueue): a copy costs a fraction of a millisecond even
// at 1080p, an encode of a busy machine tens, and the camera has few
// buffers (the virtual camera 4) to wait with.
type copyingEncoder interface {
	copiesFrames()
}

func (*h264Encoder) copiesFrames() {}

// copiedFrame is a frame copied out of the camera's buffer.
type copiedFrame struct {
	img codec.Image
	buf []byte // the planes' memory, back to Recording.free after the encode
	pts time.Duration
	id  frameID
}

// copyFrame copies the request's frame, releases the request and queues
// the copy for the encoding goroutine, or drops it (counted) when the
// queue is full: queued says which. The receiving goroutine's.
func (r *Recording) copyFrame(req *picam.CompletedRequest, stream picam.StreamName, pts time.Duration, id frameID) (queued bool, err error) {
	img, err := r.view(req, stream)
	if err != nil {
		req.Release()
		return false, err
	}
	n := 0
	for _, p := range img.Planes {
		n += len(p)
	}
	var buf []byte
	select {
	case buf = <-r.free:
	default:
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	cf := &copiedFrame{img: img, buf: buf, pts: pts, id: id}
	off := 0
	for i, p := range img.Planes {
		if len(p) == 0 {
			continue
		}
		cf.img.Planes[i] = buf[off : off+len(p) : off+len(p)]
		off += copy(buf[off:], p)
	}
	req.Release()
	if l := uint64(len(r.work)) + 1; l > r.queueMax.Load() {
		r.queueMax.Store(l)
	}
	select {
	case r.work <- cf:
		return true, nil
	default:
		r.dropped.Add(1)
		r.queueDropped.Add(1)
		r.recycle(buf)
		return false, nil
	}
}

func (r *Recording) recycle(buf []byte) {
	select {
	case r.free <- buf:
	default:
	}
}

// encodeCopies encodes the queued copies until the queue is closed; the
// encoding goroutine of a copying encoder. The first error ends the
// recording (the copies still queued are dropped).
func (r *Recording) encodeCopies(done chan<- struct{}) {
	defer close(done)
	failed := false
	for cf := range r.work {
		if failed {
			r.recycle(cf.buf)
			continue
		}
		key := r.first || r.keyReq.Swap(false)
		err := r.enc.take(&cf.img, cf.pts, key)
		r.recycle(cf.buf)
		if err == nil {
			err = r.encode(cf.pts, cf.id)
		}
		if err != nil {
			r.fail(fmt.Errorf("video: recording frame %d: %w", cf.id.seq, err))
			failed = true
		}
	}
}
