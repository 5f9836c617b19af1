package main

import (
	"sync"

	"github.com/picamgo/picamgo/pkg/video"
)

// firstN passes the first n packets of a recording to its output (all of
// them for n = 0) and closes done after the nth: --frames. The recording
// may encode a frame or two more before it stops; they are not written.
type firstN struct {
	video.Output
	n    int
	done chan struct{}

	mu   sync.Mutex
	sent int
}

func newFirstN(o video.Output, n int) *firstN {
	return &firstN{Output: o, n: n, done: make(chan struct{})}
}

func (o *firstN) WritePacket(p *video.Packet) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n > 0 && o.sent >= o.n {
		return nil
	}
	if err := o.Output.WritePacket(p); err != nil {
		return err
	}
	o.sent++
	if o.sent == o.n {
		close(o.done)
	}
	return nil
}

// written is how many frames reached the output: the packets passed on
// with a limit, else encoded (one packet per frame).
func (o *firstN) written(encoded uint64) uint64 {
	if o.n == 0 {
		return encoded
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return uint64(o.sent)
}
