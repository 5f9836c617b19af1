package libcamera

// #include "cshim.h"
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	pointer "github.com/mattn/go-pointer"
)

// RequestStatus is the state of a request.
type RequestStatus uint32

// The request states, as libcamera's Request::Status.
const (
	RequestPending   RequestStatus = C.PICAM_REQUEST_PENDING
	RequestComplete  RequestStatus = C.PICAM_REQUEST_COMPLETE
	RequestCancelled RequestStatus = C.PICAM_REQUEST_CANCELLED
)

func (s RequestStatus) String() string {
	switch s {
	case RequestPending:
		return "pending"
	case RequestComplete:
		return "complete"
	case RequestCancelled:
		return "cancelled"
	}
	return fmt.Sprintf("RequestStatus(%d)", uint32(s))
}

// ReuseFlag says what [Request.Reuse] keeps.
type ReuseFlag int

const (
	ReuseDefault ReuseFlag = 0 // drop the buffers
	ReuseBuffers ReuseFlag = 1 // keep the buffers, as a capture loop does
)

const maxStreams = C.PICAM_MAX_STREAMS

// Request is a capture request, as libcamera's Request: buffers to fill,
// controls to apply, and after completion the status, sequence and metadata.
//
// A request is read after it comes out of [Camera.RequestCompleted] and
// before it is queued again; its fields change when it completes again.
type Request struct {
	camera  *Camera
	h       *C.picam_request
	handle  unsafe.Pointer // go-pointer handle the completion callback receives
	cookie  uint64
	buffers [maxStreams]*FrameBuffer // by stream index
	held    *holdSet                 // mappings this request keeps alive
	owner   any                      // see SetOwner

	controls ControlList
	enc      []byte

	status    RequestStatus
	err       int32 // the completion record's error: 0, or a negative errno
	sequence  uint32
	timestamp uint64
	metadata  []byte
	metaCount int
}

// Cookie returns the value given to [Camera.CreateRequest].
func (r *Request) Cookie() uint64 { return r.cookie }

// SetOwner ties v to the request, so that code built on requests (a
// higher-level API's frame slot) finds its own state from a completed
// request directly, without a table keyed by cookie. Set it before the
// request is first queued.
func (r *Request) SetOwner(v any) { r.owner = v }

// Owner returns what [Request.SetOwner] tied to the request, or nil.
func (r *Request) Owner() any { return r.owner }

// Status returns the request's status.
func (r *Request) Status() RequestStatus { return r.status }

// Err returns why the binding could not copy the request's completion on
// libcamera's thread (an allocation failure), or nil. Such a request comes
// back cancelled and without metadata, so that its buffers are not lost;
// it may be reused and queued again.
func (r *Request) Err() error {
	if r.err == 0 {
		return nil
	}
	return newError("Request.Complete", int(r.err), "the binding could not copy the completed request")
}

// Sequence returns libcamera's request sequence number, counting from 0 at
// each start.
func (r *Request) Sequence() uint32 { return r.sequence }

// SensorTimestamp returns the SensorTimestamp metadata in nanoseconds of
// CLOCK_MONOTONIC (the start of the frame's readout), or 0 if the camera
// gave none.
func (r *Request) SensorTimestamp() uint64 { return r.timestamp }

// Camera returns the request's camera.
func (r *Request) Camera() *Camera { return r.camera }

// Buffer returns the request's buffer for stream s, or nil.
func (r *Request) Buffer(s *Stream) *FrameBuffer {
	if s == nil || s.index >= maxStreams {
		return nil
	}
	return r.buffers[s.index]
}

// Buffers returns the request's buffers in stream order.
func (r *Request) Buffers() []*FrameBuffer {
	var out []*FrameBuffer
	for _, b := range r.buffers {
		if b != nil {
			out = append(out, b)
		}
	}
	return out
}

// Controls returns the controls to apply when the request is next queued.
// They are checked against the camera's controls when set.
func (r *Request) Controls() *ControlList { return &r.controls }

// Metadata decodes the metadata libcamera reported with the request
// (SensorTimestamp, ExposureTime, ... as the camera provides).
func (r *Request) Metadata() (*ControlList, error) {
	maps, err := catalog()
	if err != nil {
		return nil, err
	}
	return decodeList(r.metadata, maps[0])
}

// AddBuffer attaches buffer b of stream s to the request.
func (r *Request) AddBuffer(s *Stream, b *FrameBuffer) error {
	c := r.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.h == nil {
		return &Error{Op: "Request.AddBuffer", Code: syscall.EBADF, Msg: "request is freed"}
	}
	if b == nil || s == nil || b.stream != s || s.camera != c || len(b.maps) == 0 {
		return errorf("Request.AddBuffer", syscall.EINVAL, "buffer is not a live buffer of this camera's stream")
	}
	var e C.picam_error
	if err := cError("Request.AddBuffer", C.picam_request_add_buffer(r.h, C.int(s.index), C.int(b.index), &e), &e); err != nil {
		return err
	}
	r.buffers[s.index] = b
	for _, m := range b.maps {
		m.ref()
		r.held.maps = append(r.held.maps, m)
	}
	return nil
}

