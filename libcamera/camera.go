package libcamera

// #include "cshim.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	pointer "github.com/mattn/go-pointer"
)

// MaxRequests is how many requests one camera may have at a time. The
// completion queue holds one place per request, so it can never overflow.
const MaxRequests = 256

// Camera is one camera, as libcamera's Camera. Get it from [Manager.Cameras].
//
// Its methods follow libcamera's state machine: [Camera.Acquire] for
// exclusive use, [Camera.Configure], [Camera.Start], queue requests and
// receive them from [Camera.RequestCompleted], [Camera.Stop],
// [Camera.Release]. A call in the wrong state returns an error matching
// [ErrState] instead of reaching libcamera.
type Camera struct {
	m  *Manager
	h  *C.picam_camera
	id string

	mu         sync.Mutex
	closed     bool
	properties *ControlList
	controls   atomic.Pointer[ControlInfoMap] // replaced at each Configure
	streams    []*Stream
	streamCnt  int
	requests   map[*Request]struct{} // live: detached when the camera closes

	completed chan *Request
	lost      atomic.Uint64
	bell      atomic.Pointer[doorbell] // made by the first WaitRequest that waits
	done      chan struct{}            // closed by close
}

func openCamera(m *Manager, index int) (*Camera, error) {
	c := &Camera{m: m, completed: make(chan *Request, MaxRequests), done: make(chan struct{}),
		requests: make(map[*Request]struct{})}
	var e C.picam_error
	if err := cError("Manager.Cameras", C.picam_camera_open(m.h, C.int(index), completionCallback, &c.h, &e), &e); err != nil {
		return nil, err
	}
	c.id = C.GoString(C.picam_camera_id(c.h))
	c.streamCnt = int(C.picam_camera_stream_count(c.h))
	b := C.picam_bytes_new()
	defer C.picam_bytes_free(b)
	var err error
	if err = cError("Camera.Properties", C.picam_camera_properties(c.h, b, &e), &e); err == nil {
		maps, cerr := catalog()
		if cerr != nil {
			err = cerr
		} else {
			c.properties, err = decodeList(cBytes(b), maps[1])
		}
	}
	if err == nil {
		err = c.readControls()
	}
	if err != nil {
		C.picam_camera_free(c.h)
		return nil, err
	}
	return c, nil
}

// ID returns libcamera's unique id of the camera.
func (c *Camera) ID() string { return c.id }

func (c *Camera) String() string { return c.id }

// Properties returns the camera's properties (Model, Location, Rotation, ...).
func (c *Camera) Properties() *ControlList { return c.properties }

// Controls returns the controls the camera accepts and their limits.
// libcamera updates the limits when the camera is configured (on a
// Raspberry Pi they depend on the sensor mode), so call it again after
// [Camera.Configure].
func (c *Camera) Controls() *ControlInfoMap { return c.controls.Load() }

// readControls reads the camera's current control limits from libcamera.
func (c *Camera) readControls() error {
	b := C.picam_bytes_new()
	defer C.picam_bytes_free(b)
	var e C.picam_error
	if err := cError("Camera.Controls", C.picam_camera_controls(c.h, b, &e), &e); err != nil {
		return err
	}
	infos, err := decodeInfoMap(cBytes(b))
	if err != nil {
		return err
	}
	c.controls.Store(infos)
	return nil
}

// StreamCount returns how many streams the camera can produce at once.
func (c *Camera) StreamCount() int { return c.streamCnt }

func (c *Camera) errClosed(op string) error {
	return &Error{Op: op, Code: syscall.EBADF, Msg: "camera " + c.id + " is closed"}
}

// Acquire gives this process exclusive use of the camera. A camera acquired
// already returns an error matching [ErrBusy].
func (c *Camera) Acquire() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.errClosed("Camera.Acquire")
	}
	var e C.picam_error
	return cError("Camera.Acquire", C.picam_camera_acquire(c.h, &e), &e)
}

// Release gives the camera up. It must be stopped and its requests freed;
// its buffers are freed with it.
func (c *Camera) Release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	var e C.picam_error
	if err := cError("Camera.Release", C.picam_camera_release(c.h, &e), &e); err != nil {
		return err
	}
	c.dropStreams()
	return nil
}

// StreamRole is what a stream is for; it picks the defaults libcamera
// generates.
type StreamRole int32

// The stream roles, as libcamera's StreamRole.
const (
	RoleRaw StreamRole = iota
	RoleStillCapture
	RoleVideoRecording
	RoleViewfinder
)

func (r StreamRole) String() string {
	switch r {
	case RoleRaw:
		return "Raw"
	case RoleStillCapture:
		return "StillCapture"
	case RoleVideoRecording:
		return "VideoRecording"
	case RoleViewfinder:
		return "Viewfinder"
	}
	return fmt.Sprintf("StreamRole(%d)", int32(r))
}

