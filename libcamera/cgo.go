package libcamera

/*
#cgo pkg-config: libcamera
#cgo CXXFLAGS: -std=c++20 -Wall -Wno-unused-parameter
#cgo CPPFLAGS: -I${SRCDIR}/..
#cgo noescape picam_request_queue
#cgo nocallback picam_request_queue
#cgo noescape picam_request_reuse
#cgo nocallback picam_request_reuse
#cgo noescape picam_request_requeue
#cgo nocallback picam_request_requeue
#include "cshim.h"
#include "shimhash.h" // rebuilds the package when the shim changes: see .ci/shimhash.sh
*/
import "C"
