// Package callsite names where a value was made, for the warnings picam and
// picamcv log when the garbage collector finds a request or Mat that was
// never released. Program counters are recorded cheaply at creation and
// symbolized only when such a warning is due.
package callsite

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// Describe returns the first three callers in pcs outside package pkg (an
// import path; its tests count as outside), innermost first, as
// "file.go:line pkg.Func <- ...", or "(unknown)".
func Describe(pcs []uintptr, pkg string) string {
	if len(pcs) == 0 {
		return "(unknown)"
	}
	frames := runtime.CallersFrames(pcs)
	var sites []string
	for len(sites) < 3 {
		f, more := frames.Next()
		inside := strings.HasPrefix(f.Function, pkg+".") && !strings.HasSuffix(f.File, "_test.go")
		if !inside && f.Function != "" {
			fn := f.Function
			if i := strings.LastIndexByte(fn, '/'); i >= 0 {
				fn = fn[i+1:]
			}
			sites = append(sites, fmt.Sprintf("%s:%d %s", filepath.Base(f.File), f.Line, fn))
		}
		if !more {
			break
		}
	}
	if len(sites) == 0 {
		return "(unknown)"
	}
	return strings.Join(sites, " <- ")
}
