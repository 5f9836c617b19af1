package video

import "fmt"

// KeepPriority, as [H264].Nice, runs the encoder at the program's own
// scheduling priority.
const KeepPriority = -1

// defaultNice is how much [H264] lowers its threads' priority by default.
// At nice 10 a thread weighs 110 against a normal thread's 1024 (Linux's
// weights), so a thread of the program that wakes (a control loop's
// goroutine, the camera's completions) is preferred to the encoder's;
// the encoder still gets whatever the program leaves of the cores. (Linux
// weighs nice within a session's group when autogroup is on, as in
// Debian's kernels: other programs' work competes with the program as a
// whole, whatever the encoder's nice.)
const defaultNice = 10

// niceOf checks an H264.Nice and returns the increment to apply (0: none):
// codec.H264Options.Nice.
func niceOf(n int) (int, error) {
	switch {
	case n == KeepPriority:
		return 0, nil
	case n == 0:
		return defaultNice, nil
	case n < 0 || n > 19:
		return 0, fmt.Errorf("video: h264: nice %d (want 1..19, 0 for %d or KeepPriority): %w", n, defaultNice, ErrInvalid)
	}
	return n, nil
}
