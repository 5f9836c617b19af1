package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
)

// setupLog sets libcamera's log levels before its camera manager starts
// (libcamera reads LIBCAMERA_LOG_LEVELS once, when its logger is made):
// warnings by default, INFO with -v, DEBUG with -v -v. A level the user
// set in LIBCAMERA_LOG_LEVELS wins.
//
// Without any dma-buf provider (no /dev/dma_heap, no /dev/udmabuf: a PC
// with the virtual camera), libcamera's DmaBufAllocator logs "Could not
// open any dma-buf provider" as an ERROR at every start although picam
// then takes memfd buffers and everything works: nothing a user can act
// on, so that category is kept to FATAL there unless -v.
func setupLog(verbose verbosity, stderr *os.File) {
	// libcamera may colour its lines wherever they go (Raspberry Pi's 0.5.2
	// does): not into a file or a pipe.
	if _, set := os.LookupEnv("LIBCAMERA_LOG_NO_COLOR"); !set && !isTerminal(stderr) {
		os.Setenv("LIBCAMERA_LOG_NO_COLOR", "1")
	}
	if os.Getenv("LIBCAMERA_LOG_LEVELS") != "" {
		return
	}
	level := "WARN"
	switch {
	case verbose == 1:
		level = "INFO"
	case verbose > 1:
		level = "DEBUG"
	}
	levels := "*:" + level
	if verbose == 0 && !haveDmaBufProvider() {
		levels += ",DmaBufAllocator:FATAL"
	}
	os.Setenv("LIBCAMERA_LOG_LEVELS", levels)
}

// dmaBufProviders are the devices libcamera's DmaBufAllocator tries.
var dmaBufProviders = []string{"/dev/dma_heap/linux,cma", "/dev/dma_heap/reserved", "/dev/dma_heap/system", "/dev/udmabuf"}

