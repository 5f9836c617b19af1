package video

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/internal/bars"
)

// checkRecorded checks a recorded file against the packets the recording
// gave: as many h264 frames of the right size, each the frame captured
// (the bars' scroll), and, with pts, each frame's timestamp the sensor's
// less the first one's, the duration their span plus one frame.
func checkRecorded(t *testing.T, path string, w, h int, pkts []Packet, withPTS bool) {
	t.Helper()
	p := bars.ProbeFile(t, path, "")
	if p.Codec != "h264" || p.Width != w || p.Height != h || p.Frames != len(pkts) {
		t.Fatalf("%s: %v; want h264 %dx%d, %d frames", path, p, w, h, len(pkts))
	}
	ts0 := pkts[0].SensorTimestamp
	if withPTS {
		if p.TimeBase != "1/1000000" {
			t.Errorf("time base %s, want 1/1000000", p.TimeBase)
		}
		prev := int64(-1)
		for i, pk := range pkts {
			want := (pk.SensorTimestamp - ts0) / 1000
			if want <= prev {
				want = prev + 1 // frames within a microsecond: the next one
			}
			prev = want
			if p.PTS[i] != want {
				t.Errorf("frame %d (seq %d): pts %d µs, want the sensor's %d µs", i, pk.Sequence, p.PTS[i], want)
			}
		}
		last := pkts[len(pkts)-1]
		span := time.Duration(last.SensorTimestamp-ts0) + last.Duration
		if d := time.Duration(p.Duration * float64(time.Second)); d < span-time.Millisecond || d > span+time.Millisecond {
			t.Errorf("duration %v, want %v (first to last timestamp, plus one frame)", d, span)
		}
	}
	for i, f := range bars.DecodeGray(t, path, "", w, h) {
		x, err := bars.FindWhite(f, w, h, w)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if want := bars.WhiteX(w, int(pkts[i].Sequence)); x != want {
			t.Errorf("frame %d: white bar at %d, want %d (sequence %d)", i, x, want, pkts[i].Sequence)
		}
	}
}

func TestRecordMP4(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 30)
	path := filepath.Join(t.TempDir(), "rec.mp4")
	col := &collector{}
	r, err := Start(ctxT(t), c, Options{Encoder: H264{}, Outputs: []Output{File(path), col}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, r, 45)
	if err := r.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st := r.Stats()
	pkts := col.packets()
	t.Logf("stats %+v", st)
	if st.Frames != uint64(len(pkts)) || st.Outputs[0].Packets != st.Frames || st.Outputs[0].Dropped != 0 {
		t.Fatalf("stats %+v, %d packets collected", st, len(pkts))
	}
	if col.opened != 1 || col.closed != 1 {
		t.Errorf("output opened %d, closed %d times", col.opened, col.closed)
	}
	// Every frame from the first recorded to the last taken is recorded or
	// counted dropped; the last ones may be dropped too (a busy machine).
	if last := r.lastSeq.Load(); st.Dropped != uint64(last-pkts[0].Sequence+1)-st.Frames {
		t.Errorf("dropped %d, but sequences %d..%d (the last taken %d) for %d frames", st.Dropped, pkts[0].Sequence, pkts[len(pkts)-1].Sequence, last, st.Frames)
	}
	checkRecorded(t, path, w, h, pkts, true)
}

// TestRecordDropped holds the encoder up for a few frames: the frames the
// camera gave meanwhile are dropped (counted), and the MP4's timestamps
// still are the sensor's, with the gap.
func TestRecordDropped(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 30)
	// The encoder is held until 3 frames found the queue of copies (1) full.
	r, _, col, path := recordHeld(t, c, Options{Queue: 1, EncoderQueue: 1}, func(r *Recording) bool { return r.Stats().Dropped >= 3 })
	st := r.Stats()
	pkts := col.packets()
	gaps := 0
	for i := 1; i < len(pkts); i++ {
		gaps += int(pkts[i].Sequence - pkts[i-1].Sequence - 1)
	}
	// Frames taken after the last one recorded were dropped too.
	after := int(r.lastSeq.Load() - pkts[len(pkts)-1].Sequence)
	t.Logf("stats %+v, %d frames missing in sequence, %d after the last recorded", st, gaps, after)
	if gaps < 3 || uint64(gaps+after) != st.Dropped {
		t.Fatalf("%d frames missing and %d after the last recorded, %d counted dropped; want at least 3 missing, the sum counted", gaps, after, st.Dropped)
	}
	checkRecorded(t, path, w, h, pkts, true)
}

