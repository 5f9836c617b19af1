package libcamera

import (
	"math/bits"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"github.com/picamgo/picamgo/internal/linux"
)

// Frame buffers are handed out as []byte views of their mapping, and Go
// cannot tell when the last view is gone: a slice into mmap'd memory keeps
// no Go object alive, and a user may keep one plane's slice after dropping
// everything else. Unmapping a buffer could therefore leave a view pointing
// at a hole, and touching it would kill the process (SIGSEGV is a fatal
// error in Go, not a panic).
//
// So no buffer's address range is ever given back to the kernel. Each
// mapping lives in a span of address space; when the mapping goes, the span
// is overwritten in one mmap(MAP_FIXED) by anonymous private zero pages,
// which drops the buffer's pages (closing the descriptor then frees the
// memory) and leaves the range readable and writable: a stale view reads
// zeros and its writes land in private memory. The span then waits, at no
// memory cost (untouched anonymous pages have no physical page), for the
// next mapping that fits, which is placed over it with MAP_FIXED again.
// Reuse bounds the address space to the most buffers ever mapped at once,
// per size class (see spanSize); a stale view of a reused span reads the
// new buffer's frames. docs/frame-views.md has the reasons and figures.

// span is a range of address space kept for buffer mappings.
type span struct {
	addr uintptr
	size uintptr // a multiple of the page size
}

// spans holds the spans not in use: each is anonymous zero pages.
var spans struct {
	mu    sync.Mutex
	free  []span
	total int     // spans ever reserved (in use or free); none is unmapped
	bytes uintptr // their size
	stuck int     // mappings that could not be replaced, left mapped
}

var pageLen = uintptr(os.Getpagesize())

// pageRound rounds n up to whole pages.
func pageRound(n uintptr) uintptr { return (n + pageLen - 1) / pageLen * pageLen }

// spanSize rounds n up to its size class: whole pages, and past eight
// pages a multiple of an eighth of the next power of two, so that a
// range of sizes (modes switched back and forth, odd resolutions) shares
// few classes, and a span freed by one size serves the next of its class.
func spanSize(n uintptr) uintptr {
	step := pageLen
	if n > 8*pageLen {
		if s := uintptr(1) << (bits.Len64(uint64(n-1)) - 3); s > step {
			step = s
		}
	}
	return (pageRound(n) + step - 1) / step * step
}

const anonFlags = syscall.MAP_PRIVATE | syscall.MAP_ANONYMOUS

// mapShared maps the first length bytes of fd read/write and shared, into
// a free span that fits or a new one. The span's pages past length stay
// anonymous zero pages.
func mapShared(fd int, length int) ([]byte, span, error) {
	n := pageRound(uintptr(length))
	spans.mu.Lock()
	defer spans.mu.Unlock()
	best := -1
	for i, s := range spans.free {
		if s.size >= n && (best < 0 || s.size < spans.free[best].size) {
			best = i
		}
	}
	var s span
	if best >= 0 {
		s = spans.free[best]
	} else {
		size := spanSize(n)
		addr, err := linux.MmapAt(0, size, syscall.PROT_READ|syscall.PROT_WRITE, anonFlags, -1)
		if err != nil {
			return nil, span{}, err
		}
		s = span{addr: addr, size: size}
		spans.total++
		spans.bytes += size
		spans.free = append(spans.free, s)
		best = len(spans.free) - 1
	}
	// MAP_FIXED replaces the zero pages in place: the range is never
	// unmapped, not even for an instant.
	if _, err := linux.MmapAt(s.addr, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_FIXED, fd); err != nil {
		// Older kernels may have removed the zero pages before
		// failing (a driver refusing the mapping): put them back, so the
		// stale views of the span's earlier buffers stay valid.
		if _, rerr := linux.MmapAt(s.addr, s.size, syscall.PROT_READ|syscall.PROT_WRITE, anonFlags|syscall.MAP_FIXED, -1); rerr != nil {
			spans.free = append(spans.free[:best], spans.free[best+1:]...)
			spans.stuck++
		}
		return nil, span{}, err // the span stays free, zero pages
	}
	spans.free = append(spans.free[:best], spans.free[best+1:]...)
	return unsafe.Slice((*byte)(addrPointer(s.addr)), length), s, nil
}

// addrPointer turns the address of memory outside Go's heap (our own
// mmap) into a pointer. The garbage collector ignores such pointers and
// never moves that memory; reading the uintptr through its own address is
// the conversion vet accepts.
func addrPointer(addr uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&addr)) }

// retire replaces a mapping of length bytes at the start of s with zero
// pages and frees the span for the next mapping. If the kernel refuses (out
// of memory, or of mappings: vm.max_map_count), the span is never reused:
// the buffer stays mapped (a leak, views stay valid), except on older
// kernels that run out of memory after removing the old pages, which
// nothing here can repair.
func retire(s span, length int) {
	n := pageRound(uintptr(length))
	spans.mu.Lock()
	defer spans.mu.Unlock()
	if _, err := linux.MmapAt(s.addr, n, syscall.PROT_READ|syscall.PROT_WRITE, anonFlags|syscall.MAP_FIXED, -1); err != nil {
		spans.stuck++
		return
	}
	spans.free = append(spans.free, s)
}

// AddressSpace describes the address space the process keeps for frame
// buffer views (see [Plane]).
type AddressSpace struct {
	// Spans is how many address ranges were ever reserved for buffer
	// mappings, in use or free; Bytes is their total size. Neither ever
	// goes down: ranges are reused, never given back, so that no view can
	// outlive its memory. They grow only when more buffers are mapped at
	// once than ever before (per size class).
	Spans int
	Bytes uint64
	// Free is how many of those spans hold no buffer: zero pages that cost
	// no memory until a stale view writes to them.
	Free int
	// Stuck counts spans the kernel refused to fill with zero pages (out
	// of memory or of mappings): never reused, most still holding their
	// old buffer for good.
	Stuck int
}

// ReservedAddressSpace returns the address space kept for frame buffer views.
func ReservedAddressSpace() AddressSpace {
	spans.mu.Lock()
	defer spans.mu.Unlock()
	return AddressSpace{Spans: spans.total, Bytes: uint64(spans.bytes), Free: len(spans.free), Stuck: spans.stuck}
}
