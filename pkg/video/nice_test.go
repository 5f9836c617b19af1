package video

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/internal/bars"
)

// threadNices reads every thread of this process and its nice value from
// /proc/self/task/<tid>/stat (the 19th field).
func threadNices(t *testing.T) map[int]int {
	t.Helper()
	dir, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	nices := map[int]int{}
	for _, d := range dir {
		tid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc/self/task", d.Name(), "stat"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		// After the command's ")", field 3 (state) is first: nice is 19.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		n, err := strconv.Atoi(f[19-3])
		if err != nil {
			t.Fatalf("%s: nice %q: %v", d.Name(), f[19-3], err)
		}
		nices[tid] = n
	}
	return nices
}

// TestEncoderThreadPriority: an H.264 recording at its default priority
// encodes on a thread niced by 10, libx264's threads (started when the
// encoder opens) are niced as well, and no other thread of the process is
// (the test's own, the Go runtime's, the camera's); after Stop no niced
// thread is left; the file holds every frame encoded.
func TestEncoderThreadPriority(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 30)
	runtime.LockOSThread() // this goroutine's thread: one that must stay as it is
	defer runtime.UnlockOSThread()
	self := syscall.Gettid()
	before := threadNices(t)
	base := before[self]
	want := min(base+defaultNice, 19) // the encoder's threads' nice
	if want == base {
		t.Skipf("the test runs at nice %d: nothing lower to check", base)
	}
	path := filepath.Join(t.TempDir(), "rec.mp4")
	col := &collector{}
	// Two x264 threads: a known number whatever the machine's cores.
	r, err := Start(ctxT(t), c, Options{Encoder: H264{Threads: 2}, Outputs: []Output{File(path), col}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, r, 30)
	during := threadNices(t)
	var niced []int
	for tid, n := range during {
		_, old := before[tid]
		switch {
		case n == want && !old:
			niced = append(niced, tid)
		case n != base:
			t.Errorf("thread %d (there before the recording: %v): nice %d, want %d", tid, old, n, base)
		}
	}
	t.Logf("%d threads before, %d recording; niced: %v", len(before), len(during), niced)
	// The encoder's thread and at least one of libx264's.
	if len(niced) < 2 {
		t.Errorf("%d threads at nice %d, want the encoder's and libx264's: %v", len(niced), want, during)
	}
	if err := r.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// A joined thread can still be listed in /proc for a moment (the
	// kernel wakes pthread_join before it has reaped the thread; longer
	// under qemu-user): wait for the niced ones to go. A niced thread
	// back in Go's pool, or one of x264's left running, never goes.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		left := map[int]int{}
		for tid, n := range threadNices(t) {
			if n != base {
				left[tid] = n
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("20s after Stop, threads still at a nice value other than %d: %v: a lowered thread went back to Go or x264's stayed", base, left)
			break
		}
	}
	st := r.Stats()
	pkts := col.packets()
	if st.Frames != uint64(len(pkts)) || st.Outputs[0].Packets != st.Frames {
		t.Fatalf("stats %+v, %d packets collected", st, len(pkts))
	}
	checkRecorded(t, path, w, h, pkts, true)
}

// TestEncoderKeepPriority: with KeepPriority no thread is niced.
func TestEncoderKeepPriority(t *testing.T) {
	bars.Need(t)
	c := startCamera(t, picam.Size{Width: 640, Height: 480}, 30)
	base := threadNices(t)[syscall.Gettid()]
	r, err := Start(ctxT(t), c, Options{Encoder: H264{Threads: 2, Nice: KeepPriority}, Outputs: []Output{&collector{}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, r, 10)
	for tid, n := range threadNices(t) {
		if n != base {
			t.Errorf("thread %d: nice %d, want %d", tid, n, base)
		}
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestEncoderNiceInvalid(t *testing.T) {
	c := startCamera(t, picam.Size{Width: 640, Height: 480}, 30)
	for _, n := range []int{-2, 20} {
		r, err := Start(ctxT(t), c, Options{Encoder: H264{Nice: n}, Outputs: []Output{&collector{}}})
		if !errors.Is(err, ErrInvalid) {
			if r != nil {
				r.Stop()
			}
			t.Errorf("Nice %d: %v, want ErrInvalid", n, err)
		}
	}
}
