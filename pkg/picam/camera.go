package picam

// A Camera's life: Open, Start, Stop and Close, and what it reports about
// itself.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// Options are how [OpenWith] opens a camera. The zero value opens camera 0
// with the defaults.
type Options struct {
	// Index picks a camera by its position in GlobalCameraInfo, unless ID is set.
	Index int
	// ID picks a camera by libcamera's id.
	ID string
	// Logger receives warnings: leaked requests, adjusted configurations,
	// requeue failures. Nil means slog.Default().
	Logger *slog.Logger
	// StallTimeout is how long a capture call waits for a frame before it
	// fails with [ErrStalled]; it is stretched to three times the longest
	// exposure time or minimum frame duration set through controls, and
	// MaxFrameRate's period is added to it. Zero means 3s. Raise it for
	// long automatic exposures.
	StallTimeout time.Duration
	// MaxFrameRate, if set, paces requeueing so that the camera delivers at
	// most this many frames per second, from the first frame on. Real
	// cameras pace themselves; this is for cameras that do not (libcamera's
	// virtual camera completes requests as fast as they are queued) and to
	// bound CPU use.
	MaxFrameRate float64
	// Allocator picks where frame buffers come from (default: libcamera's
	// allocator, then dma-heap, then memfd).
	Allocator AllocatorKind
	// JPEGQuality for CaptureFile and Save (1..100); zero means 90, as Picamera2.
	JPEGQuality int
	// ShutdownTimeout bounds how long Close, Stop and SwitchMode wait for a
	// running callback to return before they fail with a
	// [*CallbackStuckError]; zero means [DefaultShutdownTimeout]. Use
	// [Camera.Shutdown] to give Close a context instead.
	ShutdownTimeout time.Duration
}

// Camera is an open camera, the counterpart of a Picamera2 object. Its
// methods may be called from any goroutine.
type Camera struct {
	opts Options
	log  *slog.Logger
	mgr  *libcamera.Manager
	lc   *libcamera.Camera
	id   string
	info CameraInfo

	// mu serialises state changes: Configure, Start, Stop, Close.
	mu       sync.Mutex
	closed   bool
	cfg      *Configuration // applied configuration, nil if unconfigured
	set      *streamSet     // per configuration: streams, slots, allocator
	eng      atomic.Pointer[engine]
	startSet *libcamera.ControlList // configuration controls, applied at each start

	// rmu guards what a request's final release touches: the closed flag
	// as recycling sees it, the configuration generation and its free list;
	// and the start of job goroutines (jobs), which Close waits for.
	rmu     sync.Mutex
	rclosed bool
	gen     uint64
	free    chan *slot
	jobs    sync.WaitGroup
	// retiredHeld counts the held requests of configurations dropped
	// since (see dropSet), for Stats.Held.
	retiredHeld int

	// stopped lists engines stopped (with mu held) whose callback
	// goroutines may still run; guarded by mu. See pendingCallbacks.
	stopped []*engine
	// closing is set when Close begins, before the engine stops, so that
	// a call finding no engine fails with ErrClosed rather than
	// ErrNotStarted.
	closing atomic.Bool

	// Pending controls for the next queued request.
	ctrlMu    sync.Mutex
	pending   *libcamera.ControlList // nil when none
	current   *libcamera.ControlList // every control set, for Controls
	pendingID ControlsID
	lastID    ControlsID
	longest   atomic.Int64 // longest exposure/frame duration set, ns
	leaked    atomic.Uint64
	frames    atomic.Uint64
	requeues  atomic.Uint64
	stalls    atomic.Uint64
	dropped   atomic.Uint64

	// Reused frame after frame: request handles (request.go) and capture
	// waiters (capture.go).
	handles freeList[CompletedRequest]
	waiters freeList[waiter]

	// paceTrace, set by tests before Start, sees each paced queueing: the
	// slot of MaxFrameRate's schedule it took and when it happened.
	paceTrace func(slot, queued time.Time)
	// waitHanded, set by tests before a capture starts, is called once the
	// capture's waiter is with the engine (it then waits for a frame).
	waitHanded func()
	// waitStart, set by tests before a capture starts, is called when the
	// capture finds the camera stopped and waits for a Start.
	waitStart func()
	// configureFault, set by tests, fails a configuration once the
	// previous one is dropped, as a camera refusing it would.
	configureFault func(Configuration) error
	// starts wakes the captures waiting for a Start (startwait.go).
	starts startSignal

	// Streams and callbacks (stream.go, callback.go).
	streamDropped atomic.Uint64
	withheld      atomic.Uint64
	pre, post     atomic.Pointer[callback]
	cbSkipped     atomic.Uint64
	cbPanics      atomic.Uint64
	cbErrs        chan error
}