// TestEncoderQueue: an H.264 encoder held up for 6 frames of the camera
// loses none of them: each was copied and its request released on
// arrival (the camera went on with its 4 buffers), and waited in the queue
// of copies.
func TestEncoderQueue(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 30)
	var f0, lost0, lostHeld uint64
	r, holdAt, col, path := recordHeld(t, c, Options{}, func(r *Recording) bool {
		if f0 == 0 {
			f0, lost0 = c.Stats().Frames, r.queueDropped.Load()
		}
		if c.Stats().Frames < f0+6 {
			return false
		}
		lostHeld = r.queueDropped.Load() - lost0
		return true
	})
	st := r.Stats()
	t.Logf("stats %+v, %d frames dropped at the queue of copies, %d while held", st, r.queueDropped.Load(), lostHeld)
	// Frames the camera gave while this goroutine was too slow to take
	// them (a busy machine) would be in st.Dropped, and an encoder slower
	// than the camera (under emulation, on a loaded machine) drops at the
	// queue after the hold; none may be lost while it is held, as it was
	// held with the queue empty.
	if lostHeld != 0 {
		t.Fatalf("%d frames dropped at the queue of copies (depth 8) while the encoder was held for 6 frames", lostHeld)
	}
	pkts := col.packets()
	var around []uint32
	for _, p := range pkts {
		if p.Sequence >= holdAt && p.Sequence <= holdAt+7 {
			around = append(around, p.Sequence)
		}
	}
	if st.Dropped == 0 && len(around) != 8 {
		t.Errorf("frames %d..%d: packets for %v", holdAt, holdAt+7, around)
	}
	checkRecorded(t, path, w, h, pkts, true)
}

