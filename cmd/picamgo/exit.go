package main

import (
	"errors"
	"fmt"
)

// Exit codes, as `picamgo help` and the package documentation list them.
const (
	exitOK          = 0
	exitFailed      = 1   // the work failed once started (camera, encoder, disk, network)
	exitUsage       = 2   // bad flags or output paths, found before the camera starts
	exitNoCamera    = 3   // no camera, or none with the index or id given
	exitConfig      = 4   // the camera cannot do what was asked (--strict size, control limits)
	exitInterrupted = 130 // Ctrl-C (or SIGTERM) cut short work with a set end; files are finished
)

const exitCodesHelp = `Exit codes:
  0    done (also Ctrl-C ending a command that runs until interrupted: -t 0, serve)
  1    failed after the camera started (camera, encoder, disk, network)
  2    bad flags or output paths (checked before the camera starts)
  3    no camera, or no camera with the index or id given (the valid ones are listed)
  4    the camera cannot do what was asked (a size it adjusts, with --strict; a control out of its limits)
  130  interrupted (Ctrl-C or SIGTERM) before a set end; the files written are complete
`

// codeError carries the exit code an error ends the program with.
type codeError struct {
	code int
	err  error
}

func (e *codeError) Error() string { return e.err.Error() }
func (e *codeError) Unwrap() error { return e.err }

// errInterrupted ends a command that a signal cut short; its files are
// finished. main prints nothing more for it.
var errInterrupted = &codeError{exitInterrupted, errors.New("interrupted")}

func usageErrorf(format string, a ...any) error {
	return &codeError{exitUsage, fmt.Errorf(format, a...)}
}

func cameraErrorf(format string, a ...any) error {
	return &codeError{exitNoCamera, fmt.Errorf(format, a...)}
}

func configErrorf(format string, a ...any) error {
	return &codeError{exitConfig, fmt.Errorf(format, a...)}
}

// exitCode is the exit code for err: its codeError's, else exitFailed.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	if ce, ok := errors.AsType[*codeError](err); ok {
		return ce.code
	}
	return exitFailed
}
