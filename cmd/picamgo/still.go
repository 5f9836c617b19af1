package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

const stillSynopsis = `Saves a still as JPEG or PNG (after -o's extension), through picam's own
encoders (Camera.CaptureFile), JPEGs with the frame's EXIF: after -t
(default 1s, letting exposure settle on a real camera), at once with
--immediate, or a numbered series with --timelapse (-o img%04d.jpg; every
interval until -t, --frames or Ctrl-C). The size defaults to the sensor's
full resolution. On a camera with a raw stream (a Bayer sensor), -o a.dng
saves the raw frame as a DNG, and --raw (-r) saves one beside each JPEG or
PNG from the same frame (a.jpg and a.dng), as rpicam-still does.`

type stillFlags struct {
	common
	output    string
	timeout   millis
	immediate bool
	timelapse millis
	frames    int
	quality   int
	raw       bool
}

func runStill(args []string, out *console) error {
	fs := flag.NewFlagSet("still", flag.ContinueOnError)
	f := stillFlags{timeout: millis(time.Second)}
	f.register(fs, picam.Size{})
	fs.StringVar(&f.output, "o", "", "output file: .jpg, .jpeg, .png or .dng (a %d counter with --timelapse)")
	fs.StringVar(&f.output, "output", "", "the same as -o")
	fs.Var(&f.timeout, "t", "wait this long before the still (ms or a duration); with --timelapse, for how long (default: until --frames or Ctrl-C)")
	fs.Var(&f.timeout, "timeout", "the same as -t")
	fs.BoolVar(&f.immediate, "immediate", false, "save the first frame the camera delivers, at once")
	fs.Var(&f.timelapse, "timelapse", "a still every this long (ms or a duration), numbered files")
	fs.IntVar(&f.frames, "frames", 0, "with --timelapse: stop after this many stills")
	fs.IntVar(&f.quality, "quality", 90, "JPEG quality, 1 to 100")
	fs.BoolVar(&f.raw, "r", false, "also save the raw frame as a DNG: -o's name with .dng (a camera with a raw stream)")
	fs.BoolVar(&f.raw, "raw", false, "the same as -r")
	if err := parseFlags(fs, args, &console{stdout: out.stdout}, stillSynopsis); err != nil {
		return err
	}
	out.verbose, out.quiet = f.verbose, f.quiet
	if f.timelapse > 0 && !isSet(fs, "t", "timeout") {
		f.timeout = 0 // a series runs until --frames or Ctrl-C unless -t says
	}
	if err := f.check(); err != nil {
		return err
	}
	cam, err := prepare(&f.common, out, f.quality, func(cam *picam.Camera) (picam.Configuration, error) {
		cfg := cam.StillConfiguration()
		if f.width != 0 {
			cfg.Main.Size = f.size()
		}
		if f.raw || isDNG(f.output) {
			return cfg, withRaw(cam, &cfg)
		}
		return cfg, nil
	})
	if err != nil {
		return err
	}
	defer cam.Close()
	ctx := newRunContext(0)
	defer ctx.stop()
	if f.timelapse > 0 {
		return timelapse(ctx, cam, &f, out)
	}
	if f.immediate {
		if err := cam.Start(); err != nil {
			return fmt.Errorf("starting camera %s: %w", cam.ID(), err)
		}
	} else {
		if err := startCamera(ctx, cam); err != nil {
			return err
		}
		select {
		case <-time.After(time.Duration(f.timeout)):
		case <-ctx.Done():
			return errInterrupted
		}
	}
	md, err := saveStill(ctx, cam, f.output, f.rawName(f.output))
	if err != nil {
		if ctx.interrupted() {
			return errInterrupted
		}
		return err
	}
	out.infof("saved %s: %s, taken %s, %s", f.output, streamLine(cam, f.output), sensorTime(md), fileSize(f.output))
	f.savedRaw(cam, f.output, out)
	return nil
}

// rawName is the DNG --raw saves beside the still name, or "".
func (f *stillFlags) rawName(name string) string {
	if !f.raw {
		return ""
	}
	return rawName(name)
}

// savedRaw reports the DNG --raw saved beside the still name.
func (f *stillFlags) savedRaw(cam *picam.Camera, name string, out *console) {
	if raw := f.rawName(name); raw != "" {
		out.infof("saved %s: %s, %s", raw, streamLine(cam, raw), fileSize(raw))
	}
}

// check refuses bad flags and output paths before the camera starts.
func (f *stillFlags) check() error {
	if (f.width == 0) != (f.height == 0) {
		return usageErrorf("give --width and --height together")
	}
	if f.width != 0 {
		if err := f.common.check(); err != nil {
			return err
		}
	}
	if f.quality < 1 || f.quality > 100 {
		return usageErrorf("--quality %d: want 1 to 100", f.quality)
	}
	if f.frames < 0 {
		return usageErrorf("--frames %d: want 0 (no limit) or more", f.frames)
	}
	if f.output == "" {
		return usageErrorf("no output file: -o NAME.jpg (or .png)")
	}
	if _, err := picam.FormatForPath(f.output); err != nil {
		return usageErrorf("output %s: unknown extension (want .jpg, .jpeg, .png or .dng)", f.output)
	}
	if f.raw && isDNG(f.output) {
		return usageErrorf("--raw saves a DNG beside a JPEG or PNG; -o %s saves the DNG alone: give one or the other", f.output)
	}
	name := f.output
	if f.timelapse > 0 {
		var ok bool
		if name, ok = numbered(f.output, 0); !ok {
			return usageErrorf("--timelapse needs a numbered output name such as img%%04d.jpg (got %s)", f.output)
		}
	} else if f.frames > 0 {
		return usageErrorf("--frames is for --timelapse")
	}
	if err := checkWritable(name); err != nil {
		return err
	}
	if f.raw {
		return checkWritable(rawName(name))
	}
	return nil
}

// timelapse saves a still every --timelapse, numbered from 0, for -t (0:
// until Ctrl-C) or --frames stills.
func timelapse(ctx *runContext, cam *picam.Camera, f *stillFlags, out *console) error {
	if err := startCamera(ctx, cam); err != nil {
		return err
	}
	start := time.Now()
	end := start.Add(time.Duration(f.timeout))
	every := time.Duration(f.timelapse)
	for n := 0; f.frames == 0 || n < f.frames; n++ {
		at := start.Add(time.Duration(n) * every)
		if f.timeout > 0 && !at.Before(end) {
			break
		}
		select {
		case <-time.After(time.Until(at)):
		case <-ctx.Done():
			return ctx.result(f.timeout == 0 && f.frames == 0)
		}
		name, _ := numbered(f.output, n)
		md, err := saveStill(ctx, cam, name, f.rawName(name), picam.Flush())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.result(f.timeout == 0 && f.frames == 0)
			}
			return err
		}
		out.infof("saved %s: taken %s, %s after the first, %s", name, sensorTime(md), clock(time.Since(start)), fileSize(name))
		f.savedRaw(cam, name, out)
	}
	return nil
}

func sensorTime(md picam.Metadata) string {
	if ts, ok := md.SensorTimestamp(); ok {
		return fmt.Sprintf("at %v", picam.MonotonicTime(ts).Format("15:04:05.000"))
	}
	return "?"
}

func fileSize(path string) string {
	if n := statSize(path); n >= 0 {
		return byteSize(n)
	}
	return "?"
}

// statSize is the size of the file at path, or -1.
func statSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return fi.Size()
}
