package video

import (
	"errors"
	"sync"
	"sync/atomic"
)

// sink feeds one output from a bounded queue on a goroutine of its own.
type sink struct {
	out  Output
	ch   chan *Packet
	info *atomic.Pointer[StreamInfo]
	done chan struct{}
	// needKey: skip packets up to the next keyframe (after a skipped
	// H.264 packet, or for an output added late). The encoder's goroutine's.
	needKey bool

	failed                  atomic.Bool
	packets, bytes, dropped atomic.Uint64
	errMu                   sync.Mutex
	err                     error
}

func newSink(o Output, qlen int, late bool, info *atomic.Pointer[StreamInfo]) *sink {
	return &sink{out: o, ch: make(chan *Packet, qlen), info: info, done: make(chan struct{}), needKey: late}
}

// offer queues p without waiting; called by the encoder's goroutine.
func (s *sink) offer(p *Packet) {
	if s.failed.Load() {
		return
	}
	if s.needKey && !p.Key {
		s.dropped.Add(1)
		return
	}
	select {
	case s.ch <- p:
		s.needKey = false
	default:
		s.dropped.Add(1)
		// An H.264 stream missing a packet does not decode up to the
		// next keyframe; every JPEG and raw frame stands alone.
		s.needKey = true
	}
}

func (s *sink) run() {
	defer close(s.done)
	opened := false
	for p := range s.ch {
		if s.failed.Load() {
			continue
		}
		if !opened {
			opened = true
			if err := s.out.Open(*s.info.Load()); err != nil {
				s.fail(err)
				continue
			}
		}
		if err := s.out.WritePacket(p); err != nil {
			s.fail(err)
			continue
		}
		s.packets.Add(1)
		s.bytes.Add(uint64(len(p.Data)))
	}
	if !s.failed.Load() {
		s.close()
	}
}

func (s *sink) close() {
	if err := s.out.Close(); err != nil && !errors.Is(err, ErrStopped) {
		s.setErr(err)
	}
}

// fail ends the output with err: it is closed at once, and the packets
// still coming are not counted as drops.
func (s *sink) fail(err error) {
	s.setErr(err)
	s.failed.Store(true)
	s.close()
}

func (s *sink) setErr(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
}

func (s *sink) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

func (s *sink) stats() OutputStats {
	return OutputStats{Packets: s.packets.Load(), Bytes: s.bytes.Load(), Dropped: s.dropped.Load(), Err: s.Err()}
}
