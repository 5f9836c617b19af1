package video

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/internal/bars"
)

// seqOfWhite is the frame number whose white bar starts at x: the inverse
// of bars.WhiteX for frames below the width.
func seqOfWhite(w, x int) int { return ((w-x-1)%w + w) % w }

// checkFrom checks that the h264 file at path decodes to consecutive
// recorded packets (from pkts), starting at the one whose frame its first
// frame shows, and returns that index.
func checkFrom(t *testing.T, path string, w, h int, pkts []Packet) (first int, n int) {
	t.Helper()
	frames := bars.DecodeGray(t, path, "", w, h)
	if len(frames) == 0 {
		t.Fatalf("%s: no frames", path)
	}
	x, err := bars.FindWhite(frames[0], w, h, w)
	if err != nil {
		t.Fatal(err)
	}
	seq := uint32(seqOfWhite(w, x))
	first = -1
	for i, p := range pkts {
		if p.Sequence == seq {
			first = i
		}
	}
	if first < 0 {
		t.Fatalf("%s starts with frame %d, which was not recorded", path, seq)
	}
	if first+len(frames) > len(pkts) {
		t.Fatalf("%s: %d frames from packet %d, only %d recorded", path, len(frames), first, len(pkts))
	}
	if !pkts[first].Key {
		t.Errorf("%s starts at frame %d, not a keyframe", path, seq)
	}
	checkRecorded(t, path, w, h, pkts[first:first+len(frames)], false)
	return first, len(frames)
}

// TestCircular: the saved file starts at a keyframe at least the buffer's
// duration before the trigger and goes on to the end of the save.
func TestCircular(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 30)
	circ := NewCircular(time.Second)
	col := &collector{}
	path := filepath.Join(t.TempDir(), "saved.mp4")
	// The trigger comes with the encoder held at a frame, once both the
	// collector and the circular output have every packet before it: the
	// buffer then ends exactly at the trigger.
	var trigSeq uint32
	saved := make(chan error, 1)
	var first0, prev uint32
	started, triggered := false, false
	hook := func(seq uint32) {
		if !started {
			started, first0 = true, seq
		}
		// At the first frame taken 75 or more after the first (a slow
		// machine may drop some), before it is encoded: the trigger comes
		// after the frame taken before it.
		last := prev
		prev = seq
		if seq < first0+75 || triggered {
			return
		}
		triggered = true
		trigSeq = last
		for {
			pk := col.packets()
			circ.mu.Lock()
			have := len(circ.ring) > 0 && circ.ring[len(circ.ring)-1].Sequence == trigSeq
			circ.mu.Unlock()
			if have && len(pk) > 0 && pk[len(pk)-1].Sequence == trigSeq {
				break
			}
			time.Sleep(time.Millisecond)
		}
		saved <- circ.Save(File(path))
	}
	testHookTaken.Store(&hook)
	defer testHookTaken.Store(nil)
	r, err := Start(ctxT(t), c, Options{Encoder: H264{GOP: 10}, Outputs: []Output{circ, col}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-saved:
		if err != nil {
			t.Fatal(err)
		}
	case <-r.Done():
		t.Fatalf("recording ended before the trigger: %v", r.Err())
	}
	if err := circ.Save(File(path + "2")); err == nil {
		t.Errorf("a second Save while saving: nil error")
	}
	waitFrames(t, r, r.Stats().Frames+20)
	if err := circ.StopSave(); err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	pkts := col.packets()
	first, n := checkFrom(t, path, w, h, pkts)
	ti := -1
	for i, p := range pkts {
		if p.Sequence == trigSeq {
			ti = i
		}
	}
	before := ti - first
	t.Logf("saved %d frames from frame %d; the trigger came after frame %d (%d packets before)", n, pkts[first].Sequence, trigSeq, before)
	// The file starts at the latest keyframe (every 10th packet) at least
	// the buffer's second before the trigger.
	if span := pkts[ti].PTS - pkts[first].PTS; span < time.Second {
		t.Errorf("the file starts %v before the trigger, want at least 1 s", span)
	}
	if next := first + 10; next <= ti && pkts[ti].PTS-pkts[next].PTS >= time.Second {
		t.Errorf("the file starts at packet %d, but the keyframe at %d is 1 s before the trigger too", first, next)
	}
	if n < before+20 {
		t.Errorf("%d frames saved, want at least %d (buffer and 20 after the trigger)", n, before+20)
	}
}

