package picam

// What a camera's sensor offers, as Picamera2's sensor_modes.

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/picamgo/picamgo/libcamera"
)

// SensorModeInfo is one mode the camera offers: a format and a size of its
// raw stream, or, on a camera without one, of its processed stream.
type SensorModeInfo struct {
	Format PixelFormat
	Size   Size
	// BitDepth is the raw format's bits per sample; 0 for a processed format.
	BitDepth int
	// Raw says whether the mode is one of the sensor's raw formats (a
	// [SensorMode] for Configure) or, on a camera without a raw stream,
	// a format and size its main stream can produce.
	Raw bool
}

func (m SensorModeInfo) String() string {
	if m.Raw {
		return fmt.Sprintf("%v-%v %d-bit", m.Size, m.Format, m.BitDepth)
	}
	return fmt.Sprintf("%v-%v", m.Size, m.Format)
}

// SensorModes lists the modes the camera offers, as Picamera2's
// sensor_modes: the formats and sizes of its raw stream, with their bit
// depths, or, on a camera without a raw stream (libcamera's virtual
// camera, many USB cameras), the formats and sizes its main stream
// produces as they are (those libcamera would not adjust). The list is sorted by format, then size. Frame-rate limits and
// the crop depend on the mode applied: read [Camera.CameraControls]
// (FrameDurationLimits, ScalerCrop) after Configure.
func (c *Camera) SensorModes() ([]SensorModeInfo, error) {
	if c.isClosed() {
		return nil, c.errClosed("list the sensor modes of")
	}
	// A pipeline without a raw stream may fail the raw role or answer
	// with processed formats: either way, list the main stream's.
	lcfg, err := c.lc.GenerateConfiguration(libcamera.RoleRaw)
	raw := err == nil && hasRawFormat(lcfg.At(0).Formats())
	if !raw {
		if err == nil {
			lcfg.Free()
		}
		if lcfg, err = c.lc.GenerateConfiguration(libcamera.RoleViewfinder); err != nil {
			return nil, fmt.Errorf("picam: sensor modes of %s: %w", c.id, err)
		}
	}
	defer lcfg.Free()
	var modes []SensorModeInfo
	formats := lcfg.At(0).Formats()
	for _, f := range formats.PixelFormats() {
		l, err := (Frame{Format: f}).RawLayout()
		if raw && err != nil {
			continue // a processed format beside the raw ones
		}
		// The listed sizes, and the ends of the range, which a list of
		// standard sizes (as libcamera makes for a range) can miss.
		sizes := formats.Sizes(f)
		if r := formats.Range(f); !raw || len(sizes) == 0 {
			for _, end := range []Size{r.Min, r.Max} {
				if !end.IsNull() && !slices.Contains(sizes, end) {
					sizes = append(sizes, end)
				}
			}
		}
		for _, s := range sizes {
			if !raw && !c.produces(f, s) {
				continue
			}
			modes = append(modes, SensorModeInfo{Format: f, Size: s, BitDepth: l.BitDepth, Raw: raw})
		}
	}
	slices.SortFunc(modes, func(a, b SensorModeInfo) int {
		return cmp.Or(strings.Compare(a.Format.String(), b.Format.String()),
			cmp.Compare(a.Size.Width, b.Size.Width), cmp.Compare(a.Size.Height, b.Size.Height))
	})
	return modes, nil
}

// produces reports whether the main stream gives format f at size s as it
// is: libcamera lists standard sizes within a stream's range (the virtual
// camera's 320x240 ... 1920x1080) that validation then changes.
func (c *Camera) produces(f PixelFormat, s Size) bool {
	lcfg, err := c.lc.GenerateConfiguration(libcamera.RoleViewfinder)
	if err != nil {
		return false
	}
	defer lcfg.Free()
	sc := lcfg.At(0)
	sc.PixelFormat, sc.Size = f, s
	status, _, err := lcfg.Validate()
	return err == nil && status != libcamera.ConfigurationInvalid && sc.PixelFormat == f && sc.Size == s
}

func hasRawFormat(f *libcamera.StreamFormats) bool {
	return slices.ContainsFunc(f.PixelFormats(), func(p PixelFormat) bool {
		_, err := (Frame{Format: p}).RawLayout()
		return err == nil
	})
}
