package video

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/testenv"
	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/codec"
)

// The bars camera of testdata/virtual.yaml (at the repository's root).
const barsID = "picamgo-bars"

func TestMain(m *testing.M) {
	testenv.Setup()
	code := m.Run()
	if l := codec.LiveCounts(); l != (codec.Live{}) && code == 0 {
		fmt.Fprintf(os.Stderr, "FFmpeg/TurboJPEG objects left open: %v\n", l)
		code = 1
	}
	os.Exit(code)
}

// env counts fds, buffer mappings, goroutines and open FFmpeg/TurboJPEG
// objects.
var env = testenv.Env{LiveMappings: libcamera.LiveMappings, ExtraName: "codec objects", Extra: func() int {
	l := codec.LiveCounts()
	return int(l.Encoders + l.Muxers + l.JPEGs)
}}

// startCamera opens the bars camera paced at fps, configures its main
// stream as NV12 of the given size and starts it.
func startCamera(t testing.TB, size picam.Size, fps float64) *picam.Camera {
	t.Helper()
	c, err := picam.OpenWith(picam.Options{ID: barsID, MaxFrameRate: fps, StallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("OpenWith(%s): %v", barsID, err)
	}
	t.Cleanup(func() { c.Close() })
	cfg := c.VideoConfiguration()
	cfg.Main = picam.StreamConfig{Size: size, Format: picam.FormatNV12}
	cfg.BufferCount = 4 // the virtual camera's most
	cfg.Strict = true
	if _, err := c.Configure(cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if fps > 0 {
		// The buffers queued at Start complete at once, with timestamps a
		// few microseconds apart; pacing applies from the requeues on.
		if err := c.DropFrames(ctxT(t), 4); err != nil {
			t.Fatalf("DropFrames: %v", err)
		}
	}
	return c
}

// ctxT is a test's context: its deadline is only a bound against a hang.
// A recording started with it ends at the deadline without an error, so
// the bound is far above a slow run (TestFullDisk took 63 s under qemu
// with the cores loaded, its encoder at 3 frames/s, and ended at 60 s).
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// collector is an output keeping every packet's frame, for checks.
type collector struct {
	mu      sync.Mutex
	info    StreamInfo
	pkts    []Packet
	opened  int
	closed  int
	written chan struct{}       // receives after each packet, if not nil
	bySum   map[[32]byte]uint32 // each packet's frame, by the packet's sha256
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

func (c *collector) Open(info StreamInfo) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.info = info
	c.opened++
	return nil
}

func (c *collector) WritePacket(p *Packet) error {
	c.mu.Lock()
	c.pkts = append(c.pkts, *p)
	if c.bySum == nil {
		c.bySum = make(map[[32]byte]uint32)
	}
	c.bySum[sum(p.Data)] = p.Sequence
	c.mu.Unlock()
	if c.written != nil {
		select {
		case c.written <- struct{}{}:
		default:
		}
	}
	return nil
}

func (c *collector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed++
	return nil
}

// seqOf returns the frame whose packet has these bytes. The collector is
// an output on its own goroutine: it may see a packet after another
// output, so seqOf waits for it (up to 5 s).
func (c *collector) seqOf(data []byte) (uint32, bool) {
	k := sum(data)
	for range 5000 {
		c.mu.Lock()
		seq, ok := c.bySum[k]
		c.mu.Unlock()
		if ok {
			return seq, true
		}
		time.Sleep(time.Millisecond)
	}
	return 0, false
}

func (c *collector) packets() []Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Packet(nil), c.pkts...)
}

// waitFrames waits until the recording has encoded n frames.
func waitFrames(t testing.TB, r *Recording, n uint64) {
	t.Helper()
	deadline := time.Now().Add(60*time.Second + time.Duration(n)*40*time.Millisecond)
	for r.Stats().Frames < n {
		select {
		case <-r.Done():
			t.Fatalf("recording ended after %d of %d frames: %v", r.Stats().Frames, n, r.Err())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d frames by the deadline", r.Stats().Frames, n)
		}
	}
}