// Open opens the camera at index in [GlobalCameraInfo]'s order.
func Open(index int) (*Camera, error) { return OpenWith(Options{Index: index}) }

// OpenID opens the camera with libcamera's id.
func OpenID(id string) (*Camera, error) { return OpenWith(Options{ID: id}) }

// OpenWith opens a camera with options. The camera is acquired for this
// process: a camera another Camera value or process holds gives an error
// matching [ErrBusy].
func OpenWith(opts Options) (*Camera, error) {
	m, err := libcamera.NewManager()
	if err != nil {
		return nil, fmt.Errorf("picam: open: %w", err)
	}
	cams, err := sortedCameras(m)
	if err != nil {
		m.Close()
		return nil, err
	}
	var lc *libcamera.Camera
	index := opts.Index
	if opts.ID != "" {
		index = slices.IndexFunc(cams, func(c *libcamera.Camera) bool { return c.ID() == opts.ID })
		if index < 0 {
			m.Close()
			return nil, fmt.Errorf("picam: open: no camera has id %q: %w", opts.ID, ErrNoDevice)
		}
	}
	if index < 0 || index >= len(cams) {
		m.Close()
		return nil, fmt.Errorf("picam: open: no camera %d (there are %d): %w", index, len(cams), ErrNoDevice)
	}
	lc = cams[index]
	if err := lc.Acquire(); err != nil {
		m.Close()
		return nil, fmt.Errorf("picam: open camera %s: %w", lc.ID(), err)
	}
	c := &Camera{opts: opts, log: opts.Logger, mgr: m, lc: lc, id: lc.ID(), info: infoOf(lc, index),
		cbErrs: make(chan error, callbackErrors)}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.opts.StallTimeout <= 0 {
		c.opts.StallTimeout = 3 * time.Second
	}
	if c.opts.JPEGQuality <= 0 || c.opts.JPEGQuality > 100 {
		c.opts.JPEGQuality = 90
	}
	return c, nil
}

// ID returns libcamera's id of the camera.
func (c *Camera) ID() string { return c.id }

// Info returns the camera's model, location, rotation, id and index.
func (c *Camera) Info() CameraInfo { return c.info }

func (c *Camera) String() string { return c.id }

// Properties returns the camera's properties (Picamera2's camera_properties).
func (c *Camera) Properties() *ControlList { return c.lc.Properties() }

// CameraControls returns the controls the camera accepts with their limits
// (Picamera2's camera_controls).
func (c *Camera) CameraControls() *ControlInfoMap { return c.lc.Controls() }

// Libcamera returns the underlying camera, for what picam does not wrap.
// Do not change its state behind the Camera's back.
func (c *Camera) Libcamera() *libcamera.Camera { return c.lc }

// SensorResolution returns the sensor's full size: the PixelArraySize
// property, or the first active area, or libcamera's default still size.
func (c *Camera) SensorResolution() Size {
	p := c.lc.Properties()
	if v, ok := p.Get("PixelArraySize"); ok {
		if s, ok := v.Value().(Size); ok {
			return s
		}
	}
	if v, ok := p.Get("PixelArrayActiveAreas"); ok {
		if rs, ok := v.Value().([]Rectangle); ok && len(rs) > 0 {
			return rs[0].Size()
		}
	}
	if cfg, err := c.lc.GenerateConfiguration(libcamera.RoleStillCapture); err == nil {
		defer cfg.Free()
		return cfg.At(0).Size
	}
	return Size{Width: 640, Height: 480}
}

// Close stops the camera and releases it and everything it holds. Requests
// the application still holds stay readable until released. Callers
// waiting for a frame (capture calls, streams, Frames and Process loops,
// jobs) get an error matching [ErrClosed]. Closing twice is harmless: the
// second Close returns nil, unless a callback that made the first one fail
// still runs, which it waits for again.
//
// When Close returns nil, no goroutine of the camera runs any more: the
// capture engine, the callback goroutine (Close waits for a callback
// running on it to return, unless Close is called from that callback) and
// the goroutines of asynchronous captures ([Job]s) have ended. Close waits
// for them at most [Options.ShutdownTimeout] ([DefaultShutdownTimeout] by
// default); a callback that is still running then makes Close return a
// [*CallbackStuckError] naming it, the camera closed all the same (see
// [Camera.Shutdown], which takes a context instead).
func (c *Camera) Close() error {
	return c.waitBounded(c.Shutdown)
}

