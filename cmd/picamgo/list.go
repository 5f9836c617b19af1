package main

import (
	"cmp"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
)

const listSynopsis = `Lists the cameras libcamera finds, as rpicam-hello --list-cameras does:
index, id, model, location, rotation, modes (the raw sensor modes, or for a
camera without a raw stream the sizes it takes as they are), and every
control with its limits and default.`

func runList(args []string, out *console) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	camera := fs.String("camera", "", "only this camera (index or id)")
	noControls := fs.Bool("no-controls", false, "leave out the controls")
	registerLog(fs, &out.verbose, &out.quiet)
	if err := parseFlags(fs, args, out, listSynopsis); err != nil {
		return err
	}
	setupLog(out.verbose, out.stderr)
	infos, err := picam.GlobalCameraInfo()
	if err != nil {
		return fmt.Errorf("listing cameras: %w", err)
	}
	if *camera != "" {
		info, err := selectCamera(*camera)
		if err != nil {
			return err
		}
		infos = []picam.CameraInfo{info}
	}
	if len(infos) == 0 {
		fmt.Fprintf(out.stdout, "No cameras (libcamera %s).\n", libcamera.Version())
		return cameraErrorf("no camera found. Without camera hardware, run picamgo where libcamera has its " +
			"virtual camera: `make demo` in picamgo's repository")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Available cameras (libcamera %s)\n", libcamera.Version())
	for _, info := range infos {
		if err := describe(&b, info, !*noControls, out); err != nil {
			return err
		}
	}
	_, err = fmt.Fprint(out.stdout, b.String())
	return err
}

// describe writes one camera's entry.
func describe(b *strings.Builder, info picam.CameraInfo, controls bool, out *console) error {
	cam, err := picam.OpenWith(picam.Options{Index: info.Index, Logger: picamLogger(out)})
	if err != nil {
		return fmt.Errorf("opening camera %s: %w", info.ID, err)
	}
	defer cam.Close()
	fmt.Fprintf(b, "\n%d : %s [%v] (%s)\n", info.Index, info.Model, cam.SensorResolution(), info.ID)
	fmt.Fprintf(b, "    Location: %s, rotation %d°\n", info.Location, info.Rotation)
	// Bayer sensors have a raw stream (Picamera2's test too); asking others
	// for one makes libcamera log an error.
	kind, modes := modes(cam.Libcamera(), cam.Properties().Contains("ColorFilterArrangement"))
	fmt.Fprintf(b, "    %s:\n", kind)
	for _, m := range modes {
		fmt.Fprintf(b, "        %s\n", m)
	}
	if rate := fastestRate(cam.CameraControls()); rate > 0 {
		fmt.Fprintf(b, "    Fastest frame rate: %.2f frames/s (FrameDurationLimits)\n", rate)
	}
	if !controls {
		return nil
	}
	infos := slices.SortedFunc(cam.CameraControls().All(), func(a, b *libcamera.ControlInfo) int {
		return cmp.Compare(a.ID.Name, b.ID.Name)
	})
	fmt.Fprintf(b, "    Controls:\n")
	for _, ci := range infos {
		fmt.Fprintf(b, "        %s\n", controlLine(ci))
	}
	return nil
}

func controlLine(ci *libcamera.ControlInfo) string {
	s := fmt.Sprintf("%s: %v..%v", ci.ID.Name, ci.Min, ci.Max)
	if !ci.Default.IsNone() {
		s += fmt.Sprintf(" (default %v)", ci.Default)
	}
	if len(ci.Values) > 0 {
		vals := make([]string, len(ci.Values))
		for i, v := range ci.Values {
			vals[i] = v.String()
		}
		s += " values " + strings.Join(vals, ", ")
	}
	return s
}

// modes lists the raw stream's formats and sizes (the sensor modes), or,
// for a camera without a raw stream, the video stream's. Each size is
// checked with libcamera: listed only if the camera takes it unchanged
// (libcamera's virtual camera advertises every standard size in its range
// but takes only those of its configuration file).
func modes(lc *libcamera.Camera, raw bool) (string, []string) {
	kind, role := "Modes", libcamera.RoleRaw
	var cfg *libcamera.CameraConfiguration
	var err error
	if raw {
		cfg, err = lc.GenerateConfiguration(role)
	}
	if !raw || err != nil {
		kind, role = "Sizes", libcamera.RoleVideoRecording
		if cfg, err = lc.GenerateConfiguration(role); err != nil {
			return kind, []string{"(none: " + err.Error() + ")"}
		}
	}
	formats := cfg.At(0).Formats()
	var lines []string
	for _, pf := range formats.PixelFormats() {
		// The range's ends too: the listed sizes are standard ones within
		// the range, which need not include its smallest.
		r := formats.Range(pf)
		sizes := slices.Concat([]picam.Size{r.Min}, formats.Sizes(pf), []picam.Size{r.Max})
		slices.SortFunc(sizes, func(a, b picam.Size) int {
			return cmp.Or(cmp.Compare(a.Width, b.Width), cmp.Compare(a.Height, b.Height))
		})
		var taken []string
		for _, s := range sizes {
			if takes(lc, role, pf, s) && !slices.Contains(taken, s.String()) {
				taken = append(taken, s.String())
			}
		}
		if len(taken) > 0 {
			lines = append(lines, fmt.Sprintf("'%s' : %s", pf, strings.Join(taken, ", ")))
		}
	}
	return kind, lines
}

// takes reports whether the camera configures format pf at size s for role
// without changing either.
func takes(lc *libcamera.Camera, role libcamera.StreamRole, pf libcamera.PixelFormat, s picam.Size) bool {
	cfg, err := lc.GenerateConfiguration(role)
	if err != nil {
		return false
	}
	sc := cfg.At(0)
	sc.PixelFormat, sc.Size = pf, s
	status, _, err := cfg.Validate()
	return err == nil && status != libcamera.ConfigurationInvalid && sc.PixelFormat == pf && sc.Size == s
}
