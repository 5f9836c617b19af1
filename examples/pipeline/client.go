package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// client is the program's side of the connection. Its reader goroutine
// (read) owns the reading half and answers every ping at once; any
// goroutine may write, one message at a time (wmu): the pongs from the
// reader, the results from the ordered-results loop.
type client struct {
	conn      net.Conn
	summaries chan phaseSummary // from the reader to end

	wmu  sync.Mutex
	wbuf []byte

	pongs   atomic.Uint64
	results atomic.Uint64
}

func dial(ctx context.Context, addr string) (*client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &client{conn: conn, summaries: make(chan phaseSummary, 1), wbuf: make([]byte, 0, 256)}, nil
}

// read is the reader goroutine: it answers pings and passes summaries on,
// until the connection is closed.
func (c *client) read(ctx context.Context) error {
	r := bufio.NewReader(c.conn)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if errors.Is(err, io.EOF) {
				return errors.New("client: the server closed the connection")
			}
			return fmt.Errorf("client: %w", err)
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		verb, arg, _ := bytes.Cut(line, []byte{' '})
		switch string(verb) {
		case "ping":
			if err := c.write3("pong ", arg, ""); err != nil {
				return err
			}
			c.pongs.Add(1)
		case "summary":
			s, err := parseSummary(string(arg))
			if err != nil {
				return fmt.Errorf("client: %w", err)
			}
			select {
			case c.summaries <- s:
			case <-ctx.Done():
				return nil
			}
		default:
			return fmt.Errorf("client: unknown message %q", line)
		}
	}
}

// write3 writes a+b+c and a newline as one message.
func (c *client) write3(a string, b []byte, cc string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = append(append(append(c.wbuf[:0], a...), b...), cc...)
	c.wbuf = append(c.wbuf, '\n')
	if _, err := c.conn.Write(c.wbuf); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	return nil
}

func (c *client) begin(phase string) error { return c.write3("begin ", nil, phase) }

// result sends one frame's result: its sequence, its sensor timestamp and
// detail (formatted by the caller into a buffer of its own).
func (c *client) result(seq uint32, ts int64, detail []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	b := strconv.AppendUint(append(c.wbuf[:0], "result "...), uint64(seq), 10)
	b = strconv.AppendInt(append(b, " ts="...), ts, 10)
	if len(detail) > 0 {
		b = append(append(b, ' '), detail...)
	}
	c.wbuf = append(b, '\n')
	if _, err := c.conn.Write(c.wbuf); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	c.results.Add(1)
	return nil
}

// end ends a phase and returns the server's summary of it.
func (c *client) end(ctx context.Context, phase string) (phaseSummary, error) {
	if err := c.write3("end ", nil, phase); err != nil {
		return phaseSummary{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	select {
	case s := <-c.summaries:
		if s.Phase != phase {
			return s, fmt.Errorf("client: summary of phase %q, want %q", s.Phase, phase)
		}
		return s, nil
	case <-ctx.Done():
		return phaseSummary{}, fmt.Errorf("client: no summary of phase %q from the server: %w", phase, ctx.Err())
	}
}

func (c *client) Close() error { return c.conn.Close() }
