package video

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video/codec"
)

// Options of a recording: which stream, the encoder, the outputs.
type Options struct {
	// Stream to record: picam.Main (the zero value) or picam.Lores.
	Stream picam.StreamName
	// Encoder is required: H264{}, MJPEG{} or YUV420{}.
	Encoder Encoder
	// Outputs receive every packet; more can be added with
	// [Recording.AddOutput].
	Outputs []Output
	// Queue is how many frames may wait for the encoder (zero: 2). The
	// camera never waits: a frame that finds the queue full is not
	// recorded, and counted in [Stats].Dropped.
	Queue int
	// Policy for a full queue: picam.Block (the default) keeps the queued
	// frames and skips the new one; picam.DropOldest keeps the newest.
	Policy picam.Policy
	// EncoderQueue, for an encoder that copies the frame anyway (H264),
	// is how many copied frames may wait for it (zero: 8, a quarter of a
	// second at 30 frames/s): each frame is copied out of the camera's
	// buffer and the request released as soon as it arrives, so the
	// camera's few buffers (and Queue) never wait for the encoder, and an
	// encoder held up for a few frames by a busy machine catches up
	// without losing any. A copied frame that finds this queue full is
	// dropped and counted in [Stats].Dropped. The copies are allocated
	// when a backlog first needs them (at 1080p NV12, 3 MB each).
	EncoderQueue int
	// OutputQueue is how many packets an output may fall behind the
	// encoder (zero: 90, three seconds at 30 frames/s). Beyond that the
	// output skips packets, counted in [OutputStats].Dropped, and for H.264
	// resumes at the next keyframe so that what it writes still decodes.
	OutputQueue int
}

// Recording is one encoder recording one stream of a started camera to
// its outputs (Picamera2's start_recording / start_encoder). Several may
// run at once, on the same stream or on different ones. Its methods may be
// called from any goroutine.
//
// It runs on goroutines of its own: one takes each frame from the camera,
// copies or compresses it and releases the request at once (the camera's
// buffers are never held by the encoder's backlog), encodes and hands the
// packets to each output's goroutine.
type Recording struct {
	cam   *picam.Camera
	st    *picam.FrameStream
	enc   frameEncoder
	first bool // no frame encoded yet; the encoding goroutine's

	mu    sync.Mutex // guards sinks (the slice), ended, err
	sinks []*sink
	ended bool // the sinks' queues are closed
	err   error
	qlen  int

	info     atomic.Pointer[StreamInfo] // set once the first packet exists
	keyReq   atomic.Bool
	stopOnce sync.Once
	failOnce sync.Once
	done     chan struct{}

	frames, dropped, packets, bytes atomic.Uint64

	// For an encoder that copies (copyingEncoder): frames copied out of the
	// camera's buffers on their way to the encoding goroutine, and the
	// copies' buffers to reuse.
	work         chan *copiedFrame
	free         chan []byte
	queueDropped atomic.Uint64 // of Stats.Dropped, the copies that found work full
	lastSeq      atomic.Uint32 // the last frame taken from the stream (tests: drops after the last packet)
	queueMax     atomic.Uint64 // the most copies waiting at once, the new one included (benchmarks)

	// frameOf maps a packet's pts to its frame (B-frames reorder them).
	frameOf map[time.Duration]frameID
}

type frameID struct {
	seq uint32
	ts  int64
}

// Stats are a recording's counters.
type Stats struct {
	Frames  uint64 // frames encoded
	Dropped uint64 // frames of the camera not recorded because the encoder was behind (gaps in Sequence)
	Packets uint64 // packets the encoder gave
	Bytes   uint64 // their bytes
	Outputs []OutputStats
}

// OutputStats are one output's counters, in the order of Options.Outputs
// then AddOutput.
type OutputStats struct {
	Packets, Bytes uint64
	Dropped        uint64 // packets skipped because the output was behind
	Err            error  // why the output ended early, or nil
}

