package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
)

// DNG stills: `still -o a.dng` saves the raw stream alone, `still --raw
// -o a.jpg` (rpicam-still's -r) saves a.jpg and, from the same frame,
// a.dng, both through picam's writers (Camera.CaptureFile,
// CompletedRequest.Save) with the frame's EXIF.

// isDNG reports whether path names a DNG file.
func isDNG(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".dng")
}

// rawName is the DNG saved beside a still with --raw: its name up to the
// extension, then ".dng", as rpicam-still names it.
func rawName(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".dng"
}

// withRaw adds the raw stream a DNG needs to cfg, in a format picam's DNG
// writer takes, or refuses (exit 4) a camera without one: picam, as
// Picamera2, gives a raw stream only to sensors with a colour filter
// arrangement (libcamera's virtual and USB cameras have none). This runs
// before the camera is configured, so nothing is captured for nothing.
func withRaw(cam *picam.Camera, cfg *picam.Configuration) error {
	if cfg.Raw == nil {
		return configErrorf("camera %s has no raw stream, so no DNG (libcamera gives one for Bayer sensors only; `picamgo list` shows its modes)", cam.ID())
	}
	lcfg, err := cam.Libcamera().GenerateConfiguration(libcamera.RoleRaw)
	if err != nil {
		return configErrorf("camera %s gives no raw stream: %w", cam.ID(), err)
	}
	sc := lcfg.At(0)
	pf, ok := dngFormat(sc.PixelFormat, sc.Formats().PixelFormats())
	if !ok {
		return configErrorf("camera %s gives its raw stream only PiSP-compressed (%v), which picam's DNG writer cannot write", cam.ID(), sc.PixelFormat)
	}
	cfg.Raw.Format = pf
	return nil
}

// dngFormat picks the raw stream's format for a DNG: the camera's default
// unless it is compressed (a Raspberry Pi 5 gives PISP_COMP1 by default,
// which picam's DNG writer refuses), else the first uncompressed raw
// format the stream offers.
func dngFormat(def picam.PixelFormat, offered []picam.PixelFormat) (picam.PixelFormat, bool) {
	writable := func(pf picam.PixelFormat) bool {
		l, err := picam.Frame{Format: pf}.RawLayout()
		return err == nil && !l.Compressed
	}
	if writable(def) {
		return def, true
	}
	for _, pf := range offered {
		if writable(pf) {
			return pf, true
		}
	}
	return picam.PixelFormat{}, false
}

// saveStill saves the next frame to name (the raw stream if name is a
// DNG, else the main one) and, when raw is not empty, the raw stream of
// the same frame to raw as a DNG. It returns the frame's metadata.
func saveStill(ctx context.Context, cam *picam.Camera, name, raw string, opts ...picam.CaptureOption) (picam.Metadata, error) {
	if raw == "" {
		stream := picam.Main
		if isDNG(name) {
			stream = picam.Raw
		}
		md, err := cam.CaptureFile(ctx, name, stream, opts...)
		if err != nil {
			return md, fmt.Errorf("saving %s: %w", name, err)
		}
		return md, nil
	}
	r, err := cam.CaptureRequest(ctx, opts...)
	if err != nil {
		return picam.Metadata{}, fmt.Errorf("saving %s: %w", name, err)
	}
	defer r.Release()
	if err := r.Save(name, picam.Main, 0); err != nil {
		return picam.Metadata{}, fmt.Errorf("saving %s: %w", name, err)
	}
	if err := r.Save(raw, picam.Raw, 0); err != nil {
		return picam.Metadata{}, fmt.Errorf("saving %s: %w", raw, err)
	}
	return r.Metadata()
}

// streamLine describes what a still holds: "640x480", or for a DNG
// "raw 4056x3040 SBGGR12_CSI2P".
func streamLine(cam *picam.Camera, name string) string {
	if !isDNG(name) {
		main, _ := cam.StreamConfiguration(picam.Main)
		return main.Size.String()
	}
	raw, _ := cam.StreamConfiguration(picam.Raw)
	return fmt.Sprintf("raw %v %v", raw.Size, raw.Format)
}
