package picam

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/tiff"
)

// exifOf returns the EXIF directories of a JPEG file: IFD0 and the EXIF
// sub-directory, read with picam's TIFF reader.
func exifOf(t *testing.T, b []byte) (ifd0, sub tiff.Dir) {
	t.Helper()
	if len(b) < 12 || b[0] != 0xff || b[1] != 0xd8 || b[2] != 0xff || b[3] != 0xe1 {
		t.Fatalf("JPEG does not start with SOI, APP1: % x", b[:min(len(b), 12)])
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	seg := b[6 : 4+n]
	if !bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
		t.Fatalf("APP1 is not EXIF: %q", seg[:min(len(seg), 6)])
	}
	body := seg[6:]
	ifd0, err := tiff.Read(body)
	if err != nil {
		t.Fatal(err)
	}
	ptr, ok := ifd0[tagExifIFD]
	if !ok {
		t.Fatal("no EXIF sub-directory")
	}
	sub, err = tiff.ReadDir(body, binary.LittleEndian, ptr.Uints()[0])
	if err != nil {
		t.Fatal(err)
	}
	return ifd0, sub
}

// TestJPEGCarriesExif captures a frame of the virtual camera, gives its
// metadata the exposure values a real sensor reports (the virtual camera
// reports only SensorTimestamp) and checks the EXIF of the JPEG that
// CompletedRequest.Save writes, with picam's own reader and with exiftool.
func TestJPEGCarriesExif(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 640, Height: 480}, startOpts{})
	r := capture(t, c)
	defer r.Release()
	md, err := r.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"ExposureTime": 12345, "AnalogueGain": 2.5, "DigitalGain": 1.2} {
		if err := md.List().Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	ts, ok := md.SensorTimestamp()
	if !ok || ts == 0 {
		t.Fatal("no SensorTimestamp")
	}
	taken := MonotonicTime(ts)

	path := filepath.Join(t.TempDir(), "frame.jpg")
	if err := r.Save(path, Main, 0); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the JPEG with EXIF does not decode: %v", err)
	}
	if img.Bounds().Dx() != 640 || img.Bounds().Dy() != 480 {
		t.Errorf("decoded %v", img.Bounds())
	}
	ifd0, sub := exifOf(t, b)
	if got := ifd0[tagModel].String(); got != "picamgo virtual bars" {
		t.Errorf("Model %q", got)
	}
	if _, ok := ifd0[tagMake]; ok {
		t.Errorf("Make %q for a camera whose maker libcamera does not name", ifd0[tagMake].String())
	}
	if got := ifd0[tagOrientation].Uints(); len(got) != 1 || got[0] != 1 {
		t.Errorf("Orientation %v, want [1]", got)
	}
	if got := sub[tagExposureTime].Floats(); len(got) != 1 || got[0] != 0.012345 {
		t.Errorf("ExposureTime %v, want 0.012345", got)
	}
	if got := sub[tagISO].Uints(); len(got) != 1 || got[0] != 300 {
		t.Errorf("ISO %v, want 300 (100 × 2.5 × 1.2)", got)
	}
	when, err := time.ParseInLocation("2006:01:02 15:04:05", sub[tagDateTimeOriginal].String(), time.Local)
	if err != nil {
		t.Fatal(err)
	}
	if d := when.Sub(taken.Truncate(time.Second)); d < -time.Second || d > time.Second {
		t.Errorf("DateTimeOriginal %v, the frame was taken at %v", when, taken)
	}

	// The same through an io.Writer, with options: the caller's EXIF.
	var buf bytes.Buffer
	mine := Exif{Make: "Raspberry Pi", Model: "imx708", Orientation: Rotate180}
	if err := r.Encode(&buf, Main, FileOptions{Format: "jpeg", Quality: 50, Exif: &mine}); err != nil {
		t.Fatal(err)
	}
	ifd0, _ = exifOf(t, buf.Bytes())
	if got := fmt.Sprint(ifd0[tagMake].String(), "/", ifd0[tagModel].String(), "/", ifd0[tagOrientation].Uints()); got != "Raspberry Pi/imx708/[3]" {
		t.Errorf("caller's EXIF read back as %s", got)
	}
	buf.Reset()
	if err := r.Encode(&buf, Main, FileOptions{Format: "jpeg", NoExif: true}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes()[:64], []byte("Exif\x00")) {
		t.Error("NoExif wrote an EXIF block")
	}

	if tags := exiftoolJSON(t, path); tags != nil {
		for k, want := range map[string]any{
			"EXIF:Model": "picamgo virtual bars", "EXIF:Software": "picamgo", "EXIF:Orientation": 1,
			"EXIF:ExposureTime": 0.012345, "EXIF:ISO": 300, "EXIF:ExifVersion": "0232",
			"File:ImageWidth": 640, "File:ImageHeight": 480,
		} {
			if got := tags[k]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("exiftool %s = %v, want %v", k, got, want)
			}
		}
		// The time to the millisecond; one millisecond of slack for a
		// wall clock that NTP moved between the two conversions.
		stamp := fmt.Sprint(tags["EXIF:DateTimeOriginal"], ".", tags["EXIF:SubSecTimeOriginal"])
		when, err := time.ParseInLocation("2006:01:02 15:04:05.000", stamp, time.Local)
		if err != nil {
			t.Fatalf("exiftool's DateTimeOriginal.SubSecTimeOriginal %q: %v", stamp, err)
		}
		if d := when.Sub(taken.Round(0).Truncate(time.Millisecond)); d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("exiftool's time %s is %v off the frame's %v", stamp, d, taken)
		}
	}
}

