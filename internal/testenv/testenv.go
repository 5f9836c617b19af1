// Package testenv is the test environment shared by picamgo's packages:
// the setup of a test binary against testdata/virtual.yaml and the
// resource counts that leak checks compare.
//
// It is a normal package used only by tests (of this module and of the
// nested ones under pkg/, which Go's internal rule lets import it). It
// must not import the libcamera package, whose internal tests import it:
// what only libcamera knows comes in as a func (see [Env]).
package testenv

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Setup prepares the process for tests against testdata/virtual.yaml;
// call it first in TestMain (or use [Main]).
//
// Only libcamera's virtual pipeline is matched, so that a machine with a
// webcam still tests what testdata/virtual.yaml defines. Logs are quiet
// unless PICAMGO_LOG asks for them: libcamera's log is limited to FATAL
// and slog's default logger (which picam uses when no Logger is given, as
// in the Examples) to Warn, so that warnings and errors still show. With
// PICAMGO_LOG set (e.g. PICAMGO_LOG='*:DEBUG') it becomes libcamera's
// LIBCAMERA_LOG_LEVELS and slog's default logger logs from Debug on.
func Setup() {
	os.Setenv("LIBCAMERA_PIPELINES_MATCH_LIST", "virtual")
	if lv := os.Getenv("PICAMGO_LOG"); lv != "" {
		os.Setenv("LIBCAMERA_LOG_LEVELS", lv)
		slog.SetLogLoggerLevel(slog.LevelDebug)
	} else {
		os.Setenv("LIBCAMERA_LOG_LEVELS", "*:FATAL")
		slog.SetLogLoggerLevel(slog.LevelWarn)
	}
}

// Main is a TestMain that only calls [Setup] and runs the tests.
func Main(m *testing.M) {
	Setup()
	os.Exit(m.Run())
}

// Env counts a process's resources for leak checks. The zero value counts
// fds, memfd frame mappings and goroutines.
type Env struct {
	// LiveMappings, if set, counts the frame buffer mappings libcamera's
	// package holds (libcamera.LiveMappings).
	LiveMappings func() int64
	// Extra, if set, counts one more resource, named ExtraName in reports
	// (pkg/picamcv: open gocv Mats).
	Extra     func() int
	ExtraName string
}

// Counts is what a leak would grow.
type Counts struct {
	FDs        int // open file descriptors
	Mappings   int // Env.LiveMappings
	MemfdMaps  int // mappings of picamgo's memfd frame buffers in /proc/self/maps
	Goroutines int // runtime.NumGoroutine
	Extra      int // Env.Extra
}

func (c Counts) String() string {
	return fmt.Sprintf("{fds:%d mappings:%d memfdMaps:%d goroutines:%d extra:%d}",
		c.FDs, c.Mappings, c.MemfdMaps, c.Goroutines, c.Extra)
}

// format is c with the extra resource under its name.
func (e Env) format(c Counts) string {
	s := fmt.Sprintf("{fds:%d mappings:%d memfdMaps:%d goroutines:%d", c.FDs, c.Mappings, c.MemfdMaps, c.Goroutines)
	if e.Extra != nil {
		name := e.ExtraName
		if name == "" {
			name = "extra"
		}
		s += fmt.Sprintf(" %s:%d", name, c.Extra)
	}
	return s + "}"
}

// Count counts the resources now.
func (e Env) Count() Counts {
	var c Counts
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		c.FDs = len(ents) - 1 // less ReadDir's own
	}
	if e.LiveMappings != nil {
		c.Mappings = int(e.LiveMappings())
	}
	if maps, err := os.ReadFile("/proc/self/maps"); err == nil {
		c.MemfdMaps = strings.Count(string(maps), "memfd:picamgo-frame")
	}
	c.Goroutines = runtime.NumGoroutine()
	if e.Extra != nil {
		c.Extra = e.Extra()
	}
	return c
}

// Settle collects garbage until the counts stop changing, so that cleanups
// of earlier tests are not mistaken for the caller's, and returns them.
//
// "Stopped changing" is three rounds in a row, each waiting for the
// cleanups a collection queued (see flushCleanups): on a loaded machine a
// single 10ms pause could end before an earlier test's cleanup unmapped its
// buffers, which the leak check then counted as freed by the test.
func (e Env) Settle() Counts {
	last := e.Count()
	stable := 0
	for range 60 {
		flushCleanups()
		now := e.Count()
		if now != last {
			stable = 0
		} else if stable++; stable == 3 {
			return now
		}
		last = now
	}
	return last
}