// GenerateConfiguration returns libcamera's default configuration for one
// stream per role. A role the camera cannot provide (the virtual camera has
// no Raw stream, for instance) or more roles than streams is an error.
func (c *Camera) GenerateConfiguration(roles ...StreamRole) (*CameraConfiguration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, c.errClosed("Camera.GenerateConfiguration")
	}
	croles := make([]C.int32_t, len(roles))
	for i, r := range roles {
		croles[i] = C.int32_t(r)
	}
	var p *C.int32_t
	if len(croles) > 0 {
		p = &croles[0]
	}
	var h *C.picam_config
	var e C.picam_error
	if err := cError("Camera.GenerateConfiguration", C.picam_camera_generate_config(c.h, p, C.int(len(roles)), &h, &e), &e); err != nil {
		return nil, err
	}
	return newConfiguration(c, h)
}

// Configure applies a configuration that [CameraConfiguration.Validate]
// found valid or adjusted. The camera must be acquired and stopped and have
// no requests; buffers of an earlier configuration are freed.
func (c *Camera) Configure(cfg *CameraConfiguration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.errClosed("Camera.Configure")
	}
	if err := cfg.push(); err != nil {
		return err
	}
	var e C.picam_error
	if err := cError("Camera.Configure", C.picam_camera_configure(c.h, cfg.h, &e), &e); err != nil {
		return err
	}
	if err := cfg.pull(); err != nil {
		return err
	}
	if err := c.readControls(); err != nil {
		return err
	}
	c.dropStreams()
	for i := range cfg.streams {
		s := &Stream{camera: c, index: i, config: *cfg.streams[i]}
		s.config.stream = s
		cfg.streams[i].stream = s
		c.streams = append(c.streams, s)
	}
	return nil
}

// dropStreams forgets the streams of the last configuration; their buffers
// are unmapped once nothing uses them.
func (c *Camera) dropStreams() {
	for _, s := range c.streams {
		s.dropBuffers()
	}
	c.streams = nil
}

// Streams returns the streams of the current configuration, in its order.
func (c *Camera) Streams() []*Stream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Stream(nil), c.streams...)
}

// Start starts capturing, with controls applied from the first frame (nil
// for none). Queue requests after Start.
func (c *Camera) Start(controls *ControlList) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.errClosed("Camera.Start")
	}
	var enc []byte
	if controls != nil {
		enc = controls.encode(nil)
	}
	var p *C.uint8_t
	if len(enc) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&enc[0]))
	}
	var e C.picam_error
	return cError("Camera.Start", C.picam_camera_start(c.h, p, C.size_t(len(enc)), &e), &e)
}

// Stop stops capturing. Requests still queued come back through
// [Camera.RequestCompleted] (cancelled, or completed on libcamera 0.4)
// before Stop returns: none is lost.
func (c *Camera) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	var e C.picam_error
	return cError("Camera.Stop", C.picam_camera_stop(c.h, &e), &e)
}

// RequestCompleted delivers every completed request, in completion order.
// It has room for every request the camera can have, so completion never
// waits for the reader; a request comes back only once it is queued again.
//
// A goroutine that only waits for requests should call
// [Camera.WaitRequest] instead: it is woken sooner.
func (c *Camera) RequestCompleted() <-chan *Request { return c.completed }

// WaitRequest returns the next completed request (from the same queue as
// [Camera.RequestCompleted]), the context's error, or an error matching
// [ErrClosed] once the camera is closed.
//
// One waiting goroutine at a time is woken through the netpoller (18-22 µs
// after the callback on the development machine); a goroutine blocked on
// the channel waits for the Go scheduler to move it off the P that
// libcamera's thread keeps (42-43 µs). Reusing one context across calls
// costs no allocation.
func (c *Camera) WaitRequest(ctx context.Context) (*Request, error) {
	select {
	case r := <-c.completed:
		return r, nil
	default:
	}
	b, err := c.doorbell()
	if err != nil {
		return nil, err
	}
	if !b.owner.TryLock() {
		// Another goroutine waits on the doorbell.
		select {
		case r := <-c.completed:
			return r, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, c.errClosed("Camera.WaitRequest")
		}
	}
	defer b.owner.Unlock()
	r, err := b.wait(ctx)
	if errors.Is(err, ErrClosed) {
		return nil, c.errClosed("Camera.WaitRequest")
	}
	return r, err
}

// doorbell returns the camera's doorbell, making it on first use so that
// cameras nobody waits on hold no descriptor.
func (c *Camera) doorbell() (*doorbell, error) {
	if b := c.bell.Load(); b != nil {
		return b, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, c.errClosed("Camera.WaitRequest")
	}
	if b := c.bell.Load(); b != nil {
		return b, nil
	}
	b, err := newDoorbell(c.completed)
	if err != nil {
		return nil, err
	}
	c.bell.Store(b)
	return b, nil
}