// TestDNGCarriesCameraMetadata writes a made-up raw frame with a frame's
// metadata given what a Raspberry Pi camera reports (black levels, white
// balance gains, colour correction matrix) and checks the DNG's colour
// tags: the values themselves, and that ColorMatrix1 undoes the camera's
// path from raw RGB to XYZ.
func TestDNGCarriesCameraMetadata(t *testing.T) {
	c, _ := startCamera(t, barsID, Size{Width: 64, Height: 48}, startOpts{})
	r := capture(t, c)
	defer r.Release()
	md, err := r.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	ccm := []float32{1.8, -0.6, -0.2, -0.3, 1.6, -0.3, 0.05, -0.55, 1.5}
	for name, v := range map[string]any{
		"SensorBlackLevels": []int32{4096, 4096, 4096, 4096}, "ColourGains": []float32{2, 1.5},
		"ColourCorrectionMatrix": ccm, "ExposureTime": 20000, "AnalogueGain": 4.0,
	} {
		if err := md.List().Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := rawFrame(t, "SGRBG12_CSI2P", 16, 8)
	e, err := r.Exif()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.encode(&buf, FileOptions{Format: "dng", Exif: &e}, md); err != nil {
		t.Fatal(err)
	}
	d, err := tiff.Read(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(d[tagBlackLevel].Uints()); got != "[256 256 256 256]" {
		t.Errorf("BlackLevel %s, want 4096 at 16 bits = 256 at 12", got)
	}
	n := d[tagAsShotNeutral].Floats()
	if math.Abs(n[0]-0.5) > 1e-6 || n[1] != 1 || math.Abs(n[2]-1/1.5) > 1e-6 {
		t.Errorf("AsShotNeutral %v, want 1/gains", n)
	}
	var cm, ccm64 [9]float64
	for i, x := range d[tagColorMatrix1].Floats() {
		cm[i] = x
	}
	for i, x := range ccm {
		ccm64[i] = float64(x)
	}
	// ColorMatrix1 · sRGB→XYZ · CCM · gains must be the identity.
	id := mul3(cm, mul3(mul3(srgbToXYZ, ccm64), [9]float64{2, 0, 0, 0, 1, 0, 0, 0, 1.5}))
	for i, x := range id {
		want := 0.0
		if i%4 == 0 {
			want = 1
		}
		if math.Abs(x-want) > 1e-3 {
			t.Errorf("ColorMatrix1 · camera→XYZ = %v, not the identity", id)
			break
		}
	}
	path := filepath.Join(t.TempDir(), "frame.dng")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if tags := exiftoolJSON(t, path); tags != nil {
		for k, want := range map[string]any{
			"EXIF:Model": "picamgo virtual bars", "EXIF:BlackLevel": "256 256 256 256",
			"EXIF:CFAPattern2": "1 0 2 1", "EXIF:ExposureTime": 0.02, "EXIF:ISO": 400,
			"EXIF:CalibrationIlluminant1": 21,
		} {
			if got := tags[k]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("exiftool %s = %v, want %v", k, got, want)
			}
		}
	}
}

// TestExifOrientation asks the virtual camera for each orientation: the
// file's EXIF Orientation is the turn a viewer must still make, Rotate0
// (1) when libcamera applied what was asked, and the difference when it
// applied something else. The virtual camera takes every orientation
// (it only labels its frames), so the adjusted case is checked on a
// streamSet directly. CaptureFile writes the EXIF too.
func TestExifOrientation(t *testing.T) {
	c, _ := openCamera(t, barsID)
	for o := Rotate0; o <= Rotate90; o++ {
		if c.Started() {
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
		}
		cfg := nv12Config(c, Size{Width: 64, Height: 48})
		cfg.Strict = false
		cfg.Orientation = o
		if _, err := c.Configure(cfg); err != nil {
			t.Fatal(err)
		}
		got, err := c.Configuration()
		if err != nil {
			t.Fatal(err)
		}
		want := Rotate0
		if got.Orientation != o {
			want = o.Inverse().Then(got.Orientation)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "turned.jpg")
		if _, err := c.CaptureFile(ctxT(t), path, Main); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ifd0, _ := exifOf(t, b)
		if v := ifd0[tagOrientation].Uints(); len(v) != 1 || v[0] != uint32(want) {
			t.Errorf("asked %v, applied %v: Orientation %v, want %d", o, got.Orientation, v, want)
		}
		if tags := exiftoolJSON(t, path); tags != nil && fmt.Sprint(tags["EXIF:Orientation"]) != fmt.Sprint(int(want)) {
			t.Errorf("asked %v, applied %v: exiftool reads Orientation %v, want %d", o, got.Orientation, tags["EXIF:Orientation"], want)
		}
	}
	// A camera asked for a half turn that could make only a mirror: the
	// viewer must still flip vertically (Rotate180Mirror).
	for _, c := range []struct{ asked, applied, want Orientation }{
		{Rotate180, Rotate0, Rotate180}, {Rotate180, Rotate0Mirror, Rotate180Mirror},
		{Rotate90, Rotate0, Rotate270}, {0, Rotate0, Rotate0}, {Rotate270, Rotate270, Rotate0},
	} {
		set := &streamSet{asked: c.asked, applied: c.applied}
		if got := set.exifOrientation(); got != c.want {
			t.Errorf("asked %v, applied %v: EXIF %v, want %v", c.asked, c.applied, got, c.want)
		}
	}
}