func haveDmaBufProvider() bool {
	for _, p := range dmaBufProviders {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// picamLogger is picam's log: warnings (a leaked request, a stall), and
// with -v its INFO lines (every configuration adjustment).
func picamLogger(out *console) *slog.Logger {
	level := slog.LevelWarn
	if out.verbose > 0 {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(out.stderr, &slog.HandlerOptions{Level: level}))
}

// prepare is what every capturing command does first: libcamera's log
// levels, the camera --camera names, opened paced (openCamera) and
// configured with the configuration makeConfig returns for it (configure:
// sizes reported, --strict applied), or makeConfig's error (what the
// camera cannot do, found before it is configured). The caller closes the
// camera.
func prepare(c *common, out *console, jpegQuality int, makeConfig func(*picam.Camera) (picam.Configuration, error)) (*picam.Camera, error) {
	setupLog(c.verbose, out.stderr)
	info, err := selectCamera(c.camera)
	if err != nil {
		return nil, err
	}
	cam, err := openCamera(info, c, out, jpegQuality)
	if err != nil {
		return nil, err
	}
	cfg, err := makeConfig(cam)
	if err == nil {
		err = configure(cam, cfg, c, out)
	}
	if err != nil {
		cam.Close()
		return nil, err
	}
	return cam, nil
}

// videoConfiguration is Picamera2's video configuration with an NV12 main
// stream of --width x --height: what the encoders and the bench take.
func (c *common) videoConfiguration(cam *picam.Camera) (picam.Configuration, error) {
	cfg := cam.VideoConfiguration()
	cfg.Main = picam.StreamConfig{Size: c.size(), Format: picam.FormatNV12}
	return cfg, nil
}

// selectCamera finds the camera --camera names, by index or id; an unknown
// one is an error listing the cameras there are.
func selectCamera(which string) (picam.CameraInfo, error) {
	infos, err := picam.GlobalCameraInfo()
	if err != nil {
		return picam.CameraInfo{}, fmt.Errorf("listing cameras: %w", err)
	}
	if len(infos) == 0 {
		return picam.CameraInfo{}, cameraErrorf("no camera found (libcamera %s). Without camera hardware, "+
			"run picamgo where libcamera has its virtual camera: `make demo` in picamgo's repository", libcamera.Version())
	}
	if i, err := strconv.Atoi(which); err == nil && i >= 0 && i < len(infos) {
		return infos[i], nil
	}
	for _, c := range infos {
		if c.ID == which {
			return c, nil
		}
	}
	return picam.CameraInfo{}, cameraErrorf("no camera %q; the cameras are:\n%s", which, cameraList(infos))
}

func cameraList(infos []picam.CameraInfo) string {
	var b strings.Builder
	for _, c := range infos {
		fmt.Fprintf(&b, "  %d: %s (%s, %s)\n", c.Index, c.ID, c.Model, c.Location)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// openCamera opens the camera, paced to --framerate or else to the fastest
// rate its FrameDurationLimits allow. A real camera paces itself and never
// goes faster than that; libcamera's virtual camera does not pace at all,
// so without this its numbers (frames/s, a video's timing) would mean
// nothing on hardware.
func openCamera(info picam.CameraInfo, c *common, out *console, jpegQuality int) (*picam.Camera, error) {
	rate := c.framerate
	if rate == 0 && !c.unpaced {
		probe, err := picam.OpenWith(picam.Options{Index: info.Index, Logger: picamLogger(out)})
		if err != nil {
			return nil, fmt.Errorf("opening camera %s: %w", info.ID, err)
		}
		rate = fastestRate(probe.CameraControls())
		if err := probe.Close(); err != nil {
			return nil, err
		}
	}
	cam, err := picam.OpenWith(picam.Options{Index: info.Index, Logger: picamLogger(out), MaxFrameRate: rate, JPEGQuality: jpegQuality})
	if err != nil {
		return nil, fmt.Errorf("opening camera %s: %w", info.ID, err)
	}
	if rate > 0 {
		out.debugf("camera %s paced to at most %.2f frames/s", info.ID, rate)
	}
	return cam, nil
}

// fastestRate is 1/min(FrameDurationLimits), or 0 when the camera has no
// such control.
func fastestRate(infos *libcamera.ControlInfoMap) float64 {
	info, ok := infos.Find("FrameDurationLimits")
	if !ok {
		return 0
	}
	us, ok := firstNumber(info.Min)
	if !ok || us <= 0 {
		return 0
	}
	return 1e6 / us
}

// checkFrameRate refuses a --framerate beyond the camera's
// FrameDurationLimits, with the range in frames/s. picam's
// Controls.FrameRate puts a duration within a microsecond beyond a limit
// onto it (15 frames/s on a camera whose slowest is 66666 µs), so only
// rates further out are refused here; picam would refuse them too, in
// microseconds.
func checkFrameRate(cam *picam.Camera, rate float64) error {
	info, ok := cam.CameraControls().Find("FrameDurationLimits")
	if !ok {
		return nil
	}
	lo, okLo := firstNumber(info.Min)
	hi, okHi := firstNumber(info.Max)
	if us := 1e6 / rate; okLo && okHi && (us <= lo-1 || us >= hi+1) {
		return configErrorf("--framerate %g: camera %s takes %.2f to %.2f frames/s (FrameDurationLimits %g..%g µs)",
			rate, cam.ID(), 1e6/hi, 1e6/lo, lo, hi)
	}
	return nil
}

// firstNumber reads a control value, or an array's first element, as a
// number.
func firstNumber(v libcamera.ControlValue) (float64, bool) {
	switch x := v.Value().(type) {
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case float32:
		return float64(x), true
	case []int32:
		if len(x) > 0 {
			return float64(x[0]), true
		}
	case []int64:
		if len(x) > 0 {
			return float64(x[0]), true
		}
	case []float32:
		if len(x) > 0 {
			return float64(x[0]), true
		}
	}
	return 0, false
}

// configure applies cfg. A changed main (or lores) size is reported on one
// line, or refused with --strict; other adjustments (a pixel format or
// buffer count the camera forces) show with -v.
func configure(cam *picam.Camera, cfg picam.Configuration, c *common, out *console) error {
	if c.framerate > 0 {
		if err := checkFrameRate(cam, c.framerate); err != nil {
			return err
		}
		cfg.Controls.FrameDurationLimits = nil
		cfg.Controls.FrameRate = &c.framerate
	}
	adjusted, err := cam.Configure(cfg)
	if err != nil {
		if _, ok := errors.AsType[*picam.ControlError](err); ok {
			return &codeError{exitConfig, err}
		}
		return fmt.Errorf("configuring camera %s: %w", cam.ID(), err)
	}
	for _, a := range adjusted {
		if a.Field != "Size" {
			out.debugf("libcamera adjusted %s", a)
			continue
		}
		if c.strict {
			return configErrorf("camera %s cannot give %s %s: it would give %s (--strict; `picamgo list` shows its modes)",
				cam.ID(), a.Stream, a.Requested, a.Got)
		}
		out.infof("camera %s gives %s %s instead of %s (--strict refuses)", cam.ID(), a.Stream, a.Got, a.Requested)
	}
	return nil
}

// startCamera starts the camera and lets the frames of the buffers queued
// at start go by: libcamera's virtual camera completes them at once, a few
// microseconds apart, and a real camera's first frames are still finding
// their exposure.
func startCamera(ctx context.Context, cam *picam.Camera) error {
	if err := cam.Start(); err != nil {
		return fmt.Errorf("starting camera %s: %w", cam.ID(), err)
	}
	cfg, err := cam.Configuration()
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := cam.DropFrames(wctx, max(cfg.BufferCount, 1)); err != nil && ctx.Err() == nil {
		return fmt.Errorf("camera %s delivers no frames: %w", cam.ID(), err)
	}
	return nil
}