// recordHeld records H.264 (opts, with an MP4 file and a collector as the
// outputs) and holds the encoder at the first frame it takes 10 or more
// frames after the first (a slow machine may drop the 10th) with no copy
// waiting for it, right after taking it, until until returns true
// (polled); it stops the recording 10 frames after and returns it, the
// frame held at, the collector and the file. It skips the test if the
// encoder does not catch up with the camera in 300 frames (too slow a
// machine to hold it from a known state).
func recordHeld(t *testing.T, c *picam.Camera, opts Options, until func(*Recording) bool) (*Recording, uint32, *collector, string) {
	t.Helper()
	var holdAt, heldAt uint32
	held, behind := make(chan struct{}), make(chan uint32, 1)
	var rec atomic.Pointer[Recording]
	hook := func(seq uint32) {
		if holdAt == 0 {
			holdAt = seq + 10
		}
		r := rec.Load()
		if seq < holdAt || heldAt != 0 || r == nil {
			return
		}
		if len(r.work) > 0 {
			if seq >= holdAt+300 {
				select {
				case behind <- seq:
				default:
				}
			}
			return
		}
		heldAt = seq
		for !until(r) {
			time.Sleep(time.Millisecond)
		}
		close(held)
	}
	testHookTaken.Store(&hook)
	t.Cleanup(func() { testHookTaken.Store(nil) })
	path := filepath.Join(t.TempDir(), "rec.mp4")
	col := &collector{}
	opts.Encoder = H264{}
	opts.Outputs = []Output{File(path), col}
	r, err := Start(ctxT(t), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	rec.Store(r)
	select {
	case <-held:
	case seq := <-behind:
		r.Stop()
		t.Skipf("frame %d: copies still waited for the encoder at every frame since %d", seq, holdAt)
	case <-r.Done():
		t.Fatalf("recording ended before the encoder was held: %v", r.Err())
	}
	waitFrames(t, r, r.Stats().Frames+10)
	if err := r.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	return r, heldAt, col, path
}

func TestRecordMJPEG(t *testing.T) {
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 0)
	var buf bytes.Buffer
	col := &collector{}
	r, err := Start(ctxT(t), c, Options{Encoder: MJPEG{Quality: 90}, Outputs: []Output{Writer(&buf), col}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, r, 10)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	pkts := col.packets()
	rest := buf.Bytes() // the JPEGs one after the other
	for i, p := range pkts {
		if !p.Key {
			t.Errorf("JPEG %d not a keyframe", i)
		}
		if len(rest) < len(p.Data) || !bytes.Equal(rest[:len(p.Data)], p.Data) {
			t.Fatalf("JPEG %d of %d is not next in the stream", i, len(pkts))
		}
		m, err := jpeg.Decode(bytes.NewReader(rest[:len(p.Data)]))
		rest = rest[len(p.Data):]
		if err != nil {
			t.Fatalf("JPEG %d of %d: %v", i, len(pkts), err)
		}
		checkJPEGBars(t, m, int(p.Sequence))
	}
}

// checkJPEGBars checks that a decoded JPEG is frame seq of the bars.
func checkJPEGBars(t *testing.T, m image.Image, seq int) {
	t.Helper()
	if err := bars.CheckImage(m, seq); err != nil {
		t.Error(err)
	}
}

// failAfter fails every write after the first n bytes with ENOSPC, as a
// full disk.
type failAfter struct {
	n, got int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.got+len(p) > f.n {
		return 0, syscall.ENOSPC
	}
	f.got += len(p)
	return len(p), nil
}

// TestOutputFails: an output whose writer fails ends with the error; the
// others and the recording go on.
func TestOutputFails(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 0)
	path := filepath.Join(t.TempDir(), "rec.mkv")
	col := &collector{}
	r, err := Start(ctxT(t), c, Options{Encoder: H264{}, Outputs: []Output{
		Writer(&failAfter{n: 30000}), Container(&failAfter{n: 20000}, "mkv"), File(path), col}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, r, 30)
	for r.Stats().Outputs[1].Err == nil || r.Stats().Outputs[0].Err == nil {
		select {
		case <-r.Done():
			t.Fatalf("recording ended: %v", r.Err())
		case <-time.After(time.Millisecond):
		}
	}
	waitFrames(t, r, r.Stats().Frames+5) // goes on
	err = r.Stop()
	st := r.Stats()
	t.Logf("Stop: %v", err)
	for i, o := range st.Outputs[:2] {
		if !errors.Is(o.Err, syscall.ENOSPC) {
			t.Errorf("output %d: %v, want ENOSPC", i, o.Err)
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Err %v, want ENOSPC", err)
	}
	if st.Outputs[2].Err != nil || st.Outputs[2].Packets != st.Frames {
		t.Errorf("file output %+v, want every of %d frames", st.Outputs[2], st.Frames)
	}
	checkRecorded(t, path, w, h, col.packets(), false)
}

// blockingWriter blocks its first write until released.
type blockingWriter struct {
	bytes.Buffer
	entered, release chan struct{}
	first            bool
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	if !b.first {
		b.first = true
		close(b.entered)
		<-b.release
	}
	return b.Buffer.Write(p)
}

// TestStopDuringWrite: Stop waits for the write in progress, then writes
// what is queued and closes the output.
func TestStopDuringWrite(t *testing.T) {
	bars.Need(t)
	const w, h = 320, 240
	c := startCamera(t, picam.Size{Width: 640, Height: 480}, 0)
	_ = w
	_ = h
	bw := &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
	col := &collector{}
	r, err := Start(ctxT(t), c, Options{Encoder: H264{}, Outputs: []Output{Writer(bw), col}})
	if err != nil {
		t.Fatal(err)
	}
	<-bw.entered
	waitFrames(t, r, 10)
	stopped := make(chan error)
	go func() { stopped <- r.Stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) during a write", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(bw.release)
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st := r.Stats()
	if st.Outputs[0].Packets != st.Frames || st.Outputs[0].Dropped != 0 {
		t.Fatalf("stats %+v: the writer should have every frame", st)
	}
	path := filepath.Join(t.TempDir(), "rec.h264")
	if err := os.WriteFile(path, bw.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	checkRecorded(t, path, 640, 480, col.packets(), false)
}

// TestPTSClock: presentation times are the sensor's from the first frame,
// truncated to microseconds, always increasing among the frames encoded;
// a frame dropped before the encoder does not push the next one's time
// (CI saw 129248825 ns recorded as 129249 µs after such a drop).
func TestPTSClock(t *testing.T) {
	var c ptsClock
	const t0 = 5_000_000_000
	steps := []struct {
		ts      int64
		encoded bool
		want    time.Duration
	}{
		{t0, true, 0},
		{t0 + 1_000_900, true, 1000 * time.Microsecond},
		{t0 + 1_000_950, true, 1001 * time.Microsecond},  // same microsecond
		{t0 + 1_000_990, true, 1002 * time.Microsecond},  // and again
		{t0 + 2_000_100, false, 2000 * time.Microsecond}, // dropped
		{t0 + 2_000_800, true, 2000 * time.Microsecond},  // its own time
		{t0 + 1_500_000, true, 2001 * time.Microsecond},  // a clock gone back
	}
	for i, s := range steps {
		got := c.at(s.ts)
		if got != s.want {
			t.Errorf("step %d: ts %d -> %v, want %v", i, s.ts-t0, got, s.want)
		}
		if s.encoded {
			c.encoded(got)
		}
	}
}
