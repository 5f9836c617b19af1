package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// libcamera's virtual camera draws every frame on the CPU, in a thread of
// this process named VirtualCamera (one per virtual camera, libcamera 0.6
// and later; before, on the CameraManager thread). A real camera's sensor
// and ISP do that work in hardware. At 1920x1080 the drawing takes about
// 4 ms of CPU per frame, and a thread woken on the core it runs on may
// wait out the rest of its time slice (up to ~1.5 ms): that, not picam,
// is what the heartbeat would measure. The example runs the drawing at
// SCHED_IDLE, so that it uses only spare CPU as hardware would use none,
// and measures capture once more with the drawing at normal priority.

// drawingIdleStall is the stall timeout while the drawing is at
// SCHED_IDLE: on a busy machine it gets almost no CPU (the scheduler
// weighs it at 3 against a normal thread's 1024), and a frame can take
// seconds without anything being wrong with the camera.
const drawingIdleStall = time.Minute

const (
	schedOther = unix.SCHED_NORMAL
	schedIdle  = unix.SCHED_IDLE
)

// drawingThreads returns the thread ids of libcamera's VirtualCamera
// threads in this process (none with a hardware camera).
func drawingThreads() ([]int, error) {
	entries, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	var tids []int
	for _, e := range entries {
		comm, err := os.ReadFile("/proc/self/task/" + e.Name() + "/comm")
		if err != nil {
			continue // the thread has exited
		}
		if strings.TrimSpace(string(comm)) != "VirtualCamera" {
			continue
		}
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			return nil, err
		}
		tids = append(tids, tid)
	}
	return tids, nil
}

// setDrawingIdle moves the drawing threads to SCHED_IDLE (idle) or back to
// SCHED_OTHER. It reports how many threads it changed.
func setDrawingIdle(idle bool) (int, error) {
	tids, err := drawingThreads()
	if err != nil {
		return 0, err
	}
	policy := schedOther
	if idle {
		policy = schedIdle
	}
	var errs []error
	for _, tid := range tids {
		// The thread's other attributes (its nice value) stay as they are;
		// the priority is 0 for both policies.
		attr, err := unix.SchedGetAttr(tid, 0)
		if err == nil {
			attr.Policy, attr.Priority = uint32(policy), 0
			err = unix.SchedSetAttr(tid, attr, 0)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("sched_setattr(%d): %w", tid, err))
		}
	}
	return len(tids), errors.Join(errs...)
}

// drawingPolicy returns the scheduling policy of the drawing threads, as
// the report prints it: "idle", "normal", "mixed" or "" when there are none.
func drawingPolicy() string {
	tids, err := drawingThreads()
	if err != nil || len(tids) == 0 {
		return ""
	}
	seen := map[string]bool{}
	for _, tid := range tids {
		attr, err := unix.SchedGetAttr(tid, 0)
		if err != nil {
			seen["?"] = true
			continue
		}
		switch p := attr.Policy; {
		case p == schedIdle:
			seen["idle"] = true
		case p == schedOther:
			seen["normal"] = true
		default:
			seen[strconv.Itoa(int(p))] = true
		}
	}
	if len(seen) > 1 {
		return "mixed"
	}
	for p := range seen {
		return p
	}
	return ""
}
