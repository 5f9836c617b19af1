// Package linux holds every system call picamgo makes itself, through
// golang.org/x/sys/unix: the eventfd that wakes a waiting goroutine, the
// descriptors and mappings of frame buffers, the monotonic clock of frame
// timestamps and the thread id that tells a callback's own thread.
package linux

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// NewEventfd returns a non-blocking eventfd, closed on exec.
func NewEventfd() (int, error) {
	return unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
}

// one is the 8-byte native-endian 1 that an eventfd write adds.
var one = func() (b [8]byte) {
	binary.NativeEndian.PutUint64(b[:], 1)
	return b
}()

// Signal adds one to an eventfd's counter. It never blocks (the counter
// would need 2^64 signals to fill) and does not allocate: it runs on
// libcamera's thread once per frame.
func Signal(fd int) {
	unix.Write(fd, one[:])
}

// DupCloexec duplicates fd with close-on-exec set in the same call, so that
// a fork and exec in another goroutine never inherits it (Dup then
// CloseOnExec leaves a window).
func DupCloexec(fd int) (int, error) {
	return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
}

// Close closes fd.
func Close(fd int) error { return unix.Close(fd) }

// MmapAt is mmap(2) at an address (MAP_FIXED in flags places it there),
// offset 0; it returns the mapping's address.
func MmapAt(addr, length uintptr, prot, flags, fd int) (uintptr, error) {
	p, err := unix.MmapPtr(fd, 0, addrPointer(addr), length, prot, flags)
	return uintptr(p), err
}

// addrPointer makes an unsafe.Pointer of an address outside Go's heap
// (a mapping), which is what mmap's addr argument is.
func addrPointer(addr uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&addr)) }

// MonotonicNow returns CLOCK_MONOTONIC in nanoseconds.
func MonotonicNow() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// Gettid returns the calling thread's id.
func Gettid() int { return unix.Gettid() }
