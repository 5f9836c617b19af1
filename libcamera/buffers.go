package libcamera

// #include "cshim.h"
import "C"

import (
	"fmt"
	"sync/atomic"
	"syscall"

	"github.com/picamgo/picamgo/internal/linux"
)

// MaxPlanes is the most planes a frame buffer can have.
const MaxPlanes = C.PICAM_MAX_PLANES

// Stream is one configured stream of a camera, as libcamera's Stream.
type Stream struct {
	camera    *Camera
	index     int
	config    StreamConfiguration
	buffers   []*FrameBuffer
	allocator AllocatorKind
}

// Index returns the stream's position in the configuration.
func (s *Stream) Index() int { return s.index }

// Configuration returns the configuration the stream was set up with.
func (s *Stream) Configuration() StreamConfiguration { return s.config }

func (s *Stream) String() string { return fmt.Sprintf("%s/%d", s.camera.id, s.index) }

// dropBuffers lets go of the stream's buffers; each mapping is unmapped
// when no request holds it any more. With the camera's mu held.
func (s *Stream) dropBuffers() {
	for _, b := range s.buffers {
		b.unmap()
	}
	s.buffers = nil
	s.allocator = AllocatorAuto
}

// AllocatorKind picks where frame buffers come from.
type AllocatorKind int

const (
	// AllocatorAuto tries libcamera's allocator, then a dma-heap, then memfd.
	AllocatorAuto AllocatorKind = iota
	// AllocatorLibcamera uses libcamera's FrameBufferAllocator (the
	// pipeline's own buffers, dma-bufs on a Raspberry Pi).
	AllocatorLibcamera
	// AllocatorDmaHeap allocates dma-bufs from /dev/dma_heap, as Picamera2
	// does on a Raspberry Pi 5.
	AllocatorDmaHeap
	// AllocatorMemfd allocates anonymous shared memory; libcamera's virtual
	// camera accepts it where no dma-buf device exists.
	AllocatorMemfd
)

func (k AllocatorKind) String() string {
	switch k {
	case AllocatorAuto:
		return "auto"
	case AllocatorLibcamera:
		return "libcamera"
	case AllocatorDmaHeap:
		return "dma-heap"
	case AllocatorMemfd:
		return "memfd"
	}
	return fmt.Sprintf("AllocatorKind(%d)", int(k))
}

// FrameBufferAllocator allocates the buffers of a camera's streams, as
// libcamera's FrameBufferAllocator, from the source its Kind names.
type FrameBufferAllocator struct {
	camera *Camera
	kind   AllocatorKind
}

// NewFrameBufferAllocator returns an allocator for c's streams.
func NewFrameBufferAllocator(c *Camera, kind AllocatorKind) *FrameBufferAllocator {
	return &FrameBufferAllocator{camera: c, kind: kind}
}

// Allocate allocates the stream's configured number of buffers and maps each
// once into memory; it returns how many. The camera must be configured and
// stopped.
func (a *FrameBufferAllocator) Allocate(s *Stream) (int, error) {
	c := a.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, c.errClosed("FrameBufferAllocator.Allocate")
	}
	if s.camera != c {
		return 0, errorf("FrameBufferAllocator.Allocate", syscall.EINVAL, "stream %v is not a stream of camera %s", s, c.id)
	}
	var e C.picam_error
	n := C.picam_camera_alloc_buffers(c.h, C.int(s.index), C.int(a.kind), &e)
	if err := cError("FrameBufferAllocator.Allocate", n, &e); err != nil {
		return 0, err
	}
	s.allocator = AllocatorKind(C.picam_camera_buffer_allocator(c.h, C.int(s.index)))
	for i := range int(n) {
		b, err := mapBuffer(c, s, i)
		if err != nil {
			for _, b := range s.buffers {
				b.unmap()
			}
			s.buffers = nil
			C.picam_camera_free_buffers(c.h, C.int(s.index), &e)
			return 0, err
		}
		s.buffers = append(s.buffers, b)
	}
	return int(n), nil
}

// Buffers returns the stream's buffers.
func (a *FrameBufferAllocator) Buffers(s *Stream) []*FrameBuffer {
	a.camera.mu.Lock()
	defer a.camera.mu.Unlock()
	return append([]*FrameBuffer(nil), s.buffers...)
}

// Kind returns the allocator that served the stream (never AllocatorAuto
// once it has buffers).
func (a *FrameBufferAllocator) Kind(s *Stream) AllocatorKind {
	a.camera.mu.Lock()
	defer a.camera.mu.Unlock()
	return s.allocator
}

// Free frees the stream's buffers. It fails with an error matching [ErrBusy]
// while a request holds one; free or reuse those requests first.
func (a *FrameBufferAllocator) Free(s *Stream) error {
	c := a.camera
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	var e C.picam_error
	if err := cError("FrameBufferAllocator.Free", C.picam_camera_free_buffers(c.h, C.int(s.index), &e), &e); err != nil {
		return err
	}
	s.dropBuffers()
	return nil
}

// FrameBuffer is one buffer of a stream, mapped into memory for its whole
// life, as libcamera's FrameBuffer.
type FrameBuffer struct {
	stream *Stream
	index  int
	planes []Plane
	maps   []*mapping
	meta   FrameMetadata
}