// failCompletions makes the camera's next n completions fail in the shim
// as an allocation failure would, for tests of that path.
func (c *Camera) failCompletions(n int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.errClosed("Camera.failCompletions")
	}
	return newError("Camera.failCompletions", int(C.picam_camera_fail_completions(c.h, C.int(n))), "bad argument")
}

// LostCompletions counts completions that could not be delivered; it is zero
// unless the binding itself is broken. Tests check it.
func (c *Camera) LostCompletions() uint64 { return c.lost.Load() }

// CreateRequest returns a new request carrying cookie, for the current
// configuration. Free it with [Request.Free] (or let [Manager.Close] do it).
func (c *Camera) CreateRequest(cookie uint64) (*Request, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, c.errClosed("Camera.CreateRequest")
	}
	if len(c.requests) >= MaxRequests {
		return nil, errorf("Camera.CreateRequest", syscall.EBUSY, "camera %s already has %d requests", c.id, MaxRequests)
	}
	r := &Request{camera: c, cookie: cookie, held: &holdSet{}}
	// The request's identity for the completion callback, made once: the
	// shim hands it back with every completion until the request is freed.
	r.handle = pointer.Save(r)
	var h *C.picam_request
	var e C.picam_error
	if err := cError("Camera.CreateRequest", C.picam_request_create(c.h, C.uint64_t(cookie), r.handle, &h, &e), &e); err != nil {
		pointer.Unref(r.handle)
		return nil, err
	}
	r.h = h
	r.controls.ids = c.controls.Load().ids
	// A request dropped without Free (possible once its camera is closed)
	// still lets its buffers' memory go. (While it lives in the shim, the
	// go-pointer handle keeps it reachable.)
	runtime.AddCleanup(r, (*holdSet).release, r.held)
	c.requests[r] = struct{}{}
	return r, nil
}

// QueueRequest queues a request with its controls. A completed request must
// be reused ([Request.Reuse]) first, or requeued with [Camera.RequeueRequest].
func (c *Camera) QueueRequest(r *Request) error { return r.queue() }

// RequeueRequest queues a completed request again, keeping its buffers:
// [Request.Reuse] with [ReuseBuffers] and [Camera.QueueRequest] in one call
// into libcamera, as a capture loop does every frame. The controls set on
// the request since it completed are applied, then cleared. On an error
// the request is not queued and keeps its controls; it may be requeued.
// Requeue only a request received from [Camera.WaitRequest] or
// [Camera.RequestCompleted]: one that completed but still waits in the
// queue would be delivered twice.
func (c *Camera) RequeueRequest(r *Request) error { return r.requeue() }

// close frees everything in the shim; Go values stay readable.
func (c *Camera) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	// Queued requests come back through the callback while the shim stops
	// the camera, so the handle stays valid until the shim is done.
	C.picam_camera_free(c.h)
	for r := range c.requests {
		r.detach()
	}
	// Requests waiting in the queue were never handed out: nobody can be
	// reading their buffers, so their mappings go now.
	for {
		select {
		case r := <-c.completed:
			r.dropBuffers()
			continue
		default:
		}
		break
	}
	clear(c.requests)
	c.dropStreams()
	close(c.done)
	// No callback runs any more, so the doorbell's descriptor can go.
	if b := c.bell.Load(); b != nil {
		b.close()
	}
	c.h = nil
}

// CameraLocation is where a camera points, from its Location property.
type CameraLocation int32

// The camera locations, as libcamera's properties::Location.
const (
	LocationFront    CameraLocation = 0
	LocationBack     CameraLocation = 1
	LocationExternal CameraLocation = 2
	LocationUnknown  CameraLocation = -1
)

func (l CameraLocation) String() string {
	switch l {
	case LocationFront:
		return "front"
	case LocationBack:
		return "back"
	case LocationExternal:
		return "external"
	}
	return "unknown"
}

// Model returns the camera's Model property, or "" if it has none.
func (c *Camera) Model() string {
	v, _ := c.properties.Get("Model")
	s, _ := v.Text()
	return s
}

// Location returns the camera's Location property.
func (c *Camera) Location() CameraLocation {
	v, ok := c.properties.Get("Location")
	if n, isInt := v.Int64(); ok && isInt {
		return CameraLocation(n)
	}
	return LocationUnknown
}

// Rotation returns the camera's Rotation property in degrees (0 if absent).
func (c *Camera) Rotation() int {
	v, _ := c.properties.Get("Rotation")
	n, _ := v.Int64()
	return int(n)
}
