package video

import (
	"fmt"
	"sync"
	"time"
)

// Segments is an output writing a new file every Duration, each cut at a
// keyframe so that it plays on its own (rpicam-vid's --segment). Files
// are named by Pattern with the segment's number (from 0) and written as
// [File] writes them: Pattern "clip-%04d.mp4" makes MP4 files, each with
// timestamps from 0.
type Segments struct {
	Pattern  string
	Duration time.Duration

	mu    sync.Mutex
	info  StreamInfo
	cur   Output
	start time.Duration // the current segment's first PTS
	files []string
}

// NewSegments returns a segmenting output.
func NewSegments(pattern string, d time.Duration) *Segments {
	return &Segments{Pattern: pattern, Duration: d}
}

// Open is the Output method.
func (s *Segments) Open(info StreamInfo) error {
	if s.Duration <= 0 {
		return fmt.Errorf("video: segments of %v: %w", s.Duration, ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.info = info
	return nil
}

// WritePacket is the Output method: a keyframe at least Duration after
// the current segment's start begins the next file.
func (s *Segments) WritePacket(p *Packet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil || (p.Key && p.PTS-s.start >= s.Duration) {
		if err := s.next(p.PTS); err != nil {
			return err
		}
	}
	return s.cur.WritePacket(p)
}

func (s *Segments) next(pts time.Duration) error {
	if s.cur != nil {
		err := s.cur.Close()
		s.cur = nil
		if err != nil {
			return err
		}
	}
	name := fmt.Sprintf(s.Pattern, len(s.files))
	o := File(name)
	if err := o.Open(s.info); err != nil {
		o.Close()
		return err
	}
	s.cur, s.start = o, pts
	s.files = append(s.files, name)
	return nil
}

// Close is the Output method: it closes the last file.
func (s *Segments) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return nil
	}
	err := s.cur.Close()
	s.cur = nil
	return err
}

// Files returns the names of the files written so far.
func (s *Segments) Files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.files...)
}
