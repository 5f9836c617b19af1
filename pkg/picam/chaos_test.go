package picam

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// chaosBound is how long one API call may take before the chaos test
// calls it a deadlock: generous for a loaded machine under -race, where
// a Stop waits for a callback and a SwitchMode reallocates buffers.
const chaosBound = 30 * time.Second

// chaosEnv reads a positive number from the environment, or def.
func chaosEnv(t *testing.T, name string, def uint64) uint64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: want a number", name, err)
	}
	return n
}

// TestChaos makes random API calls on one camera from several goroutines
// at once: capture, release, stream, stop, start, set controls, switch
// mode and close (followed by a reopen). The calls are drawn from a seed,
// printed at the start and taken from PICAMGO_CHAOS_SEED if set, so that
// each goroutine's sequence of calls can be replayed; their interleaving
// is the scheduler's. PICAMGO_CHAOS_OPS sets the number of calls (make
// chaos runs more).
//
// Invariants: nothing crashes or races (-race), every call returns within
// chaosBound (else every goroutine's stack is printed and the test fails),
// every error is one the API documents, and once everything is released
// and closed no fd, mapping or goroutine is left.
func TestChaos(t *testing.T) {
	seed := chaosEnv(t, "PICAMGO_CHAOS_SEED", uint64(time.Now().UnixNano()))
	ops := int(chaosEnv(t, "PICAMGO_CHAOS_OPS", 1500))
	const workers = 4
	t.Logf("chaos seed %d, %d calls on %d goroutines (PICAMGO_CHAOS_SEED=%d replays the calls)", seed, ops, workers, seed)
	cycle(t, 0) // warm-up, as in TestNoLeaksOver200Cycles
	leaks := checkLeaks(t)

	ch := &chaos{}
	c, err := ch.open()
	if err != nil {
		t.Fatal(err)
	}
	ch.cam.Store(c)
	var wg sync.WaitGroup
	var calls [workers]atomic.Int64 // start of the call running, unix ns; 0 if none
	var names [workers]atomic.Value
	stop := make(chan struct{})
	go ch.watchdog(stop, calls[:], names[:])
	for w := range workers {
		rng := rand.New(rand.NewPCG(seed, uint64(w)))
		wg.Go(func() {
			for range ops / workers {
				op := chaosOps[rng.IntN(len(chaosOps))]
				names[w].Store(op.name)
				calls[w].Store(time.Now().UnixNano())
				if err := op.fn(ch, rng); err != nil {
					t.Errorf("%s: %v", op.name, err)
				}
				calls[w].Store(0)
				ch.count(op.name)
			}
		})
	}
	wg.Wait()
	close(stop)
	ch.releaseAll()
	if err := ch.cam.Load().Close(); err != nil {
		t.Errorf("final Close: %v", err)
	}
	leaks()
	t.Logf("calls made: %v", ch.counts())
}

// chaos is the shared state of the chaos test's goroutines.
type chaos struct {
	cam    atomic.Pointer[Camera]
	reopen sync.Mutex // one close-and-reopen at a time
	mu     sync.Mutex
	held   []*CompletedRequest
	calls  map[string]int
}

var chaosSizes = []Size{{Width: 64, Height: 48}, {Width: 640, Height: 480}}

func (ch *chaos) open() (*Camera, error) {
	opts, _ := testOptions(barsID)
	c, err := OpenWith(opts)
	if err != nil {
		return nil, err
	}
	if _, err := c.Configure(nv12Config(c, chaosSizes[0])); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.Start(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (ch *chaos) count(name string) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.calls == nil {
		ch.calls = map[string]int{}
	}
	ch.calls[name]++
}

func (ch *chaos) counts() string {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return fmt.Sprint(ch.calls)
}

func (ch *chaos) keep(r *CompletedRequest) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	ch.held = append(ch.held, r)
}

// take removes a random held request, or returns nil.
func (ch *chaos) take(rng *rand.Rand) *CompletedRequest {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if len(ch.held) == 0 {
		return nil
	}
	i := rng.IntN(len(ch.held))
	r := ch.held[i]
	ch.held[i] = ch.held[len(ch.held)-1]
	ch.held = ch.held[:len(ch.held)-1]
	return r
}

func (ch *chaos) releaseAll() {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	for _, r := range ch.held {
		r.Release()
	}
	ch.held = nil
}

