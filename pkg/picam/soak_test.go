package picam

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// soakFrames is how many frames TestSoak takes: a short run in every go
// test (with -race there), 10^5 with PICAMGO_SOAK=1 or PICAMGO_SOAK_FRAMES
// (make soak, without -race, so that RSS is the library's).
func soakFrames(t *testing.T) int {
	if v := os.Getenv("PICAMGO_SOAK_FRAMES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PICAMGO_SOAK_FRAMES=%q: want a positive number", v)
		}
		return n
	}
	if os.Getenv("PICAMGO_SOAK") != "" {
		return 100_000
	}
	return 3_000
}

// TestSoak streams many 64x48 frames through pkg/picam, checks every
// frame's sequence and some frames' pixels, and compares fds, buffer
// mappings, goroutines, the Go heap and the process's RSS before and
// after: a per-frame leak of one object, descriptor or page would show.
func TestSoak(t *testing.T) {
	frames := soakFrames(t)
	// Unpaced: the virtual camera makes frames as fast as they are
	// released, so the soak measures picam, not a timer.
	c, _ := startCamera(t, barsID, small, startOpts{NoQueue: true, Options: func(o *Options) { o.MaxFrameRate = 0 }, Running: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	leaks := checkLeaks(t)
	// A warm-up: what the first frames allocate once (sync.Pool, the
	// stream's channel, maps the runtime grows) is not per frame.
	soakRun(t, ctx, c, 500)
	heap0, rss0 := heapInUse(), rssBytes(t)
	start := time.Now()
	got, gaps := soakRun(t, ctx, c, frames)
	elapsed := time.Since(start)
	heap1, rss1 := heapInUse(), rssBytes(t)
	waitHeld(t, c, 0)
	counts := leaks()
	st := c.Stats()
	// A per-frame leak of 16 bytes over 10^5 frames is 1.6 MB: the bounds
	// are far below that, far above the heap's and RSS's own noise.
	const heapSlack, rssSlack = 1 << 20, 4 << 20
	if heap1 > heap0+heapSlack {
		t.Errorf("heap in use grew from %d to %d bytes over %d frames", heap0, heap1, got)
	}
	// RSS is judged without instrumentation: AddressSanitizer keeps freed
	// memory in quarantine (256 MB by default) before reusing it, and the
	// race detector's shadow memory grows (see race_on_test.go).
	if rss1 > rss0+rssSlack && !asanEnabled && !raceEnabled {
		t.Errorf("RSS grew from %d to %d bytes over %d frames", rss0, rss1, got)
	}
	if st.Dropped != 0 || st.Leaked != 0 || st.Stalls != 0 {
		t.Errorf("camera stats %+v", st)
	}
	t.Logf("%d frames (%d gaps in sequence, frames the stream passed back while its consumer was busy) in %v (%.0f/s); heap in use %d -> %d bytes, RSS %d -> %d kB; after: %v",
		got, gaps, elapsed.Round(time.Millisecond), float64(got)/elapsed.Seconds(), heap0, heap1, rss0>>10, rss1>>10, counts)
}

// soakRun takes n frames from a Block stream: sequences must increase,
// and every 1000th frame's pixels must be the bars pattern.
func soakRun(t *testing.T, ctx context.Context, c *Camera, n int) (got, gaps int) {
	t.Helper()
	var last uint32
	for r, err := range c.Frames(ctx, FrameStreamOptions{Policy: Block}) {
		if err != nil {
			t.Fatalf("after %d frames: %v", got, err)
		}
		seq := r.Sequence()
		if got > 0 && seq <= last {
			t.Fatalf("frame %d after frame %d", seq, last)
		}
		if got > 0 && seq != last+1 {
			gaps++
		}
		last = seq
		if got%1000 == 0 {
			f, err := r.Frame(Main)
			if err != nil {
				t.Fatal(err)
			}
			checkBars(t, f, seq)
		}
		if got++; got == n {
			break
		}
	}
	return got, gaps
}

// heapInUse is the Go heap's in-use bytes after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC() // the second frees what the first's finalizers and cleanups let go
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// rssBytes is the process's resident set size (VmRSS).
func rssBytes(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:")); ok {
			kb, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}
