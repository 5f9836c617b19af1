// Package libcamera is a low-level binding to libcamera, one-to-one with its
// concepts: a [Manager] lists [Camera] values; a camera is acquired,
// configured with a [CameraConfiguration] of stream roles, given
// [FrameBuffer]s from a [FrameBufferAllocator], started, and fed
// [Request]s, which come back completed ([Camera.WaitRequest],
// [Camera.RequestCompleted]).
// Most programs want the Picamera2-like package
// github.com/picamgo/picamgo/pkg/picam, which is built on this one.
//
// # Threads and completion
//
// libcamera completes requests on its own thread. That thread runs a small C
// shim that copies what Go needs (status, sequence, timestamps, bytes used,
// metadata) and calls into Go, which pushes the request onto the camera's
// channel. The channel holds one place per request, so the push never blocks
// and libcamera's thread never runs user code. Requests cancelled by
// [Camera.Stop] come back the same way, with [RequestCancelled].
//
// [Camera.WaitRequest] takes requests from the same channel, but parks its
// goroutine in Go's network poller on a per-camera eventfd that the
// callback writes after the push. A goroutine woken by the channel send
// waits for the Go scheduler to move it off the P that libcamera's thread
// keeps (42-43 µs from the callback on the development machine); the
// poller hands it to an idle P (18-22 µs). A loop that only waits
// for requests should use WaitRequest; [Camera.RequestCompleted] is for
// select.
//
// # Buffers
//
// Each buffer is mapped once for its life; [Plane.Data] is a view of the
// mapped memory, not a copy. A buffer is only safe to read between the
// moment its completed request is received and the moment
// the request is queued again. Mappings are reference-counted: a request
// still held after its camera, allocator or manager is closed keeps its
// buffers mapped until the request is freed or collected.
//
// A view never faults, even after that: when a buffer goes, its pages are
// replaced in place by zero pages rather than unmapped, so a stale
// Plane.Data reads zeros (and its writes go to private memory). The address
// range is kept and reused for a later buffer that fits, whose frames a
// stale view then shows; [ReservedAddressSpace] reports what is kept (zero
// pages cost address space, not memory). docs/frame-views.md has the
// reasons and figures.
//
// Buffers come from libcamera's own allocator, a dma-heap (/dev/dma_heap, as
// on a Raspberry Pi 5) or memfd (which libcamera's virtual camera accepts),
// chosen in that order by [AllocatorAuto].
//
// # Errors
//
// Every failure is an [*Error] carrying the operation, a [syscall.Errno] and
// libcamera's message. Use [errors.Is] with [ErrBusy], [ErrState],
// [ErrInvalid], [ErrNoDevice] and [ErrClosed], or with a syscall.Errno.
// Input libcamera would assert on (a control of the wrong type, a
// single-plane buffer for a multi-plane format, a request on a stopped
// camera) is refused with an error before libcamera sees it.
//
// # Versions
//
// The package builds against libcamera 0.4 to 0.7 (pkg-config libcamera);
// the shim absorbs their differences. [Version] reports the libcamera the
// program runs with and [BuildVersion] the one it was built against.
package libcamera
