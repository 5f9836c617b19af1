// Command goloop runs the plain C++ loop (../loop.cpp, unchanged) inside a Go
// process: the same C++ threads and code, with the Go runtime around them
// (sysmon, idle Ms, the garbage collector) but no Go on the frame path.
// make bench prints it beside the C++ loop and the Go loop: if it matched
// the Go loop, the cost would be the Go process itself; it matches the C++
// loop, so the cost is in the hand-off to Go. Its flags are loop.cpp's.
//
// It lives under testdata/ so that ./... skips it; build it by its path:
//
//	go build -o goloop ./libcamera/testdata/cxxloop/goloop
package main

/*
#cgo pkg-config: libcamera
#cgo CXXFLAGS: -std=c++20 -O2
#include <stdio.h>
int cxxloop_main(int argc, char **argv);
*/
import "C"

import (
	"os"
	"runtime"
)

func main() {
	// The loop's main thread blocks in libcamera and condition variables;
	// keep it on one OS thread, as a C program's main thread is.
	runtime.LockOSThread()
	argv := make([]*C.char, 0, len(os.Args)+1)
	for _, a := range os.Args {
		argv = append(argv, C.CString(a))
	}
	argv = append(argv, nil)
	rc := C.cxxloop_main(C.int(len(os.Args)), &argv[0])
	C.fflush(nil) // the loop prints with stdio; os.Exit would drop its buffer
	os.Exit(int(rc))
}