// TestSegments: segments cut at keyframes, each playable, every frame in
// exactly one.
func TestSegments(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 30)
	dir := t.TempDir()
	seg := NewSegments(filepath.Join(dir, "seg-%03d.mkv"), 500*time.Millisecond)
	col := &collector{}
	r, err := Start(ctxT(t), c, Options{Encoder: H264{GOP: 10}, Outputs: []Output{seg, col}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, r, 70)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	pkts := col.packets()
	files := seg.Files()
	if len(files) < 3 {
		t.Fatalf("%d segments from %d frames of 2 s, want at least 3", len(files), len(pkts))
	}
	next := 0
	for _, f := range files {
		first, n := checkFrom(t, f, w, h, pkts)
		if first != next {
			t.Errorf("%s starts at packet %d, want %d (none lost or doubled)", f, first, next)
		}
		next = first + n
	}
	if next != len(pkts) {
		t.Errorf("the segments hold %d of %d frames", next, len(pkts))
	}
	t.Logf("%d segments, %d frames", len(files), len(pkts))
}

// TestTCP: two clients, one joining late, get decodable streams from a
// keyframe on; a client that disconnects does not disturb the others.
func TestTCP(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 30)
	out, err := ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	r, err := Start(ctxT(t), c, Options{Encoder: H264{GOP: 10}, Outputs: []Output{out, col}})
	if err != nil {
		t.Fatal(err)
	}
	read := func(conn net.Conn, got chan<- []byte) {
		b, _ := io.ReadAll(conn)
		got <- b
	}
	early, err := net.Dial("tcp", out.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	gone, err := net.Dial("tcp", out.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	gotEarly := make(chan []byte, 1)
	go read(early, gotEarly)
	waitFrames(t, r, 30)
	gone.Close()
	late, err := net.Dial("tcp", out.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	gotLate := make(chan []byte, 1)
	go read(late, gotLate)
	waitFrames(t, r, r.Stats().Frames+30)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	pkts := col.packets()
	dir := t.TempDir()
	for name, ch := range map[string]chan []byte{"early": gotEarly, "late": gotLate} {
		path := filepath.Join(dir, name+".h264")
		if err := os.WriteFile(path, <-ch, 0o644); err != nil {
			t.Fatal(err)
		}
		first, n := checkFrom(t, path, w, h, pkts)
		t.Logf("%s client: %d frames from packet %d", name, n, first)
		if first+n != len(pkts) {
			t.Errorf("%s client: frames %d..%d of %d", name, first, first+n, len(pkts))
		}
	}
	if st := out.Stats(); st.Accepted != 3 || st.Clients != 0 {
		t.Errorf("stats %+v, want 3 accepted, none left", st)
	}
}

// TestAddOutput: an output added to a running recording starts at the
// keyframe it asks for and holds every frame from there.
func TestAddOutput(t *testing.T) {
	bars.Need(t)
	const w, h = 640, 480
	c := startCamera(t, picam.Size{Width: w, Height: h}, 30)
	col := &collector{}
	// A GOP longer than the test: only the requested keyframe can start the file.
	r, err := Start(ctxT(t), c, Options{Encoder: H264{GOP: 1000}, Outputs: []Output{col}})
	if err != nil {
		t.Fatal(err)
	}
	waitFrames(t, r, 20)
	path := filepath.Join(t.TempDir(), "late.mkv")
	added := r.Stats().Frames
	if err := r.AddOutput(File(path)); err != nil {
		t.Fatal(err)
	}
	waitFrames(t, r, added+20)
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := r.AddOutput(&collector{}); err == nil {
		t.Errorf("AddOutput after Stop: nil error")
	}
	pkts := col.packets()
	first, n := checkFrom(t, path, w, h, pkts)
	t.Logf("added at frame %d of the recording; the file holds %d frames from packet %d", added, n, first)
	// GOP 1000: packet 0 and the one asked for are the only keyframes, and
	// checkFrom checks that the file starts at one.
	if first < int(added) || first+n != len(pkts) {
		t.Errorf("file holds packets %d..%d of %d; added at %d", first, first+n, len(pkts), added)
	}
}
