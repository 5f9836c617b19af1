package picam

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/picamgo/picamgo/internal/tiff"
)

// Exif is what picam writes in the EXIF block of the JPEG and DNG files it
// makes, as Picamera2's capture_file does. [CompletedRequest.Exif] fills it
// from the frame's metadata and the camera's properties; change it and pass
// it as [FileOptions.Exif] to write something else. A zero field is left
// out of the file.
type Exif struct {
	// Make is the camera's maker: "Raspberry Pi" for the Raspberry Pi's
	// own cameras, as Picamera2 writes; libcamera names no maker for
	// others.
	Make string
	// Model is the camera's Model property ("imx708_wide", ...).
	Model string
	// Software is the program that wrote the file: "picamgo".
	Software string
	// Orientation tells viewers how to turn the image for display, EXIF's
	// Orientation: Rotate0 when the camera gave the orientation the
	// configuration asked for; otherwise the turn the camera could not
	// make ([Adjustment] "Orientation").
	Orientation Orientation
	// Time is when the frame was taken, from its SensorTimestamp:
	// DateTimeOriginal with its sub-seconds and UTC offset.
	Time time.Time
	// ExposureTime and the gains are the frame's metadata. They are
	// written as ExposureTime and ISOSpeedRatings (100 × analogue gain ×
	// digital gain, the convention of Raspberry Pi's tools).
	ExposureTime time.Duration
	AnalogueGain float64
	DigitalGain  float64
}

// Exif returns the EXIF picam writes for the frame: the camera's model (and
// maker, for a Raspberry Pi camera), the time the frame was taken, its
// exposure time and gains where the camera reports them (libcamera's
// virtual camera reports only the time).
func (r *CompletedRequest) Exif() (Exif, error) {
	s, err := r.live("exif")
	if err != nil {
		return Exif{}, err
	}
	md, err := r.Metadata()
	if err != nil {
		return Exif{}, err
	}
	c := s.set.c
	e := Exif{Model: c.info.Model, Software: "picamgo", Orientation: s.set.exifOrientation()}
	if strings.HasPrefix(c.id, "/base/") { // a camera on the Raspberry Pi's own connector
		e.Make = "Raspberry Pi"
	}
	if ts, ok := md.SensorTimestamp(); ok && ts > 0 {
		e.Time = MonotonicTime(ts)
	}
	e.ExposureTime, _ = md.ExposureTime()
	e.AnalogueGain, _ = md.AnalogueGain()
	e.DigitalGain, _ = md.DigitalGain()
	return e, nil
}

// EXIF and TIFF tags picam writes.
const (
	tagMake             = 0x010f
	tagModel            = 0x0110
	tagOrientation      = 0x0112
	tagSoftware         = 0x0131
	tagDateTime         = 0x0132
	tagExifIFD          = 0x8769
	tagExposureTime     = 0x829a
	tagISO              = 0x8827
	tagExifVersion      = 0x9000
	tagDateTimeOriginal = 0x9003
	tagOffsetTimeOrig   = 0x9011
	tagSubSecTimeOrig   = 0x9291
)

// ISO returns the ISO speed picam writes for the gains (0 without an
// analogue gain).
func (e Exif) ISO() int {
	if !(e.AnalogueGain > 0) {
		return 0
	}
	g := e.AnalogueGain
	if e.DigitalGain > 0 {
		g *= e.DigitalGain
	}
	return int(min(math.Round(100*g), math.MaxUint16))
}

// fill adds e's fields to a TIFF directory (IFD0), the EXIF ones in a
// sub-directory.
func (e Exif) fill(d *tiff.IFD) {
	for _, f := range []struct {
		tag uint16
		s   string
	}{{tagMake, e.Make}, {tagModel, e.Model}, {tagSoftware, e.Software}} {
		if f.s = strings.ToValidUTF8(f.s, "?"); f.s != "" {
			d.ASCII(f.tag, f.s)
		}
	}
	if e.Orientation != 0 {
		d.Short(tagOrientation, uint16(e.Orientation))
	}
	var x tiff.IFD
	x.Bytes(tagExifVersion, tiff.Undefined, []byte("0232"))
	if !e.Time.IsZero() {
		stamp := e.Time.Format("2006:01:02 15:04:05")
		d.ASCII(tagDateTime, stamp)
		x.ASCII(tagDateTimeOriginal, stamp)
		x.ASCII(tagSubSecTimeOrig, fmt.Sprintf("%03d", e.Time.Nanosecond()/1e6))
		x.ASCII(tagOffsetTimeOrig, e.Time.Format("-07:00"))
	}
	if e.ExposureTime > 0 {
		us := uint64(e.ExposureTime.Microseconds())
		num, den := us, uint64(1e6)
		if g := gcd(num, den); g > 1 {
			num, den = num/g, den/g
		}
		for num > math.MaxUint32 { // beyond 71 minutes: lose precision, not range
			num, den = num/2, max(den/2, 1)
		}
		x.Rational(tagExposureTime, [2]uint32{uint32(num), uint32(den)})
	}
	if iso := e.ISO(); iso > 0 {
		x.Short(tagISO, uint16(iso))
	}
	d.Sub(tagExifIFD, &x)
}

// exifOrientation is the turn a viewer must make to show the frames of
// this configuration as it asked for them (EXIF's Orientation): the
// orientation libcamera applied relative to the one asked for.
func (set *streamSet) exifOrientation() Orientation {
	return set.asked.Inverse().Then(set.applied)
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// app1 returns e as a JPEG APP1 segment: marker, length, "Exif\0\0" and
// a TIFF structure.
func (e Exif) app1() ([]byte, error) {
	var d tiff.IFD
	e.fill(&d)
	body := d.Encode()
	n := 2 + 6 + len(body)
	if n > math.MaxUint16 {
		return nil, fmt.Errorf("picam: EXIF block of %d bytes is larger than a JPEG segment: %w", n, ErrInvalid)
	}
	seg := make([]byte, 0, 2+n)
	seg = append(seg, 0xff, 0xe1, byte(n>>8), byte(n))
	seg = append(seg, "Exif\x00\x00"...)
	return append(seg, body...), nil
}

// exifWriter puts an EXIF segment right after the start-of-image marker of
// the JPEG stream written through it.
type exifWriter struct {
	w    io.Writer
	seg  []byte
	head []byte // the first two bytes, until they are seen
	done bool
}

func (x *exifWriter) Write(p []byte) (int, error) {
	if x.done {
		return x.w.Write(p)
	}
	n := 0
	for len(x.head) < 2 && n < len(p) {
		x.head = append(x.head, p[n])
		n++
	}
	if len(x.head) < 2 {
		return n, nil
	}
	if x.head[0] != 0xff || x.head[1] != 0xd8 {
		return n, fmt.Errorf("picam: JPEG stream starts with % x, not a start-of-image marker: %w", x.head, ErrInvalid)
	}
	x.done = true
	if _, err := x.w.Write(append(x.head, x.seg...)); err != nil {
		return n, err
	}
	m, err := x.w.Write(p[n:])
	return n + m, err
}