// Start records stream opts.Stream of the started camera cam until ctx
// ends, [Recording.Stop] is called, or the camera stops (an error then).
// The first frame recorded has timestamp 0; every packet's PTS is its
// frame's SensorTimestamp less the first one's, so that dropped frames
// leave gaps of the right length.
func Start(ctx context.Context, cam *picam.Camera, opts Options) (*Recording, error) {
	if opts.Encoder == nil {
		return nil, fmt.Errorf("video: start: no encoder: %w", ErrInvalid)
	}
	if opts.Queue < 0 || opts.OutputQueue < 0 || opts.EncoderQueue < 0 {
		return nil, fmt.Errorf("video: start: queue %d, output queue %d, encoder queue %d: %w",
			opts.Queue, opts.OutputQueue, opts.EncoderQueue, ErrInvalid)
	}
	sc, err := cam.StreamConfiguration(opts.Stream)
	if err != nil {
		return nil, fmt.Errorf("video: start: %w", err)
	}
	enc, err := opts.Encoder.open(sc)
	if err != nil {
		return nil, fmt.Errorf("video: start: %w", err)
	}
	q := opts.Queue
	if q == 0 {
		q = 2
	}
	st, err := cam.OpenFrameStream(ctx, picam.FrameStreamOptions{Policy: opts.Policy, Buffer: q, Hold: 1})
	if err != nil {
		enc.close()
		return nil, fmt.Errorf("video: start: %w", err)
	}
	r := &Recording{cam: cam, st: st, enc: enc, first: true, done: make(chan struct{}),
		qlen: opts.OutputQueue, frameOf: make(map[time.Duration]frameID)}
	if r.qlen == 0 {
		r.qlen = 90
	}
	if _, ok := enc.(copyingEncoder); ok {
		n := opts.EncoderQueue
		if n == 0 {
			n = 8
		}
		r.work = make(chan *copiedFrame, n)
		r.free = make(chan []byte, n+1)
	}
	for _, o := range opts.Outputs {
		r.addSink(o, false)
	}
	go r.run(opts.Stream)
	return r, nil
}

// AddOutput adds an output to the running recording. For H.264 it starts
// at the next keyframe, which it asks the encoder for. It returns
// ErrStopped if the recording has ended.
func (r *Recording) AddOutput(o Output) error {
	select {
	case <-r.done:
		return fmt.Errorf("video: add output: %w", ErrStopped)
	default:
	}
	if !r.addSink(o, true) {
		return fmt.Errorf("video: add output: %w", ErrStopped)
	}
	r.RequestKeyframe()
	return nil
}

func (r *Recording) addSink(o Output, late bool) bool {
	s := newSink(o, r.qlen, late, &r.info)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return false
	}
	r.sinks = append(r.sinks, s)
	go s.run()
	return true
}

// RequestKeyframe asks for the next frame to be a keyframe (Picamera2's
// force_key_frame): a new client can start decoding there.
func (r *Recording) RequestKeyframe() { r.keyReq.Store(true) }

func (r *Recording) setErr(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

func (r *Recording) run(stream picam.StreamName) {
	defer close(r.done)
	var encoded chan struct{}
	if r.work != nil {
		encoded = make(chan struct{})
		go r.encodeCopies(encoded)
	}
	var lastSeq uint32
	var clock ptsClock
	failed := false
	for req := range r.st.C() {
		if failed {
			req.Release()
			continue
		}
		seq, ts := req.Sequence(), req.SensorTimestamp()
		if clock.started && seq > lastSeq+1 {
			r.dropped.Add(uint64(seq - lastSeq - 1))
		}
		lastSeq = seq
		r.lastSeq.Store(seq)
		pts := clock.at(ts)
		var err error
		queued := true
		if r.work != nil {
			queued, err = r.copyFrame(req, stream, pts, frameID{seq, ts})
		} else {
			err = r.frame(req, stream, pts, frameID{seq, ts})
		}
		if queued {
			clock.encoded(pts)
		}
		if err != nil {
			r.fail(fmt.Errorf("video: recording frame %d: %w", seq, err))
			failed = true
		}
	}
	if err := r.st.Err(); err != nil && !errors.Is(err, picam.ErrStreamClosed) &&
		!errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		r.setErr(fmt.Errorf("video: recording of camera %s ended: %w", r.cam.ID(), err))
	}
	if r.work != nil {
		close(r.work)
		<-encoded
	}
	// Even after a failed frame (the camera closing under it) the frames
	// the encoder holds are written.
	if err := r.enc.flush(r.emit); err != nil {
		r.setErr(fmt.Errorf("video: flushing the encoder: %w", err))
	}
	r.enc.close()
	r.mu.Lock()
	r.ended = true
	sinks := r.sinks
	r.mu.Unlock()
	for _, s := range sinks {
		close(s.ch)
	}
	for _, s := range sinks {
		<-s.done
	}
}

// ptsClock turns sensor timestamps into presentation times from the first
// frame, in microseconds: the time base of the encoders and containers.
type ptsClock struct {
	started bool
	t0      int64
	last    time.Duration // of the last frame the encoder got
}

// at returns the presentation time of a frame taken at ts. Containers need
// increasing times: two frames within a microsecond (an unpaced virtual
// camera) or a clock gone back give the next microsecond.
func (c *ptsClock) at(ts int64) time.Duration {
	if !c.started {
		c.started, c.t0, c.last = true, ts, -1
	}
	pts := time.Duration(ts - c.t0).Truncate(time.Microsecond)
	if pts <= c.last {
		pts = c.last + time.Microsecond
	}
	return pts
}

