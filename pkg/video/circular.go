package video

import (
	"fmt"
	"sync"
	"time"
)

// Circular is an output keeping the last stretch of a recording in
// memory (Picamera2's CircularOutput2): on a trigger, [Circular.Save]
// writes it to another output, from a keyframe at least Duration before
// the trigger, and goes on writing the live packets until
// [Circular.StopSave]. Give the H.264 encoder a GOP shorter than Duration
// so that a keyframe is never far from where the saved file should begin.
// Its methods may be called from any goroutine.
type Circular struct {
	duration time.Duration

	mu     sync.Mutex
	info   *StreamInfo
	ring   []*Packet // starts with a keyframe
	target Output    // saving to, or nil
	err    error     // the target's error
	ended  bool
}

// NewCircular returns a circular output keeping at least d (zero: 5 s)
// of packets, from a keyframe.
func NewCircular(d time.Duration) *Circular {
	if d <= 0 {
		d = 5 * time.Second
	}
	return &Circular{duration: d}
}

// Open is the Output method.
func (c *Circular) Open(info StreamInfo) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.info = &info
	c.ended = false
	return nil
}

// WritePacket is the Output method: it keeps p, and writes it to the
// target while saving.
func (c *Circular) WritePacket(p *Packet) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ring) == 0 && !p.Key {
		return nil // a buffer starts at a keyframe
	}
	c.ring = append(c.ring, p)
	c.trim()
	if c.target != nil {
		if err := c.target.WritePacket(p); err != nil {
			c.failTarget(err)
		}
	}
	return nil
}

// trim drops whole keyframe intervals from the front while what is left
// still spans the duration.
func (c *Circular) trim() {
	last := c.ring[len(c.ring)-1].PTS
	cut := 0
	for i, p := range c.ring {
		if last-p.PTS < c.duration {
			break
		}
		if p.Key {
			cut = i
		}
	}
	if cut > 0 {
		clear(c.ring[:cut])
		c.ring = c.ring[cut:]
	}
}

func (c *Circular) failTarget(err error) {
	c.err = err
	c.target.Close()
	c.target = nil
}

// Close is the Output method: the recording ended. A save in progress is
// closed; the buffer is kept until the next recording.
func (c *Circular) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	if c.target != nil {
		err := c.target.Close()
		c.target = nil
		if err != nil && c.err == nil {
			c.err = err
		}
	}
	return nil
}

// Buffered returns the span of packets held, first to last.
func (c *Circular) Buffered() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ring) == 0 {
		return 0
	}
	return c.ring[len(c.ring)-1].PTS - c.ring[0].PTS
}

// Save starts writing to o: the packets held (from a keyframe at least
// Duration before now, or the oldest one), then every new packet, until
// StopSave or the end of the recording. It fails if a save is in progress
// or nothing is held yet.
func (c *Circular) Save(o Output) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.target != nil:
		return fmt.Errorf("video: circular: already saving: %w", ErrInvalid)
	case c.info == nil || len(c.ring) == 0:
		return fmt.Errorf("video: circular: nothing recorded yet: %w", ErrInvalid)
	case c.ended:
		return fmt.Errorf("video: circular: the recording ended: %w", ErrStopped)
	}
	c.err = nil
	if err := o.Open(*c.info); err != nil {
		o.Close()
		return err
	}
	c.target = o
	for _, p := range c.ring {
		if err := o.WritePacket(p); err != nil {
			c.failTarget(err)
			return err
		}
	}
	return nil
}

// StopSave closes the output Save is writing to and returns its error
// (also one that ended it early).
func (c *Circular) StopSave() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.target != nil {
		if err := c.target.Close(); err != nil && c.err == nil {
			c.err = err
		}
		c.target = nil
	}
	err := c.err
	c.err = nil
	return err
}