// Plane is one plane of a frame buffer. Data is the plane's memory itself,
// not a copy: it shows each new frame the buffer receives, and holds the
// buffer's frames until the buffer is freed and no request holds it.
//
// Data never becomes invalid memory: once the buffer is gone (freed,
// reconfigured, its camera or Manager closed), its pages are replaced by
// zero pages, so a stale Data reads zeros (or, once the address range is
// reused for a later buffer, that buffer's frames) and never faults. Its
// contents then mean nothing; copy what must outlive the buffer. See
// [ReservedAddressSpace] and docs/frame-views.md.
type Plane struct {
	FD     int // a descriptor of the buffer's memory, owned by the FrameBuffer and closed when it is freed
	Offset uint32
	Length uint32
	Data   []byte
}

// Index returns the buffer's position in its stream.
func (b *FrameBuffer) Index() int { return b.index }

// Stream returns the buffer's stream.
func (b *FrameBuffer) Stream() *Stream { return b.stream }

// Planes returns the buffer's planes.
func (b *FrameBuffer) Planes() []Plane { return b.planes }

// Metadata returns what libcamera reported of the last frame written into
// the buffer.
func (b *FrameBuffer) Metadata() FrameMetadata { return b.meta }

// FrameStatus is the outcome of one frame.
type FrameStatus uint32

// The frame states, as libcamera's FrameMetadata::Status.
const (
	FrameSuccess   FrameStatus = C.PICAM_FRAME_SUCCESS
	FrameError     FrameStatus = C.PICAM_FRAME_ERROR
	FrameCancelled FrameStatus = C.PICAM_FRAME_CANCELLED
	FrameStartup   FrameStatus = C.PICAM_FRAME_STARTUP
	FrameUnknown   FrameStatus = C.PICAM_FRAME_UNKNOWN
)

func (s FrameStatus) String() string {
	switch s {
	case FrameSuccess:
		return "success"
	case FrameError:
		return "error"
	case FrameCancelled:
		return "cancelled"
	case FrameStartup:
		return "startup"
	}
	return fmt.Sprintf("FrameStatus(%d)", uint32(s))
}

// FrameMetadata is libcamera's per-buffer metadata.
type FrameMetadata struct {
	Status    FrameStatus
	Sequence  uint32 // frame number of the stream, from 0 after start
	Timestamp uint64 // ns, CLOCK_MONOTONIC
	NumPlanes int
	BytesUsed [MaxPlanes]uint32
	// Derived is true where libcamera itself left the buffer's metadata
	// empty (libcamera 0.4.0) and the shim derived it from the request.
	Derived bool
}

// mapping is one mmap of a buffer's memory, shared by the planes on it and
// replaced by zero pages when its last holder lets go (see span).
type mapping struct {
	fd   int
	data []byte
	span span
	refs atomic.Int32
}

func (m *mapping) ref() { m.refs.Add(1) }

func (m *mapping) unref() {
	if m.refs.Add(-1) == 0 {
		retire(m.span, len(m.data))
		linux.Close(m.fd)
		mappings.Add(-1)
	}
}

// mappings counts live mappings, for leak tests.
var mappings atomic.Int64

// LiveMappings returns how many buffer mappings the process holds: buffers
// whose memory is mapped, each holding a descriptor. It goes back down as
// buffers are freed; the address space their views keep (zero pages, no
// descriptor) is counted apart, by [ReservedAddressSpace].
func LiveMappings() int64 { return mappings.Load() }

// mapBuffer maps each distinct descriptor of buffer i once, covering its planes.
func mapBuffer(c *Camera, s *Stream, i int) (*FrameBuffer, error) {
	var cp [MaxPlanes]C.picam_plane
	var e C.picam_error
	n := C.picam_camera_buffer_planes(c.h, C.int(s.index), C.int(i), &cp[0], C.int(len(cp)), &e)
	if err := cError("FrameBufferAllocator.Allocate", n, &e); err != nil {
		return nil, err
	}
	b := &FrameBuffer{stream: s, index: i}
	byFD := map[int]*mapping{}
	ends := map[int]uint64{}
	for p := range int(n) {
		fd := int(cp[p].fd)
		end := uint64(cp[p].offset) + uint64(cp[p].length)
		if end > ends[fd] {
			ends[fd] = end
		}
	}
	fail := func(err error) (*FrameBuffer, error) {
		b.unmap()
		return nil, err
	}
	for p := range int(n) {
		fd := int(cp[p].fd)
		m, ok := byFD[fd]
		if !ok {
			// Our own descriptor: the mapping outlives the shim's buffer.
			dup, err := linux.DupCloexec(fd)
			if err != nil {
				return fail(osError("FrameBufferAllocator.Allocate", err, "map buffer %d of %v", i, s))
			}
			size := int(ends[fd])
			data, sp, err := mapShared(dup, size)
			if err != nil {
				linux.Close(dup)
				return fail(osError("FrameBufferAllocator.Allocate", err, "map buffer %d of %v (%d bytes)", i, s, size))
			}
			m = &mapping{fd: dup, data: data, span: sp}
			m.refs.Store(1)
			mappings.Add(1)
			byFD[fd] = m
			b.maps = append(b.maps, m)
		}
		off, length := cp[p].offset, cp[p].length
		b.planes = append(b.planes, Plane{FD: m.fd, Offset: uint32(off), Length: uint32(length),
			Data: m.data[off : off+length : off+length]})
	}
	return b, nil
}

// unmap drops the buffer's own hold on its mappings. The planes stay: a
// request that still holds the buffer keeps its mappings alive and must
// still show its frame (a held request read after Close), and once the
// last hold goes their memory is zero pages, never a hole.
func (b *FrameBuffer) unmap() {
	for _, m := range b.maps {
		m.unref()
	}
	b.maps = nil
}
