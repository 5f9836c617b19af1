package codec

// The Go side of the C layer's custom AVIOContext (mux.c).

/*
#include <stdint.h>
*/
import "C"

import (
	"errors"
	"io"
	"runtime/cgo"
	"syscall"
	"unsafe"
)

// avioWriter is the io.Writer a muxer writes to, with the first error it
// returned (FFmpeg sees only a code).
type avioWriter struct {
	w   io.Writer
	err error
	n   int64
}

//export pvGoWrite
func pvGoWrite(h C.uintptr_t, buf *C.uint8_t, size C.int) C.int {
	aw := cgo.Handle(h).Value().(*avioWriter)
	if aw.err != nil {
		return -C.int(syscall.EIO)
	}
	n, err := aw.w.Write(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(size)))
	aw.n += int64(n)
	if err == nil && n < int(size) {
		err = io.ErrShortWrite
	}
	if err != nil {
		aw.err = err
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return -C.int(errno)
		}
		return -C.int(syscall.EIO)
	}
	return C.int(n)
}

//export pvGoSeek
func pvGoSeek(h C.uintptr_t, offset C.int64_t, whence C.int) C.int64_t {
	aw := cgo.Handle(h).Value().(*avioWriter)
	s, ok := aw.w.(io.Seeker)
	if !ok || whence > io.SeekEnd { // AVSEEK_SIZE and others: not supported
		return -C.int64_t(syscall.ENOSYS)
	}
	pos, err := s.Seek(int64(offset), int(whence))
	if err != nil {
		if aw.err == nil {
			aw.err = err
		}
		return -C.int64_t(syscall.EIO)
	}
	return C.int64_t(pos)
}
