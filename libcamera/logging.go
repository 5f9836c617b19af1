package libcamera

// #include "cshim.h"
// #include <stdlib.h>
import "C"

import (
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// LogLevel is a libcamera log level.
type LogLevel string

// The levels libcamera knows, from most to least verbose.
const (
	LogDebug LogLevel = "DEBUG"
	LogInfo  LogLevel = "INFO"
	LogWarn  LogLevel = "WARN"
	LogError LogLevel = "ERROR"
	LogFatal LogLevel = "FATAL"
)

// SetLogLevel sets the level of one log category (such as "Camera" or
// "Virtual"), or of all of them with "*".
//
// libcamera creates categories when they first log and reads its
// LIBCAMERA_LOG_LEVELS variable once, so SetLogLevel does both: it sets the
// level of categories that already exist and records it in
// LIBCAMERA_LOG_LEVELS for the rest. Call it before [NewManager] for "*" to
// take effect everywhere.
func SetLogLevel(category string, level LogLevel) error {
	switch level {
	case LogDebug, LogInfo, LogWarn, LogError, LogFatal:
	default:
		return errorf("SetLogLevel", syscall.EINVAL, "log level %s: want DEBUG, INFO, WARN, ERROR or FATAL", string(level))
	}
	if category == "" {
		return errorf("SetLogLevel", syscall.EINVAL, "log level: empty category")
	}
	// The variable first: libcamera reads it when its logger is created,
	// which the call below may do, and applies it to categories created later.
	// Later entries win in libcamera's parser; "*" goes first so that
	// categories named explicitly keep their own level.
	var kept []string
	for _, item := range strings.Split(os.Getenv("LIBCAMERA_LOG_LEVELS"), ",") {
		if item != "" && !strings.HasPrefix(item, category+":") {
			kept = append(kept, item)
		}
	}
	entry := category + ":" + string(level)
	if category == "*" {
		kept = append([]string{entry}, kept...)
	} else {
		kept = append(kept, entry)
	}
	if err := os.Setenv("LIBCAMERA_LOG_LEVELS", strings.Join(kept, ",")); err != nil {
		return err
	}
	if category == "*" {
		return nil
	}
	cc, cl := C.CString(category), C.CString(string(level))
	defer C.free(unsafe.Pointer(cc))
	defer C.free(unsafe.Pointer(cl))
	var e C.picam_error
	return cError("SetLogLevel", C.picam_log_set_level(cc, cl, &e), &e)
}

// SetLogFile sends libcamera's log to a file, or back to stderr for "".
func SetLogFile(path string, color bool) error {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	c := C.int(0)
	if color {
		c = 1
	}
	var e C.picam_error
	return cError("SetLogFile", C.picam_log_set_file(cp, c, &e), &e)
}

// EnableLog turns libcamera's log off (false) or back on to stderr (true).
func EnableLog(enabled bool) error {
	v := C.int(0)
	if enabled {
		v = 1
	}
	var e C.picam_error
	return cError("EnableLog", C.picam_log_enable(v, &e), &e)
}

// Version returns the running libcamera's version, such as "v0.7.1".
func Version() string { return C.GoString(C.picam_libcamera_version()) }

// BuildVersion returns the libcamera version the binding was compiled
// against, such as "0.7.1". libcamera's ABI changes with every minor release,
// so a binary runs only against the minor version it was built for.
func BuildVersion() string { return C.GoString(C.picam_libcamera_build_version()) }