// Reuse readies a completed request to be queued again; ReuseBuffers keeps
// its buffers. Its controls are cleared.
func (r *Request) Reuse(flag ReuseFlag) error {
	c := r.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.h == nil {
		return &Error{Op: "Request.Reuse", Code: syscall.EBADF, Msg: "request is freed"}
	}
	var e C.picam_error
	if err := cError("Request.Reuse", C.picam_request_reuse(r.h, C.int(flag), &e), &e); err != nil {
		return err
	}
	r.controls.Clear()
	r.status = RequestPending
	if flag == ReuseDefault {
		r.dropBuffers()
	}
	return nil
}

func (r *Request) dropBuffers() {
	r.buffers = [maxStreams]*FrameBuffer{}
	r.held.release()
}

// holdSet is kept apart from its Request so that a cleanup can release the
// mappings of a request that became garbage without being freed.
type holdSet struct {
	maps []*mapping
}

func (h *holdSet) release() {
	for _, m := range h.maps {
		m.unref()
	}
	h.maps = nil
}

func (r *Request) queue() error {
	c := r.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.h == nil {
		return &Error{Op: "Camera.QueueRequest", Code: syscall.EBADF, Msg: "request is freed"}
	}
	p, n := r.encodeControls()
	var e C.picam_error
	return cError("Camera.QueueRequest", C.picam_request_queue(r.h, p, n, &e), &e)
}

func (r *Request) requeue() error {
	c := r.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.h == nil {
		return &Error{Op: "Camera.RequeueRequest", Code: syscall.EBADF, Msg: "request is freed"}
	}
	p, n := r.encodeControls()
	var e C.picam_error
	if err := cError("Camera.RequeueRequest", C.picam_request_requeue(r.h, p, n, &e), &e); err != nil {
		return err
	}
	// Queued: the completion callback may be writing the request's status
	// and results already, but never its controls.
	r.controls.Clear()
	return nil
}

// encodeControls encodes the request's controls into its own buffer, for
// the shim to read during the call.
func (r *Request) encodeControls() (*C.uint8_t, C.size_t) {
	r.enc = r.controls.encode(r.enc)
	if len(r.enc) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&r.enc[0])), C.size_t(len(r.enc))
}

// Free destroys the request. A queued request cannot be freed (stop the
// camera first); a freed request's buffers are unmapped once nothing else
// holds them. Freeing twice is harmless.
func (r *Request) Free() error {
	c := r.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := r.freeLocked("Request.Free"); err != nil {
		return err
	}
	r.dropBuffers()
	return nil
}

// Retire frees libcamera's side of a request that is not queued, as Free
// does, but keeps its buffers mapped, with everything read of its last
// completion (status, sequence, timestamps, metadata), until Free: a
// request the application still reads while the camera is configured
// again, whose old buffers libcamera no longer knows. Such a request can
// no longer be queued.
func (r *Request) Retire() error {
	c := r.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	return r.freeLocked("Request.Retire")
}

// freeLocked frees the shim's request, if not done yet. With c.mu held.
func (r *Request) freeLocked(op string) error {
	c := r.camera
	if r.h == nil {
		return nil
	}
	for {
		var e C.picam_error
		err := cError(op, C.picam_request_free(r.h, &e), &e)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EINPROGRESS) {
			return err
		}
		// Completed, and libcamera's thread is still handing it to Go
		// (reading its record); that never blocks, so wait it out.
		runtime.Gosched()
	}
	r.h = nil
	delete(c.requests, r)
	// The shim calls back for this request no more.
	pointer.Unref(r.handle)
	return nil
}

// detach is called when the camera is closed and the shim has freed the
// request: the Go values stay readable, the mappings stay until Free.
func (r *Request) detach() {
	r.h = nil
	pointer.Unref(r.handle)
}

// complete copies the shim's completion record; on libcamera's thread.
func (r *Request) complete(rec *C.picam_completion) {
	r.status = RequestStatus(rec.status)
	r.err = int32(rec.error)
	r.sequence = uint32(rec.sequence)
	r.timestamp = uint64(rec.sensor_timestamp)
	for i := range int(rec.num_buffers) {
		br := &rec.buffers[i]
		s := int(br.stream)
		if s < 0 || s >= maxStreams || r.buffers[s] == nil {
			continue
		}
		m := &r.buffers[s].meta
		m.Status = FrameStatus(br.status)
		m.Sequence = uint32(br.sequence)
		m.Timestamp = uint64(br.timestamp)
		m.NumPlanes = int(br.num_planes)
		for p := range MaxPlanes {
			m.BytesUsed[p] = uint32(br.bytes_used[p])
		}
		m.Derived = br.has_metadata == 0
	}
	r.metaCount = int(rec.metadata_count)
	r.metadata = r.metadata[:0]
	if rec.metadata_len > 0 {
		r.metadata = append(r.metadata, unsafe.Slice((*byte)(unsafe.Pointer(rec.metadata)), int(rec.metadata_len))...)
	}
}
