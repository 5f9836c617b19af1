package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// console is where picamgo talks to its user: messages on stderr (stdout
// may carry a video stream), a progress line redrawn in place when stderr
// is a terminal, plain lines otherwise, nothing but errors with -q.
type console struct {
	stdout, stderr *os.File
	tty            bool // stderr is a terminal
	quiet          bool
	verbose        verbosity

	mu    sync.Mutex
	drawn bool // a progress line is on the screen, without its newline
}

func newConsole(stdout, stderr *os.File) *console {
	return &console{stdout: stdout, stderr: stderr, tty: isTerminal(stderr)}
}

// isTerminal reports whether f is a terminal (it has terminal attributes).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// infof prints a line for the user, unless -q.
func (c *console) infof(format string, a ...any) {
	if c.quiet {
		return
	}
	c.line(fmt.Sprintf(format, a...))
}

// debugf prints a line with -v.
func (c *console) debugf(format string, a ...any) {
	if c.verbose > 0 && !c.quiet {
		c.line(fmt.Sprintf(format, a...))
	}
}

// errorf prints an error line, even with -q.
func (c *console) errorf(format string, a ...any) {
	c.line(fmt.Sprintf(format, a...))
}

func (c *console) line(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drawn {
		fmt.Fprint(c.stderr, "\r\033[K")
		c.drawn = false
	}
	fmt.Fprintln(c.stderr, s)
}

// status is what a progress line shows.
type status struct {
	elapsed time.Duration
	frames  uint64
	dropped uint64
	bytes   int64 // -1: no file
}

func (s status) String() string {
	fps := 0.0
	if s.elapsed > 0 {
		fps = float64(s.frames) / s.elapsed.Seconds()
	}
	str := fmt.Sprintf("%s  %d frames  %.1f frames/s  %d dropped", clock(s.elapsed), s.frames, fps, s.dropped)
	if s.bytes >= 0 {
		str += "  " + byteSize(s.bytes)
	}
	return str
}

// progress redraws the progress line on a terminal; elsewhere it does
// nothing (the command prints its summary at the end).
func (c *console) progress(s status) {
	if !c.tty || c.quiet {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.stderr, "\r\033[K%s", s)
	c.drawn = true
}

// endProgress ends a progress line drawn on a terminal with its newline.
func (c *console) endProgress() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drawn {
		fmt.Fprintln(c.stderr)
		c.drawn = false
	}
}

// startProgress redraws the progress line from get until the returned
// function is called, which ends the line.
func (c *console) startProgress(get func() status) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		c.follow(quit, get)
	}()
	return func() {
		close(quit)
		<-done
		c.endProgress()
	}
}

// follow redraws the progress line from get every quarter of a second
// until stop is closed. It returns at once where there is no terminal.
func (c *console) follow(stop <-chan struct{}, get func() status) {
	if !c.tty || c.quiet {
		return
	}
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c.progress(get())
		}
	}
}

func clock(d time.Duration) string {
	d = d.Round(100 * time.Millisecond)
	m := int(d / time.Minute)
	s := (d % time.Minute).Seconds()
	return fmt.Sprintf("%d:%04.1f", m, s)
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
