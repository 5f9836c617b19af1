package libcamera

/*
#include "cshim.h"
void picamgoRequestCompleted(void *handle, struct picam_completion *completion);
*/
import "C"

import (
	"unsafe"

	pointer "github.com/mattn/go-pointer"
)

// completionCallback is the shim's picam_completion_fn: the exported Go function.
var completionCallback = C.picam_completion_fn(C.picamgoRequestCompleted)

// picamgoRequestCompleted runs on libcamera's thread for every completed
// request. handle is the request's own go-pointer handle, made when it was
// created: the request is its one identity, with no table to look it up
// in. It copies the completion record into the Go request and hands the
// request to its camera's bounded queue without ever blocking.
//
//export picamgoRequestCompleted
func picamgoRequestCompleted(handle unsafe.Pointer, rec *C.picam_completion) {
	r, _ := pointer.Restore(handle).(*Request)
	if r == nil {
		return // cannot happen: a handle lives until its request is freed, which waits for this
	}
	c := r.camera
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
