package main

import (
	"context"
	"flag"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

const benchSynopsis = `Measures the capture loop on the chosen camera and size: wait for a frame
(Camera.CaptureRequest), release it, again, for --frames frames (or -t). It
reports frames/s, this process's CPU time per frame (user + system) and the
frames the camera delivered that the loop missed (gaps in the sequence).
The camera is paced as for recording (--framerate, or the camera's fastest
rate); --unpaced lets libcamera's virtual camera run as fast as it can.`

type benchFlags struct {
	common
	frames  int
	timeout millis
}

func runBench(args []string, out *console) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	f := benchFlags{frames: 300}
	f.register(fs, picam.Size{Width: 640, Height: 480})
	fs.IntVar(&f.frames, "frames", 300, "frames to capture (0: until -t or Ctrl-C)")
	fs.Var(&f.timeout, "t", "stop after this long (ms or a duration; 0: no limit)")
	fs.Var(&f.timeout, "timeout", "the same as -t")
	fs.BoolVar(&f.unpaced, "unpaced", false, "do not pace the camera (the virtual camera then runs flat out)")
	if err := parseFlags(fs, args, &console{stdout: out.stdout}, benchSynopsis); err != nil {
		return err
	}
	out.verbose, out.quiet = f.verbose, f.quiet
	if err := f.common.check(); err != nil {
		return err
	}
	if f.frames < 0 {
		return usageErrorf("--frames %d: want 0 (until -t or Ctrl-C) or more", f.frames)
	}
	if f.unpaced && f.framerate > 0 {
		return usageErrorf("--unpaced and --framerate do not go together")
	}
	cam, err := prepare(&f.common, out, 0, f.videoConfiguration)
	if err != nil {
		return err
	}
	defer cam.Close()
	ctx := newRunContext(0)
	defer ctx.stop()
	if err := startCamera(ctx, cam); err != nil {
		return err
	}
	main, _ := cam.StreamConfiguration(picam.Main)
	return benchLoop(ctx, cam, &f, main, out)
}

func benchLoop(ctx *runContext, cam *picam.Camera, f *benchFlags, main picam.StreamConfig, out *console) error {
	var loopCtx context.Context = ctx
	if f.timeout > 0 {
		c, cancel := context.WithTimeout(ctx, time.Duration(f.timeout))
		defer cancel()
		loopCtx = c
	}
	var frames, missed uint64
	var shown struct{ frames, missed atomic.Uint64 } // for the progress line's goroutine
	var first, last uint32
	start, cpu0 := time.Now(), cpuTime()
	stopProgress := out.startProgress(func() status {
		return status{elapsed: time.Since(start), frames: shown.frames.Load(), dropped: shown.missed.Load(), bytes: -1}
	})
	var loopErr error
	for f.frames == 0 || frames < uint64(f.frames) {
		req, err := cam.CaptureRequest(loopCtx)
		if err != nil {
			if loopCtx.Err() == nil {
				loopErr = fmt.Errorf("frame %d: %w", frames, err)
			}
			break
		}
		seq := req.Sequence()
		req.Release()
		if frames == 0 {
			first = seq
		} else if seq > last+1 {
			missed += uint64(seq - last - 1)
		}
		last = seq
		frames++
		shown.frames.Store(frames)
		shown.missed.Store(missed)
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	stopProgress()
	if loopErr != nil {
		return loopErr
	}
	if frames == 0 {
		return ctx.result(false)
	}
	pacing := "paced"
	if f.unpaced {
		pacing = "unpaced"
	}
	out.infof("%d frames of %v %s (%s) in %s: %.1f frames/s, CPU %.3f ms per frame (user+system), %d missed (sequence %d to %d)",
		frames, main.Size, main.Format, pacing, clock(elapsed), float64(frames)/elapsed.Seconds(),
		float64(cpu.Microseconds())/1000/float64(frames), missed, first, last)
	return ctx.result(f.frames == 0 && f.timeout == 0)
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