// encoded notes that the frame at pts went to the encoder. A frame dropped
// for a full queue is not noted: the next one keeps its own time.
func (c *ptsClock) encoded(pts time.Duration) { c.last = pts }

// fail records err and ends the recording: the stream is closed, which
// ends the receiving loop (Close waits for the camera to stop feeding it,
// so not from that loop's goroutine).
func (r *Recording) fail(err error) {
	r.setErr(err)
	r.failOnce.Do(func() { go r.st.Close() })
}

// testHookTaken, if set, is called after each frame was taken and its
// request released (tests: to hold the encoder up).
var testHookTaken atomic.Pointer[func(seq uint32)]

// frame takes one frame into the encoder, releases it, and encodes it.
func (r *Recording) frame(req *picam.CompletedRequest, stream picam.StreamName, pts time.Duration, id frameID) error {
	img, err := r.view(req, stream)
	if err == nil {
		key := r.first || r.keyReq.Swap(false)
		err = r.enc.take(&img, pts, key)
	}
	req.Release()
	if err != nil {
		return err
	}
	return r.encode(pts, id)
}

// encode encodes the frame the encoder took last.
func (r *Recording) encode(pts time.Duration, id frameID) error {
	if h := testHookTaken.Load(); h != nil {
		(*h)(id.seq)
	}
	r.first = false
	r.frameOf[pts] = id
	r.frames.Add(1)
	return r.enc.encode(r.emit)
}

// view returns the request's frame of stream as an encoder's input.
func (r *Recording) view(req *picam.CompletedRequest, stream picam.StreamName) (codec.Image, error) {
	f, err := req.Frame(stream)
	if err == nil && len(f.Planes) == 0 {
		// picam hands out a frame without planes (and no error) for a
		// request held while the camera closes: say why.
		err = fmt.Errorf("%v has no buffers", f)
		if _, cerr := r.cam.Configuration(); cerr != nil {
			err = fmt.Errorf("%w: %w", err, cerr)
		} else if !r.cam.Started() {
			err = fmt.Errorf("%w: %w", err, picam.ErrNotStarted)
		}
	}
	if err != nil {
		return codec.Image{}, err
	}
	return frameImage(f)
}

// emit hands a packet to every output.
func (r *Recording) emit(cp codec.Packet) error {
	id, ok := r.frameOf[cp.PTS]
	if ok {
		delete(r.frameOf, cp.PTS)
	}
	if len(r.frameOf) > 128 {
		// Frames an encoder never gave a packet for: forget them.
		for pts := range r.frameOf {
			if pts < cp.PTS-time.Second {
				delete(r.frameOf, pts)
			}
		}
	}
	if r.info.Load() == nil {
		info := r.enc.info()
		r.info.Store(&info)
	}
	p := &Packet{Packet: cp, Sequence: id.seq, SensorTimestamp: id.ts}
	r.packets.Add(1)
	r.bytes.Add(uint64(len(cp.Data)))
	r.mu.Lock()
	for _, s := range r.sinks {
		s.offer(p)
	}
	r.mu.Unlock()
	return nil
}

// Stop ends the recording: the encoder's last packets go out, every output
// is closed (an MP4 gets its index), and Stop returns [Recording.Err].
// It waits for each output to write what is queued for it: an io.Writer
// blocked for good blocks Stop (the network outputs here have write
// deadlines). Stopping twice is harmless.
func (r *Recording) Stop() error {
	r.stopOnce.Do(func() { r.st.Close() })
	<-r.done
	return r.Err()
}

// Done is closed when the recording has ended (stopped, its context
// ended, or the camera stopped) and every output is closed.
func (r *Recording) Done() <-chan struct{} { return r.done }

// Err returns why the recording or any of its outputs failed: the camera
// stopping or closing under it, an encoder error, each output's error
// (also in [OutputStats]). It returns nil for a recording stopped by Stop
// or its context, with every output fine.
func (r *Recording) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := []error{r.err}
	for i, s := range r.sinks {
		if err := s.Err(); err != nil {
			errs = append(errs, fmt.Errorf("video: output %d: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// Stats returns the recording's counters.
func (r *Recording) Stats() Stats {
	st := Stats{Frames: r.frames.Load(), Dropped: r.dropped.Load(), Packets: r.packets.Load(), Bytes: r.bytes.Load()}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.sinks {
		st.Outputs = append(st.Outputs, s.stats())
	}
	return st
}