// watchdog fails the test with every goroutine's stack if a call has run
// longer than chaosBound: a deadlock would otherwise only end at go test's
// timeout, without saying which call hung.
func (ch *chaos) watchdog(stop <-chan struct{}, calls []atomic.Int64, names []atomic.Value) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for w := range calls {
			if start := calls[w].Load(); start != 0 && time.Since(time.Unix(0, start)) > chaosBound {
				buf := make([]byte, 1<<22)
				buf = buf[:runtime.Stack(buf, true)]
				fmt.Fprintf(os.Stderr, "chaos: goroutine %d's %v has not returned in %v; every goroutine:\n%s\n", w, names[w].Load(), chaosBound, buf)
				panic(fmt.Sprintf("chaos: %v did not return within %v (deadlock)", names[w].Load(), chaosBound))
			}
		}
	}
}

// expected tells the errors a call may return while other goroutines stop,
// restart, switch and close the camera.
func expected(err error) bool {
	return err == nil || errors.Is(err, ErrClosed) || errors.Is(err, ErrNotStarted) ||
		errors.Is(err, ErrNotConfigured) || errors.Is(err, ErrBusy) || errors.Is(err, ErrStalled) ||
		errors.Is(err, ErrReleased) || errors.Is(err, ErrStreamClosed) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func unexpected(err error) error {
	if expected(err) {
		return nil
	}
	return err
}

type chaosOp struct {
	name string
	fn   func(ch *chaos, rng *rand.Rand) error
}

// chaosOps are the calls, some listed twice to be drawn more often.
var chaosOps = []chaosOp{
	{"capture", chaosCapture},
	{"capture", chaosCapture},
	{"release", chaosRelease},
	{"release", chaosRelease},
	{"stream", chaosStream},
	{"stop", func(ch *chaos, _ *rand.Rand) error { return unexpected(ch.cam.Load().Stop()) }},
	{"start", func(ch *chaos, _ *rand.Rand) error { return unexpected(ch.cam.Load().Start()) }},
	{"controls", chaosControls},
	{"switch", chaosSwitch},
	{"close", chaosClose},
}

func chaosCapture(ch *chaos, rng *rand.Rand) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(50))*time.Millisecond)
	defer cancel()
	r, err := ch.cam.Load().CaptureRequest(ctx)
	if err != nil {
		return unexpected(err)
	}
	// A request taken before another goroutine's Close stays readable.
	if f, err := r.Frame(Main); err != nil && !expected(err) {
		return err
	} else if err == nil && (len(f.Planes) == 0 || len(f.Planes[0]) < int(f.Size.Width) || scroll(f) < 0) {
		return fmt.Errorf("frame %d of %v has no bars", r.Sequence(), f)
	}
	if rng.IntN(2) == 0 {
		ch.keep(r) // released later, perhaps after a Stop or a Close
		return nil
	}
	return unexpected(r.Release())
}

func chaosRelease(ch *chaos, rng *rand.Rand) error {
	if r := ch.take(rng); r != nil {
		return unexpected(r.Release())
	}
	return nil
}

func chaosStream(ch *chaos, rng *rand.Rand) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(100))*time.Millisecond)
	defer cancel()
	policy := Policy(rng.IntN(3))
	n := 0
	for r, err := range ch.cam.Load().Frames(ctx, FrameStreamOptions{Policy: policy}) {
		if err != nil {
			return unexpected(err)
		}
		_ = r.Sequence()
		if n++; n == 5 {
			break
		}
	}
	return nil
}

func chaosControls(ch *chaos, rng *rand.Rand) error {
	b := rng.Float64()*2 - 1
	_, _, err := ch.cam.Load().SetControls(Controls{Brightness: &b})
	if errors.Is(err, ErrUnsupported) || errors.Is(err, ErrInvalid) {
		return nil // the virtual camera has no Brightness
	}
	return unexpected(err)
}

func chaosSwitch(ch *chaos, rng *rand.Rand) error {
	c := ch.cam.Load()
	cfg := nv12Config(c, chaosSizes[rng.IntN(len(chaosSizes))])
	if rng.IntN(2) == 0 {
		cfg.Lores = &StreamConfig{Size: chaosSizes[0], Format: FormatNV12}
	}
	_, err := c.SwitchMode(cfg)
	return unexpected(err)
}

// chaosClose closes the camera (calls on it then fail with ErrClosed) and
// opens it again for the calls after.
func chaosClose(ch *chaos, _ *rand.Rand) error {
	ch.reopen.Lock()
	defer ch.reopen.Unlock()
	if err := ch.cam.Load().Close(); err != nil {
		return unexpected(err)
	}
	c, err := ch.open()
	if err != nil {
		return fmt.Errorf("reopen: %w", err) // every call after fails with ErrClosed
	}
	ch.cam.Store(c)
	return nil
}
