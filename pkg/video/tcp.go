package video

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picamgo/picamgo/pkg/video/codec"
)

// TCPOutput serves the bare stream (H.264 Annex B, MJPEG, raw frames, as
// [Writer] writes it) to every client that connects to its listener, as
// `rpicam-vid --listen -o tcp://0.0.0.0:8888` does for one (play it with
// `ffplay tcp://host:8888`). A client starts at the next keyframe, with
// the SPS and PPS before it; one that falls behind skips to a later
// keyframe (counted in Dropped); one that takes no data for WriteTimeout
// is disconnected. Closing the output (the end of the recording) closes
// the listener and every connection after what was queued for it is sent.
type TCPOutput struct {
	// WriteTimeout bounds one write to a client; zero means 10 s.
	WriteTimeout time.Duration
	// ClientQueue is how many packets a client may fall behind; zero: 90.
	ClientQueue int

	ln      net.Listener
	mu      sync.Mutex
	info    *StreamInfo
	clients map[*tcpClient]struct{}
	closed  bool
	wg      sync.WaitGroup

	accepted, dropped atomic.Uint64
}

type tcpClient struct {
	conn    net.Conn
	ch      chan *Packet
	started bool // got its first keyframe; the writer's
	needKey bool // skipping to a keyframe; WritePacket's
}

// ListenTCP listens on addr ("127.0.0.1:8888", ":0" for any port) and
// returns the output. The recording it is given to closes it; close one
// that never was.
func ListenTCP(addr string) (*TCPOutput, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("video: %w", err)
	}
	o := &TCPOutput{ln: ln, clients: make(map[*tcpClient]struct{})}
	o.wg.Add(1)
	go o.accept()
	return o, nil
}

// Addr returns the listener's address.
func (o *TCPOutput) Addr() net.Addr { return o.ln.Addr() }

// TCPStats are the output's counters.
type TCPStats struct {
	Accepted uint64 // clients accepted so far
	Clients  int    // connected now
	Dropped  uint64 // packets clients skipped because they were behind
}

// Stats returns the output's counters.
func (o *TCPOutput) Stats() TCPStats {
	o.mu.Lock()
	n := len(o.clients)
	o.mu.Unlock()
	return TCPStats{Accepted: o.accepted.Load(), Clients: n, Dropped: o.dropped.Load()}
}

func (o *TCPOutput) accept() {
	defer o.wg.Done()
	q := o.ClientQueue
	if q <= 0 {
		q = 90
	}
	for {
		conn, err := o.ln.Accept()
		if err != nil {
			return // closed
		}
		c := &tcpClient{conn: conn, ch: make(chan *Packet, q), needKey: true}
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			conn.Close()
			return
		}
		o.clients[c] = struct{}{}
		o.wg.Add(1)
		o.mu.Unlock()
		o.accepted.Add(1)
		go o.serve(c)
	}
}

func (o *TCPOutput) serve(c *tcpClient) {
	defer o.wg.Done()
	defer func() {
		o.mu.Lock()
		if _, ok := o.clients[c]; ok {
			delete(o.clients, c)
			if !o.closed { // Close closes the channels of those it finds
				close(c.ch)
			}
		}
		o.mu.Unlock()
		c.conn.Close()
	}()
	timeout := o.WriteTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	for p := range c.ch {
		c.conn.SetWriteDeadline(time.Now().Add(timeout))
		if !c.started {
			c.started = true
			o.mu.Lock()
			info := o.info
			o.mu.Unlock()
			if info != nil && info.Codec == codec.CodecH264 && !codec.HasParameterSets(p.Data) {
				if _, err := c.conn.Write(info.Headers); err != nil {
					return
				}
			}
		}
		if _, err := c.conn.Write(p.Data); err != nil {
			return
		}
	}
}

// Open is the Output method.
func (o *TCPOutput) Open(info StreamInfo) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("video: TCP output: %w", ErrStopped)
	}
	o.info = &info
	return nil
}

// WritePacket is the Output method: it queues p for every client, never
// waiting for one.
func (o *TCPOutput) WritePacket(p *Packet) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for c := range o.clients {
		if c.needKey && !p.Key {
			continue // joining or behind: waits for a keyframe
		}
		select {
		case c.ch <- p:
			c.needKey = false
		default:
			o.dropped.Add(1)
			c.needKey = true
		}
	}
	return nil
}

// Close is the Output method: it stops listening, sends every client what
// is queued for it and closes the connections.
func (o *TCPOutput) Close() error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	err := o.ln.Close()
	for c := range o.clients {
		close(c.ch)
	}
	o.mu.Unlock()
	o.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
