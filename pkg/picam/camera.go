package picam

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// CameraInfo describes a camera, as an entry of Picamera2's
// global_camera_info.
type CameraInfo struct {
	Model    string
	Location libcamera.CameraLocation
	Rotation int    // degrees
	ID       string // libcamera's id; open it with [OpenID]
	Index    int    // position in [GlobalCameraInfo]'s list; open it with [Open]
}

// GlobalCameraInfo lists the cameras, sorted as Picamera2 sorts them: USB
// cameras after the others, otherwise in libcamera's order.
func GlobalCameraInfo() ([]CameraInfo, error) {
	m, err := libcamera.NewManager()
	if err != nil {
		return nil, fmt.Errorf("picam: %w", err)
	}
	defer m.Close()
	cams, err := sortedCameras(m)
	if err != nil {
		return nil, err
	}
	out := make([]CameraInfo, len(cams))
	for i, c := range cams {
		out[i] = infoOf(c, i)
	}
	return out, nil
}

func infoOf(c *libcamera.Camera, index int) CameraInfo {
	return CameraInfo{Model: c.Model(), Location: c.Location(), Rotation: c.Rotation(), ID: c.ID(), Index: index}
}

func sortedCameras(m *libcamera.Manager) ([]*libcamera.Camera, error) {
	cams, err := m.Cameras()
	if err != nil {
		return nil, fmt.Errorf("picam: %w", err)
	}
	usb := func(c *libcamera.Camera) int {
		if strings.Contains(c.ID(), "/usb") {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(cams, func(a, b *libcamera.Camera) int { return cmp.Compare(usb(a), usb(b)) })
	return cams, nil
}

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
	// exposure time or minimum frame duration set through controls. Zero
	// means 3s. Raise it for long automatic exposures.
	StallTimeout time.Duration
	// MaxFrameRate, if set, paces requeueing so that the camera delivers at
	// most this many frames per second. Real cameras pace themselves; this
	// is for cameras that do not (libcamera's virtual camera completes
	// requests as fast as they are queued) and to bound CPU use.
	MaxFrameRate float64
	// Allocator picks where frame buffers come from (default: libcamera's
	// allocator, then dma-heap, then memfd).
	Allocator libcamera.AllocatorKind
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
	startSet *controlSet // configuration controls, applied at each start

	// rmu guards what a request's final release touches: the closed flag
	// as recycling sees it, the configuration generation and its free list;
	// and the start of job goroutines (jobs), which Close waits for.
	rmu     sync.Mutex
	rclosed bool
	gen     uint64
	free    chan *slot
	jobs    sync.WaitGroup

	// stopped lists engines stopped (with mu held) whose callback
	// goroutines may still run; guarded by mu. See pendingCallbacks.
	stopped []*engine
	// closing is set when Close begins, before the engine stops, so that
	// a call finding no engine fails with ErrClosed rather than
	// ErrNotStarted.
	closing atomic.Bool

	// Pending controls for the next queued request.
	ctrlMu    sync.Mutex
	pending   controlSet
	pendingID ControlsID
	lastID    ControlsID
	longest   atomic.Int64 // longest exposure/frame duration set, ns
	leaked    atomic.Uint64
	frames    atomic.Uint64
	requeues  atomic.Uint64
	stalls    atomic.Uint64
	dropped   atomic.Uint64

	// paceTrace, set by tests before Start, sees each paced queueing: the
	// slot of MaxFrameRate's schedule it took and when it happened.
	paceTrace func(slot, queued time.Time)
	// waitHanded, set by tests before a capture starts, is called once the
	// capture's waiter is with the engine (it then waits for a frame).
	waitHanded func()

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
func (c *Camera) Properties() *libcamera.ControlList { return c.lc.Properties() }

// CameraControls returns the controls the camera accepts with their limits
// (Picamera2's camera_controls).
func (c *Camera) CameraControls() *libcamera.ControlInfoMap { return c.lc.Controls() }

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

// Configuration returns the configuration applied by the last Configure,
// with libcamera's adjustments, strides and frame sizes filled in.
func (c *Camera) Configuration() (Configuration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return Configuration{}, c.errClosed("configuration of")
	}
	if c.cfg == nil {
		return Configuration{}, fmt.Errorf("picam: camera %s: %w", c.id, ErrNotConfigured)
	}
	return c.cfg.clone(), nil
}

// clone copies the configuration's streams, so that callers can change the
// copy freely.
func (cfg Configuration) clone() Configuration {
	if cfg.Lores != nil {
		cfg.Lores = new(*cfg.Lores)
	}
	if cfg.Raw != nil {
		cfg.Raw = new(*cfg.Raw)
	}
	return cfg
}

// StreamConfiguration returns one stream's applied configuration.
func (c *Camera) StreamConfiguration(s Stream) (StreamConfig, error) {
	cfg, err := c.Configuration()
	if err != nil {
		return StreamConfig{}, err
	}
	sc := cfg.Stream(s)
	if sc == nil {
		return StreamConfig{}, fmt.Errorf("picam: camera %s has no %v stream: %w", c.id, s, ErrInvalid)
	}
	return *sc, nil
}

// Configure sets the camera up for cfg; the camera must be stopped. It
// returns what libcamera adjusted (formats and sizes the camera cannot
// produce, buffer counts, ...), which is applied unless cfg.Strict is set,
// in which case Configure fails with an [*AdjustedError] instead.
// Adjustments are also logged at Info level.
//
// Reconfiguring frees the buffers of the previous configuration, so it
// fails with [ErrBusy] while the application holds one of its requests.
func (c *Camera) Configure(cfg Configuration) ([]Adjustment, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.configureLocked(cfg)
}

func (c *Camera) configureLocked(cfg Configuration) ([]Adjustment, error) {
	if c.closed {
		return nil, c.errClosed("configure")
	}
	if c.eng.Load() != nil {
		return nil, fmt.Errorf("picam: configure %s: camera is started; stop it first: %w", c.id, libcamera.ErrState)
	}
	startSet, err := c.validate(&cfg.Controls)
	if err != nil {
		return nil, fmt.Errorf("picam: configure %s: %w", c.id, err)
	}
	lcfg, order, err := c.buildConfig(&cfg)
	if err != nil {
		return nil, err
	}
	asked := requested(lcfg)
	status, ladj, err := lcfg.Validate()
	if err != nil {
		return nil, fmt.Errorf("picam: configure %s with %v: %w", c.id, cfg, err)
	}
	var adj []Adjustment
	if status == libcamera.ConfigurationAdjusted {
		for _, a := range ladj {
			s := NoStream
			if a.Stream >= 0 && a.Stream < len(order) {
				s = order[a.Stream]
			}
			adj = append(adj, Adjustment{Stream: s, Field: a.Field, Requested: a.Requested, Got: a.Got})
		}
	}
	adj = append(adj, quietAdjustments(asked, lcfg, order, adj)...)
	if len(adj) > 0 {
		if cfg.Strict {
			return adj, &AdjustedError{Camera: c.id, Adjustments: adj}
		}
		c.log.Info("picam: libcamera adjusted the configuration", "camera", c.id, "adjustments", adj)
	}
	// Drop the previous configuration: its requests must all be back.
	if c.set != nil {
		if n := c.set.held(); n > 0 {
			return adj, fmt.Errorf("picam: configure %s: %d request(s) of the previous configuration still held (captured at %s); release them first: %w",
				c.id, n, strings.Join(c.set.heldSites(), ", "), ErrBusy)
		}
	}
	c.dropSet()
	if err := c.lc.Configure(lcfg); err != nil {
		return adj, fmt.Errorf("picam: configure %s: %w", c.id, err)
	}
	set, err := c.newStreamSet(lcfg, order)
	if err != nil {
		return adj, err
	}
	applied := cfg.clone()
	for i, s := range order {
		lsc := lcfg.At(i)
		sc := StreamConfig{Size: lsc.Size, Format: lsc.PixelFormat, Stride: int(lsc.Stride), FrameSize: int(lsc.FrameSize)}
		if lsc.ColorSpace != nil {
			sc.ColorSpace = new(*lsc.ColorSpace)
		}
		switch s {
		case Main:
			applied.Main = sc
		case Lores:
			applied.Lores = &sc
		case Raw:
			applied.Raw = &sc
		}
	}
	applied.BufferCount = len(set.slots)
	applied.Orientation = lcfg.Orientation
	c.cfg = &applied
	c.set = set
	c.startSet = startSet
	c.noteDurations(&cfg.Controls)
	return adj, nil
}

// askedStream is what was asked of a stream, before validation.
type askedStream struct {
	format PixelFormat
	size   Size
	bufs   uint32
}

func requested(lcfg *libcamera.CameraConfiguration) []askedStream {
	out := make([]askedStream, lcfg.Len())
	for i := range out {
		sc := lcfg.At(i)
		out[i] = askedStream{format: sc.PixelFormat, size: sc.Size, bufs: sc.BufferCount}
	}
	return out
}

// quietAdjustments lists what validation changed in a stream without
// saying so: a pipeline handler may change a field and still call the
// configuration valid (libcamera's virtual camera sets its buffer count of
// 4 whatever was asked), so Configure compares the format, size and buffer
// count itself. Adjustments already in known are not repeated.
func quietAdjustments(asked []askedStream, lcfg *libcamera.CameraConfiguration, order []Stream, known []Adjustment) []Adjustment {
	var out []Adjustment
	for i, a := range asked {
		if i >= lcfg.Len() || i >= len(order) {
			break
		}
		got := lcfg.At(i)
		add := func(field string, from, to any) {
			req, res := fmt.Sprint(from), fmt.Sprint(to)
			if req == res || slices.ContainsFunc(known, func(k Adjustment) bool { return k.Stream == order[i] && k.Field == field }) {
				return
			}
			out = append(out, Adjustment{Stream: order[i], Field: field, Requested: req, Got: res})
		}
		add("PixelFormat", a.format, got.PixelFormat)
		add("Size", a.size, got.Size)
		add("BufferCount", a.bufs, got.BufferCount)
	}
	return out
}

// dropSet frees the current configuration's requests and buffers. With mu
// held, the camera stopped and no request held.
func (c *Camera) dropSet() {
	c.rmu.Lock()
	c.gen++
	c.free = nil
	c.rmu.Unlock()
	if c.set != nil {
		for _, s := range c.set.slots {
			s.req.Free()
		}
		c.set.freeBuffers()
	}
	c.set = nil
	c.cfg = nil
}

// buildConfig turns cfg into libcamera's configuration; order lists the
// stream of each libcamera stream index.
func (c *Camera) buildConfig(cfg *Configuration) (*libcamera.CameraConfiguration, []Stream, error) {
	if cfg.Main.Size.IsNull() {
		cfg.Main.Size = Size{Width: 640, Height: 480}
	}
	if !cfg.Main.Format.IsValid() {
		cfg.Main.Format = FormatXBGR8888
	}
	order := []Stream{Main}
	roles := []libcamera.StreamRole{libcamera.RoleViewfinder}
	if cfg.Lores != nil {
		if cfg.Lores.Size.IsNull() {
			cfg.Lores.Size = cfg.Main.Size
		}
		if !cfg.Lores.Format.IsValid() {
			cfg.Lores.Format = FormatYUV420
		}
		if cfg.Lores.Size.Width > cfg.Main.Size.Width || cfg.Lores.Size.Height > cfg.Main.Size.Height {
			return nil, nil, fmt.Errorf("picam: configure %s: lores %v is larger than main %v: %w", c.id, cfg.Lores.Size, cfg.Main.Size, ErrInvalid)
		}
		order = append(order, Lores)
		roles = append(roles, libcamera.RoleViewfinder)
	}
	if cfg.Raw != nil {
		order = append(order, Raw)
		roles = append(roles, libcamera.RoleRaw)
	}
	if n := c.lc.StreamCount(); len(roles) > n {
		return nil, nil, fmt.Errorf("picam: configure %s: %d streams asked, the camera has %d: %w", c.id, len(roles), n, ErrUnsupported)
	}
	lcfg, err := c.lc.GenerateConfiguration(roles...)
	if err != nil {
		if cfg.Raw != nil {
			return nil, nil, fmt.Errorf("picam: configure %s: the camera cannot give these streams (does it have a raw stream?): %w", c.id, errors.Join(err, ErrUnsupported))
		}
		return nil, nil, fmt.Errorf("picam: configure %s: %w", c.id, err)
	}
	bufs := cfg.BufferCount
	if bufs <= 0 {
		bufs = 4
	}
	for i, s := range order {
		sc := cfg.Stream(s)
		lsc := lcfg.At(i)
		if !sc.Size.IsNull() {
			lsc.Size = sc.Size
		}
		if sc.Format.IsValid() {
			lsc.PixelFormat = sc.Format
		}
		lsc.BufferCount = uint32(bufs)
		if s != Raw && cfg.ColorSpace != nil {
			cs := *cfg.ColorSpace
			if isRGB(lsc.PixelFormat) {
				cs.YcbcrEncoding, cs.Range = libcamera.YcbcrNone, libcamera.RangeFull
			}
			lsc.ColorSpace = &cs
		}
	}
	if cfg.Orientation != 0 {
		lcfg.Orientation = cfg.Orientation
	}
	if sm := cfg.SensorMode; sm != nil {
		if sm.BitDepth < 0 {
			return nil, nil, fmt.Errorf("picam: configure %s: sensor mode bit depth %d: %w", c.id, sm.BitDepth, ErrInvalid)
		}
		lcfg.SensorConfig = &libcamera.SensorConfiguration{BitDepth: uint32(sm.BitDepth), OutputSize: sm.OutputSize}
	}
	return lcfg, order, nil
}

func isRGB(f PixelFormat) bool {
	switch f {
	case FormatRGB888, FormatBGR888, FormatXRGB8888, FormatXBGR8888:
		return true
	}
	return false
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
	if err := c.startSet.apply(list); err != nil {
		return fmt.Errorf("picam: start %s: %w", c.id, err)
	}
	pending, id := c.takePending()
	if err := pending.apply(list); err != nil {
		c.restorePending(pending)
		return fmt.Errorf("picam: start %s: %w", c.id, err)
	}
	if err := c.lc.Start(list); err != nil {
		c.restorePending(pending)
		return fmt.Errorf("picam: start %s: %w", c.id, err)
	}
	e := newEngine(c, c.set, id)
	c.rmu.Lock()
	idle := drain(c.free)
	c.rmu.Unlock()
	for _, s := range idle {
		e.queue(s)
	}
	e.nextQueue = time.Now().Add(e.pace) // the first buffers go at once, then one a period
	c.eng.Store(e)
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

// SwitchMode stops the camera if it is started, configures it with cfg and
// starts it again if it was started. It returns Configure's adjustments.
// Like Stop, it first waits for a running callback to give its frame back,
// as long as Stop would: a callback still running then makes it fail with
// a [*CallbackStuckError], the camera left stopped in its previous
// configuration.
func (c *Camera) SwitchMode(cfg Configuration) ([]Adjustment, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, c.errClosed("switch mode of")
	}
	running := c.eng.Load() != nil
	if err := c.stopLocked(c.errStopped()); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	// A callback may still hold a frame of the old mode: wait for it
	// without mu, which the callback may need, as Stop does.
	stopped := c.pendingCallbacks()
	c.mu.Unlock()
	if err := c.waitBounded(func(ctx context.Context) error { return c.waitCallbacks(ctx, stopped) }); err != nil {
		return nil, fmt.Errorf("picam: switch mode of %s: %w", c.id, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, c.errClosed("switch mode of")
	}
	if err := c.stopLocked(c.errStopped()); err != nil { // started again meanwhile
		return nil, err
	}
	adj, err := c.configureLocked(cfg)
	if err != nil {
		if running && c.cfg != nil {
			// Refused before the old configuration was dropped: resume it.
			if serr := c.startLocked(); serr != nil {
				err = errors.Join(err, serr)
			}
		}
		return adj, err
	}
	if !running {
		return adj, nil
	}
	return adj, c.startLocked()
}

// Stats are counters of a camera's capture engine, for monitoring and tests.
type Stats struct {
	Frames   uint64 // completed frames received
	Dropped  uint64 // frames received with an error status, requeued unseen
	Requeues uint64 // requests queued (at start and after release)
	Leaked   uint64 // requests recovered from the garbage collector
	Stalls   uint64 // waits that failed with ErrStalled

	// StreamDropped counts frames that a stream did not pass on because
	// its consumer was behind: dropped from its queue (DropOldest,
	// Latest) or not queued (Block, or a consumer holding its limit).
	StreamDropped uint64
	// Withheld counts frames kept from every stream because handing them
	// out would have left the camera without a buffer to capture into.
	Withheld uint64
	// CallbackSkipped counts frames a callback did not see because the
	// callback goroutine was behind. A frame that missed the pre-callback
	// is dropped, since nobody may see it before the pre-callback.
	CallbackSkipped uint64
	// CallbackPanics counts callbacks that panicked (see [PanicError]).
	CallbackPanics uint64
	// Held is the number of the camera's requests held outside libcamera
	// right now: by the application, streams, callbacks, or the newest
	// frame kept back for [Configuration.Queue]. Zero once everything is
	// released (with Queue, one while the camera runs).
	Held int
}

// Stats returns the camera's counters.
func (c *Camera) Stats() Stats {
	st := Stats{Frames: c.frames.Load(), Dropped: c.dropped.Load(), Requeues: c.requeues.Load(),
		Leaked: c.leaked.Load(), Stalls: c.stalls.Load(),
		StreamDropped: c.streamDropped.Load(), Withheld: c.withheld.Load(),
		CallbackSkipped: c.cbSkipped.Load(), CallbackPanics: c.cbPanics.Load()}
	c.mu.Lock()
	if set := c.set; set != nil {
		st.Held = set.held()
	}
	c.mu.Unlock()
	return st
}

// ControlsID identifies one [Camera.SetControls] call. IDs increase.
type ControlsID uint64

// SetControls checks the controls against the camera's limits and applies
// them to the next request queued (or at Start if the camera is stopped).
// It returns an id: frames whose [CompletedRequest.ControlsID] is at least
// id were queued with these controls (or later ones); capture one with
// [WithControls]. libcamera applies controls as fast as the sensor allows,
// which is often a few frames later: check the frame's metadata
// (ExposureTime, AnalogueGain, ...) to see the values in force.
func (c *Camera) SetControls(ctrls Controls) (ControlsID, error) {
	if c.isClosed() {
		return 0, c.errClosed("set controls of")
	}
	set, err := c.validate(&ctrls)
	if err != nil {
		return 0, err
	}
	if set.empty() {
		return 0, nil
	}
	c.noteDurations(&ctrls)
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	c.pending.merge(set)
	c.lastID++
	c.pendingID = c.lastID
	return c.pendingID, nil
}

// noteDurations remembers the longest exposure or frame duration asked for,
// to stretch the stall timeout.
func (c *Camera) noteDurations(ctrls *Controls) {
	var d time.Duration
	if ctrls.ExposureTime != nil {
		d = max(d, *ctrls.ExposureTime)
	}
	if ctrls.FrameDurationLimits != nil {
		// The minimum: the camera runs at least this slowly. The maximum is
		// often "unlimited" (Picamera2's still default is 1000s).
		d = max(d, ctrls.FrameDurationLimits[0])
	}
	if ctrls.FrameRate != nil && *ctrls.FrameRate > 0 {
		d = max(d, time.Duration(float64(time.Second) / *ctrls.FrameRate))
	}
	for {
		old := c.longest.Load()
		if int64(d) <= old || c.longest.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// takePending returns the pending controls and the newest id, emptying them.
func (c *Camera) takePending() (*controlSet, ControlsID) {
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	if c.pending.empty() {
		return nil, c.pendingID
	}
	p := c.pending
	c.pending = controlSet{}
	return &p, c.pendingID
}

// restorePending puts back controls that could not be applied, under any
// set since.
func (c *Camera) restorePending(p *controlSet) {
	if p.empty() {
		return
	}
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	p.merge(&c.pending)
	c.pending = *p
}

func (c *Camera) isClosed() bool {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.rclosed
}

func (c *Camera) stallTimeout() time.Duration {
	return max(c.opts.StallTimeout, 3*time.Duration(c.longest.Load()))
}