// flushCleanups collects garbage and waits for a cleanup queued by that
// collection to run, so that the cleanups queued with it (or before) have
// had their turn; the wait is bounded, as a cleanup may be slow.
func flushCleanups() {
	done := make(chan struct{})
	sentinel := new([64]byte) // not a tiny allocation, whose cleanup may never run
	runtime.AddCleanup(sentinel, func(ch chan struct{}) { close(ch) }, done)
	runtime.GC() // sentinel is dead here: its last use was above
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	time.Sleep(10 * time.Millisecond) // what the cleanups started (goroutines ending)
}

// CheckLeaks returns a function that fails the test if fds, mappings,
// goroutines or the extra resource grew since CheckLeaks was called, and
// returns the counts. Call that function after everything the test opened
// is closed. Goroutines and cleanups settle asynchronously, so it retries,
// each time after the cleanups a collection queued have run, for up to 10
// seconds before failing; the failure lists what is new: fds by
// target, goroutines by stack and threads by name.
//
// Start counting in the state the test ends in. With a camera running,
// wait for its first frame first: libcamera sets up some things only once
// frames flow and keeps them until the camera stops or closes (libcamera
// 0.7's virtual camera starts a frame thread with an eventfd, and the
// thread that completes requests counts as a goroutine from its first call
// into Go, since cgo keeps a C thread's binding until the thread exits).
func (e Env) CheckLeaks(t testing.TB) func() Counts {
	t.Helper()
	before := e.Settle()
	snap := TakeSnapshot()
	return func() Counts {
		t.Helper()
		var after Counts
		// The deadline only bounds the wait for a leak that is real: a
		// loaded machine can leave the goroutines and cleanups that end a
		// test unscheduled for more than the second this used to allow.
		for deadline := time.Now().Add(10 * time.Second); ; {
			flushCleanups()
			if after = e.Count(); after == before || time.Now().After(deadline) {
				break
			}
		}
		if after == before {
			return after
		}
		t.Errorf("leak: before %s, after %s%s", e.format(before), e.format(after), TakeSnapshot().Since(snap))
		return after
	}
}

// Snapshot is what a leak report compares: fds by target, goroutines by
// their state and the functions on their stacks, and threads by name,
// each with a count.
type Snapshot struct {
	fds, goroutines, threads map[string]int
}

// TakeSnapshot lists the process's fds, goroutines and threads now.
func TakeSnapshot() Snapshot {
	s := Snapshot{fds: map[string]int{}, goroutines: map[string]int{}, threads: map[string]int{}}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, ent := range ents {
			if target, err := os.Readlink(filepath.Join("/proc/self/fd", ent.Name())); err == nil {
				s.fds[target]++
			}
		}
	}
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range strings.Split(string(buf), "\n\n") {
		s.goroutines[stackKey(g)]++
	}
	if ents, err := os.ReadDir("/proc/self/task"); err == nil {
		for _, ent := range ents {
			if comm, err := os.ReadFile(filepath.Join("/proc/self/task", ent.Name(), "comm")); err == nil {
				s.threads[strings.TrimSpace(string(comm))]++
			}
		}
	}
	return s
}

// stackKey is a goroutine's state and the functions on its stack, without
// its id, arguments and addresses.
func stackKey(g string) string {
	lines := strings.Split(strings.TrimSpace(g), "\n")
	if len(lines) == 0 {
		return ""
	}
	head := lines[0] // goroutine 7 [chan receive, 2 minutes]:
	if i := strings.Index(head, "["); i >= 0 {
		head = head[i:]
		if j := strings.IndexAny(head, ",]"); j >= 0 {
			head = head[1:j]
		}
	}
	key := []string{head}
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "\t") {
			continue // file:line
		}
		if i := strings.LastIndex(l, "("); i > 0 {
			l = l[:i]
		}
		key = append(key, "  "+l)
	}
	return strings.Join(key, "\n")
}

// Since lists what s has more of than old, for a leak report: empty if
// nothing, else "; new since the first count:" and one line for each.
func (s Snapshot) Since(old Snapshot) string {
	var b strings.Builder
	diff := func(what string, now, was map[string]int) {
		keys := make([]string, 0, len(now))
		for k := range now {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if d := now[k] - was[k]; d > 0 {
				fmt.Fprintf(&b, "\n  +%d %s: %s", d, what, k)
			}
		}
	}
	diff("fd", s.fds, old.fds)
	diff("goroutine", s.goroutines, old.goroutines)
	diff("thread", s.threads, old.threads)
	if b.Len() == 0 {
		return ""
	}
	return "; new since the first count:" + b.String()
}

// LogBuffer collects a log (the output of a slog handler) for checks; it
// may be written from any goroutine.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
