package main

import (
	"bufio"
	"os"
	"os/signal"
	"syscall"
)

// trigger fires on SIGUSR1, and on Enter when stdin is a terminal: what
// saves a circular buffer.
type trigger struct {
	c     chan string
	sig   chan os.Signal
	enter bool
}

func newTrigger(out *console) *trigger {
	t := &trigger{c: make(chan string, 1), sig: make(chan os.Signal, 1)}
	signal.Notify(t.sig, syscall.SIGUSR1)
	go func() {
		for range t.sig {
			t.fire("SIGUSR1")
		}
	}()
	if isTerminal(os.Stdin) {
		t.enter = true
		go func() {
			// Reading stdin blocks until the program ends: nothing to stop.
			s := bufio.NewScanner(os.Stdin)
			for s.Scan() {
				t.fire("Enter")
			}
		}()
	}
	return t
}

func (t *trigger) fire(why string) {
	select {
	case t.c <- why:
	default: // one pending is enough
	}
}

// fired is the channel of triggers; nil (never ready) for no trigger.
func (t *trigger) fired() <-chan string {
	if t == nil {
		return nil
	}
	return t.c
}

func (t *trigger) stop() {
	signal.Stop(t.sig)
	close(t.sig)
}

func (t *trigger) enterHint() string {
	if t.enter {
		return ", or press Enter"
	}
	return ""
}

func pid() int { return os.Getpid() }