// closeLocked stops the camera and frees what it holds, without waiting
// for callbacks or jobs. With mu held, once.
func (c *Camera) closeLocked() error {
	c.closing.Store(true) // from now on, calls finding no engine fail with ErrClosed
	c.starts.fire()       // and those waiting for a Start give up
	err := c.stopLocked(fmt.Errorf("picam: camera %s closed: %w", c.id, ErrClosed))
	c.closed = true
	c.rmu.Lock()
	c.rclosed = true // no job starts from now on
	idle := drain(c.free)
	c.rmu.Unlock()
	for _, s := range idle {
		s.req.Free()
	}
	// Closing the manager frees the rest; buffers of held requests (a
	// running callback's among them) stay mapped until those are released.
	c.set = nil
	c.cfg = nil
	if cerr := c.mgr.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("picam: close %s: %w", c.id, cerr)
	}
	return err
}

func drain(ch chan *slot) []*slot {
	var out []*slot
	for {
		select {
		case s := <-ch:
			out = append(out, s)
		default:
			return out
		}
	}
}

func (c *Camera) errClosed(op string) error {
	return fmt.Errorf("picam: %s %s: %w", op, c.id, ErrClosed)
}

// Start starts the camera, configuring it with [Camera.PreviewConfiguration]
// first if it is not configured (as Picamera2 does). The configuration's
// controls and any set with SetControls since are applied from the first
// frame. Starting a started camera does nothing.
func (c *Camera) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked()
}

func (c *Camera) startLocked() error {
	if c.closed {
		return c.errClosed("start")
	}
	if c.eng.Load() != nil {
		return nil
	}
	if c.cfg == nil {
		if _, err := c.configureLocked(c.PreviewConfiguration()); err != nil {
			return err
		}
	}
	list := c.lc.Controls().NewControlList()
	list.Merge(c.startSet, libcamera.MergeOverwriteExisting)
	pending, id := c.takePending()
	list.Merge(pending, libcamera.MergeOverwriteExisting)
	if err := c.lc.Start(list); err != nil {
		c.restorePending(pending)
		return fmt.Errorf("picam: start %s: %w", c.id, err)
	}
	e := newEngine(c, c.set, id)
	c.rmu.Lock()
	idle := drain(c.free)
	c.rmu.Unlock()
	for _, s := range idle {
		e.requeue(s) // paced from the first frame: one now, then one a period
	}
	c.eng.Store(e)
	c.starts.fire()
	go e.run()
	return nil
}

// Stop stops the camera. Callers waiting for a frame get [ErrNotStarted].
// Requests the application holds stay valid; their buffers are queued
// again after Start once released. Stopping a stopped camera does nothing.
//
// When Stop returns nil, the camera's callback goroutine has ended: Stop
// waits for a callback running on it to return, unless Stop is called from
// that callback. It waits at most [Options.ShutdownTimeout]
// ([DefaultShutdownTimeout] by default) and then returns a
// [*CallbackStuckError] naming the callback, the camera stopped all the
// same; the callback's frame is given back once it returns.
func (c *Camera) Stop() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	err := c.stopLocked(c.errStopped())
	stopped := c.pendingCallbacks()
	c.mu.Unlock()
	if werr := c.waitBounded(func(ctx context.Context) error { return c.waitCallbacks(ctx, stopped) }); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

func (c *Camera) errStopped() error {
	return fmt.Errorf("picam: camera %s stopped: %w", c.id, ErrNotStarted)
}

// stopLocked stops the engine, if one runs, failing the calls waiting for
// it with why, and stops libcamera. With mu held.
func (c *Camera) stopLocked(why error) error {
	e := c.eng.Load()
	if e == nil {
		return nil
	}
	e.endErr = why
	close(e.stop)
	<-e.done
	c.eng.Store(nil)
	// The callback goroutine ends by itself once it gave back what it
	// holds; Stop and Close wait for it without mu (see waitCallbacks).
	c.stopped = slices.DeleteFunc(c.stopped, (*engine).callbacksEnded)
	c.stopped = append(c.stopped, e)
	err := c.lc.Stop()
	// Every request still queued came back before Stop returned.
	for {
		select {
		case r := <-c.lc.RequestCompleted():
			if s := c.set.slotOf(r); s != nil {
				c.recycle(s)
			}
			continue
		default:
		}
		break
	}
	if err != nil {
		return fmt.Errorf("picam: stop %s: %w", c.id, err)
	}
	return nil
}

// Started reports whether the camera is started.
func (c *Camera) Started() bool { return c.eng.Load() != nil }

func (c *Camera) isClosed() bool {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.rclosed
}
