package libcamera

/*
#include "cshim.h"
void picamgoRequestCompleted(void *handle, uint32_t slot, struct picam_completion *completion);
*/
import "C"

import (
	"unsafe"

	pointer "github.com/mattn/go-pointer"
)

// completionCallback is the shim's picam_completion_fn: the exported Go function.
var completionCallback = C.picam_completion_fn(C.picamgoRequestCompleted)

// picamgoRequestCompleted runs on libcamera's thread for every completed
// request. It copies the completion record into the Go request and hands the
// request to the camera's bounded queue without ever blocking.
//
//export picamgoRequestCompleted
func picamgoRequestCompleted(handle unsafe.Pointer, slot C.uint32_t, rec *C.picam_completion) {
	c, _ := pointer.Restore(handle).(*Camera)
	if c == nil {
		return
	}
	slots := c.slots.Load()
	if slots == nil || int(slot) >= len(*slots) {
		c.lost.Add(1)
		return
	}
	r := (*slots)[slot]
	if r == nil {
		c.lost.Add(1)
		return
	}
	r.complete(rec)
	select {
	case c.completed <- r:
		if b := c.bell.Load(); b != nil && b.armed.Load() {
			b.ring()
		}
	default:
		// Cannot happen while the queue holds one place per request; counted
		// so that tests can prove it.
		c.lost.Add(1)
	}
}
