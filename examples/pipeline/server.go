package main

// The server: the other end of the story's TCP connection. The example
// starts one on 127.0.0.1 unless -addr names another that speaks the same
// line protocol:
//
//	server -> client  ping N                   answer at once with pong N
//	                  summary PHASE k=v ...    answer to end PHASE
//	client -> server  pong N
//	                  begin PHASE              a phase starts: reset the counters
//	                  result SEQ ...           one per frame, in frame order
//	                  end PHASE                a phase ended: send its summary
//
// The server pings every 10 ms and times the pongs (the round trip goes
// through the client's reader goroutine), and checks that the sequences of
// the results of a phase strictly increase: that they come in frame order.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// orderChecker checks that sequence numbers strictly increase.
type orderChecker struct {
	last       uint32
	seen       bool
	count      int
	violations int
	first      string // the first violation
}

// check records seq and reports whether it follows the previous one.
func (o *orderChecker) check(seq uint32) bool {
	o.count++
	ok := !o.seen || seq > o.last
	if !ok {
		o.violations++
		if o.first == "" {
			o.first = fmt.Sprintf("%d after %d", seq, o.last)
		}
	}
	o.last, o.seen = seq, true
	return ok
}

// server serves one client connection at a time.
type server struct {
	ln           net.Listener
	pingInterval time.Duration
}

func listen(addr string, pingInterval time.Duration) (*server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &server{ln: ln, pingInterval: pingInterval}, nil
}

func (s *server) Addr() string { return s.ln.Addr().String() }

// run accepts one connection and serves it until the client closes it or
// ctx ends.
func (s *server) run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.ln.Close() })
	defer stop()
	conn, err := s.ln.Accept()
	s.ln.Close() // one client
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("server: %w", err)
	}
	defer conn.Close()
	stopConn := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopConn()

	sc := &serverConn{conn: conn, rtts: make([]time.Duration, 0, 1<<16)}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return sc.ping(gctx, s.pingInterval) })
	g.Go(func() error {
		err := sc.read()
		conn.Close() // stops the pinger's writes
		if hungUp(err) {
			err = nil
		}
		return err
	})
	err = g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// serverConn is the server's side of one connection.
type serverConn struct {
	conn net.Conn

	wmu  sync.Mutex
	wbuf []byte

	mu    sync.Mutex // guards what follows, shared by the pinger and the reader
	sent  [256]pingSent
	phase string
	order orderChecker
	rtts  []time.Duration
	pings int
}

type pingSent struct {
	n  uint64
	at time.Time
}

// ping sends "ping N" every interval and remembers when.
func (sc *serverConn) ping(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := uint64(1); ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		sc.mu.Lock()
		sc.sent[n%uint64(len(sc.sent))] = pingSent{n, time.Now()}
		sc.pings++
		sc.mu.Unlock()
		sc.wmu.Lock()
		sc.wbuf = strconv.AppendUint(append(sc.wbuf[:0], "ping "...), n, 10)
		sc.wbuf = append(sc.wbuf, '\n')
		_, err := sc.conn.Write(sc.wbuf)
		sc.wmu.Unlock()
		if err != nil {
			if ctx.Err() != nil || hungUp(err) {
				return nil
			}
			return fmt.Errorf("server: %w", err)
		}
	}
}

// read handles the client's lines until the connection ends.
func (sc *serverConn) read() error {
	r := bufio.NewReaderSize(sc.conn, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		verb, arg, _ := bytes.Cut(line, []byte{' '})
		switch string(verb) { // the compiler does not allocate for this conversion
		case "pong":
			n, err := strconv.ParseUint(string(arg), 10, 64)
			if err != nil {
				return fmt.Errorf("server: bad pong %q", line)
			}
			now := time.Now()
			sc.mu.Lock()
			if p := sc.sent[n%uint64(len(sc.sent))]; p.n == n && len(sc.rtts) < cap(sc.rtts) {
				sc.rtts = append(sc.rtts, now.Sub(p.at))
			}
			sc.mu.Unlock()
		case "result":
			seqText, _, _ := bytes.Cut(arg, []byte{' '})
			seq, err := strconv.ParseUint(string(seqText), 10, 32)
			if err != nil {
				return fmt.Errorf("server: bad result %q", line)
			}
			sc.mu.Lock()
			sc.order.check(uint32(seq))
			sc.mu.Unlock()
		case "begin":
			sc.mu.Lock()
			sc.phase, sc.order, sc.rtts, sc.pings = string(arg), orderChecker{}, sc.rtts[:0], 0
			sc.mu.Unlock()
		case "end":
			if err := sc.summary(string(arg)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("server: unknown message %q", line)
		}
	}
}

// summary sends the phase's counts and round-trip times.
func (sc *serverConn) summary(phase string) error {
	sc.mu.Lock()
	o, rtt, pings := sc.order, summarize(sc.rtts), sc.pings
	if phase != sc.phase {
		o.violations++
		o.first = fmt.Sprintf("end %q for phase %q", phase, sc.phase)
	}
	sc.mu.Unlock()
	first := o.first
	if first == "" {
		first = "-"
	}
	msg := fmt.Sprintf("summary %s results=%d violations=%d pings=%d pongs=%d rtt50=%d rtt99=%d rttmax=%d first=%s\n",
		phase, o.count, o.violations, pings, rtt.N, rtt.P50.Nanoseconds(), rtt.P99.Nanoseconds(), rtt.Max.Nanoseconds(),
		strconv.Quote(first))
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	_, err := io.WriteString(sc.conn, msg)
	return err
}

// phaseSummary is what the server says of a phase.
type phaseSummary struct {
	Phase      string
	Results    int
	Violations int
	First      string
	Pings      int
	RTT        latency
}

// parseSummary parses the arguments of a summary line.
func parseSummary(arg string) (phaseSummary, error) {
	var s phaseSummary
	name, rest, _ := strings.Cut(arg, " ")
	s.Phase = name
	var r50, r99, rmax int64
	var pongs int
	var first string
	_, err := fmt.Sscanf(rest, "results=%d violations=%d pings=%d pongs=%d rtt50=%d rtt99=%d rttmax=%d first=%q",
		&s.Results, &s.Violations, &s.Pings, &pongs, &r50, &r99, &rmax, &first)
	if err != nil {
		return s, fmt.Errorf("bad summary %q: %w", arg, err)
	}
	s.RTT = latency{N: pongs, P50: time.Duration(r50), P99: time.Duration(r99), Max: time.Duration(rmax)}
	if first != "-" {
		s.First = first
	}
	return s, nil
}

// hungUp reports whether err only says the client has gone. A client that
// closes with pings still unread in its socket makes the kernel reset the
// connection, so a hang-up can read as ECONNRESET (or EPIPE on a write)
// rather than EOF.
func hungUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
