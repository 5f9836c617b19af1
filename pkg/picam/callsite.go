package picam

// Where a capture was called, for the reports that name the requests an
// application still holds ([StallError], Configure's ErrBusy, leak
// warnings) and, in the checked mode, stale views. Each public capture call
// takes its caller's site once, at its entry. A call made on the caller's
// behalf, such as an asynchronous form's on its job's goroutine, finds the
// site its own public entry took in the context instead: so the
// asynchronous forms simply wrap the public calls.

import (
	"context"
	"runtime"
)

// siteDepth is how many callers a site records: the three the reports
// print (callsite.Describe) and one more in case the first is picam's own
// (a capture made by another picam call). Unwinding few frames keeps the
// site cheap on a capture call: about 0.4 µs against 2.5 µs for 16 frames
// on the 2-core test machine, and no allocation.
const siteDepth = 4

type siteKey struct{}

// withSite returns ctx carrying pcs as the capture site of the calls made
// with it.
func withSite(ctx context.Context, pcs []uintptr) context.Context {
	return context.WithValue(ctx, siteKey{}, pcs)
}

// captureSite returns the site carried by ctx, or else the caller of the
// public function that calls captureSite, recorded in buf.
func captureSite(ctx context.Context, buf *[siteDepth]uintptr) []uintptr {
	if pcs, ok := jobSite(ctx); ok {
		return pcs
	}
	if pcs, ok := ctx.Value(siteKey{}).([]uintptr); ok {
		return pcs
	}
	return buf[:runtime.Callers(3, buf[:])]
}

// callerSite returns the caller of the public function that calls it,
// recorded in buf.
func callerSite(buf *[siteDepth]uintptr) []uintptr {
	return buf[:runtime.Callers(3, buf[:])]
}
