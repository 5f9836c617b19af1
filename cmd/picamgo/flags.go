package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

// common are the flags every capturing subcommand takes, named as
// rpicam-apps names them where they mean the same.
type common struct {
	camera    string
	width     uint
	height    uint
	strict    bool
	framerate float64
	verbose   verbosity
	quiet     bool
	unpaced   bool // bench --unpaced: no pacing of requeues
}

func (c *common) register(fs *flag.FlagSet, defaultSize picam.Size) {
	fs.StringVar(&c.camera, "camera", "0", "camera index or id (`picamgo list` shows them)")
	fs.UintVar(&c.width, "width", uint(defaultSize.Width), "frame width (with --height)")
	fs.UintVar(&c.height, "height", uint(defaultSize.Height), "frame height (with --width)")
	fs.BoolVar(&c.strict, "strict", false, "refuse a size the camera would adjust, instead of reporting it")
	fs.Float64Var(&c.framerate, "framerate", 0, "frames per second (default: the camera's; paces the virtual camera)")
	// rpicam-apps' -n: there is no preview window to leave out, so their
	// command lines run unchanged.
	fs.Bool("n", false, "accepted for rpicam-apps' command lines (picamgo opens no preview window)")
	fs.Bool("nopreview", false, "the same as -n")
	registerLog(fs, &c.verbose, &c.quiet)
}

// registerLog adds -v and -q.
func registerLog(fs *flag.FlagSet, v *verbosity, q *bool) {
	fs.Var(v, "v", "more output: libcamera's INFO log (-v -v: DEBUG)")
	fs.Var(v, "verbose", "the same as -v")
	fs.BoolVar(q, "q", false, "quiet: print errors only")
	fs.BoolVar(q, "quiet", false, "the same as -q")
}

func (c *common) size() picam.Size {
	return picam.Size{Width: uint32(c.width), Height: uint32(c.height)}
}

func (c *common) check() error {
	if c.width == 0 || c.height == 0 {
		return usageErrorf("--width and --height must be positive (got %dx%d)", c.width, c.height)
	}
	if c.width > 1<<15 || c.height > 1<<15 {
		return usageErrorf("--width and --height must be at most %d (got %dx%d)", 1<<15, c.width, c.height)
	}
	if c.framerate < 0 || c.framerate > 1000 {
		return usageErrorf("--framerate %g: want 0 (the camera's) to 1000", c.framerate)
	}
	return nil
}

// verbosity counts -v flags.
type verbosity int

func (v *verbosity) String() string   { return strconv.Itoa(int(*v)) }
func (v *verbosity) IsBoolFlag() bool { return true }
func (v *verbosity) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if b {
		*v++
	}
	return nil
}

// millis is a duration flag that also takes a bare number of
// milliseconds, as rpicam-apps' -t does ("-t 5000" or "-t 5s").
type millis time.Duration

func (m *millis) String() string { return time.Duration(*m).String() }
func (m *millis) Set(s string) error {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n < 0 {
			return errors.New("negative")
		}
		*m = millis(n * float64(time.Millisecond))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want milliseconds or a duration such as 10s, 1m30s")
	}
	if d < 0 {
		return errors.New("negative")
	}
	*m = millis(d)
	return nil
}

// bitrate is bits per second with an optional k or M suffix ("5M", "800k").
type bitrate int

func (b *bitrate) String() string { return strconv.Itoa(int(*b)) }
func (b *bitrate) Set(s string) error {
	mul := 1.0
	t := strings.TrimSuffix(strings.ToLower(s), "bps")
	switch {
	case strings.HasSuffix(t, "k"):
		mul, t = 1e3, t[:len(t)-1]
	case strings.HasSuffix(t, "m"):
		mul, t = 1e6, t[:len(t)-1]
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 || n*mul > 1e9 {
		return errors.New("want bits per second, such as 5000000, 5M or 800k")
	}
	*b = bitrate(n * mul)
	return nil
}

// parseFlags parses a subcommand's flags: errors are usage errors, -h
// prints the flags to stdout, and words left over are refused.
func parseFlags(fs *flag.FlagSet, args []string, out *console, synopsis string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		printFlags(fs, out, synopsis)
		return flag.ErrHelp
	}
	if err != nil {
		return usageErrorf("%v (picamgo %s -h lists the flags)", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q (picamgo %s -h lists the flags)", fs.Arg(0), fs.Name())
	}
	return nil
}

func printFlags(fs *flag.FlagSet, out *console, synopsis string) {
	fmt.Fprintf(out.stdout, "Usage: picamgo %s [flags]\n\n%s\n\nFlags (-name and --name are the same):\n", fs.Name(), synopsis)
	fs.SetOutput(out.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// isSet reports whether any of the named flags was given.
func isSet(fs *flag.FlagSet, names ...string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			set = set || f.Name == n
		}
	})
	return set
}
