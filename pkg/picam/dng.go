package picam

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/picamgo/picamgo/internal/tiff"
)

// DNG tags picam writes, beyond the baseline TIFF ones.
const (
	tagNewSubFileType     = 254
	tagImageWidth         = 256
	tagImageLength        = 257
	tagBitsPerSample      = 258
	tagCompression        = 259
	tagPhotometric        = 262
	tagStripOffsets       = 273
	tagSamplesPerPixel    = 277
	tagRowsPerStrip       = 278
	tagStripByteCounts    = 279
	tagPlanarConfig       = 284
	tagCFARepeatDim       = 33421
	tagCFAPattern         = 33422
	tagDNGVersion         = 50706
	tagDNGBackwardVersion = 50707
	tagUniqueCameraModel  = 50708
	tagCFAPlaneColor      = 50710
	tagCFALayout          = 50711
	tagBlackLevelRepeat   = 50713
	tagBlackLevel         = 50714
	tagWhiteLevel         = 50717
	tagColorMatrix1       = 50721
	tagAsShotNeutral      = 50728
	tagCalibIlluminant1   = 50778

	photometricCFA       = 32803
	photometricLinearRaw = 34892
	illuminantD65        = 21
)

// srgbToXYZ is linear sRGB (Rec. 709 primaries) to CIE XYZ, D65 white.
var srgbToXYZ = [9]float64{
	0.4124564, 0.3575761, 0.1804375,
	0.2126729, 0.7151522, 0.0721750,
	0.0193339, 0.1191920, 0.9503041,
}

// encodeDNG writes a raw frame as a DNG (Picamera2's save_dng): one strip
// of 16-bit samples, the Bayer pattern, and from the metadata (when the
// camera reports them) the black levels, the white balance as
// AsShotNeutral and, from the colour correction matrix, ColorMatrix1.
func (f Frame) encodeDNG(w io.Writer, md Metadata, exif *Exif) error {
	l, err := f.RawLayout()
	if err != nil {
		return fmt.Errorf("picam: DNG of %v: %w", f, err)
	}
	if l.Compressed {
		return fmt.Errorf("picam: DNG of %v: compressed raw: %w", f, ErrUnsupported)
	}
	samples, err := unpackRaw(f, l)
	if err != nil {
		return err
	}
	wd, ht := uint32(f.Size.Width), uint32(f.Size.Height)
	var d tiff.IFD
	d.Long(tagNewSubFileType, 0)
	d.Long(tagImageWidth, wd)
	d.Long(tagImageLength, ht)
	d.Short(tagBitsPerSample, 16)
	d.Short(tagCompression, 1)
	d.Short(tagSamplesPerPixel, 1)
	d.Long(tagRowsPerStrip, ht)
	d.Data(tagStripOffsets, samples)
	d.Long(tagStripByteCounts, uint32(len(samples)))
	d.Short(tagPlanarConfig, 1)
	d.Bytes(tagDNGVersion, tiff.Byte, []byte{1, 4, 0, 0})
	d.Bytes(tagDNGBackwardVersion, tiff.Byte, []byte{1, 1, 0, 0})
	e := Exif{Orientation: Rotate0}
	if exif != nil {
		e = *exif
		if e.Orientation == 0 {
			e.Orientation = Rotate0 // DNG readers want one
		}
	}
	e.fill(&d)
	model := e.Model
	if model == "" {
		model = "picamgo raw " + l.Format
	}
	d.ASCII(tagUniqueCameraModel, model)
	white := uint32(1)<<l.BitDepth - 1
	d.Long(tagWhiteLevel, white)
	black := blackLevels(md, l)
	if l.BayerOrder == "" {
		d.Short(tagPhotometric, photometricLinearRaw)
		d.Long(tagBlackLevel, black[0])
		return write(w, d.Encode())
	}
	d.Short(tagPhotometric, photometricCFA)
	d.Short(tagCFARepeatDim, 2, 2)
	pattern := make([]byte, 4)
	for i, c := range l.BayerOrder {
		pattern[i] = map[rune]byte{'R': 0, 'G': 1, 'B': 2}[c]
	}
	d.Bytes(tagCFAPattern, tiff.Byte, pattern)
	d.Bytes(tagCFAPlaneColor, tiff.Byte, []byte{0, 1, 2})
	d.Short(tagCFALayout, 1)
	d.Short(tagBlackLevelRepeat, 2, 2)
	d.Long(tagBlackLevel, black[:]...)
	gains := [2]float64{1, 1}
	if g, ok := md.ColourGains(); ok && g[0] > 0 && g[1] > 0 {
		gains = g
	}
	d.Rational(tagAsShotNeutral, tiff.Fraction(1/gains[0], 1e6), [2]uint32{1, 1}, tiff.Fraction(1/gains[1], 1e6))
	// The camera's CCM turns white-balanced camera RGB into linear sRGB;
	// DNG's ColorMatrix1 turns XYZ into camera RGB before white balance:
	// (sRGB→XYZ · CCM · gains)⁻¹. Without a CCM the camera is taken as
	// sRGB.
	ccm := [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1}
	if v, ok := md.value("ColourCorrectionMatrix"); ok && v.Len() == 9 {
		if m, ok := v.Value().([]float32); ok {
			for i := range ccm {
				ccm[i] = float64(m[i])
			}
		}
	}
	camToXYZ := mul3(mul3(srgbToXYZ, ccm), [9]float64{gains[0], 0, 0, 0, 1, 0, 0, 0, gains[1]})
	xyzToCam, ok := inv3(camToXYZ)
	if !ok {
		return fmt.Errorf("picam: DNG of %v: the colour correction matrix %v cannot be inverted: %w", f, ccm, ErrInvalid)
	}
	cm := make([][2]int32, 9)
	for i, x := range xyzToCam {
		cm[i] = tiff.SFraction(x, 10000)
	}
	d.SRational(tagColorMatrix1, cm...)
	d.Short(tagCalibIlluminant1, illuminantD65)
	return write(w, d.Encode())
}

func write(w io.Writer, b []byte) error {
	_, err := w.Write(b)
	return err
}

// blackLevels returns the black level of each position of the 2×2 pattern
// (row by row) at the frame's bit depth, from SensorBlackLevels (16-bit
// values in the order R, Gr, Gb, B), or zeros.
func blackLevels(md Metadata, l RawLayout) [4]uint32 {
	var out [4]uint32
	v, ok := md.value("SensorBlackLevels")
	if !ok || v.Len() != 4 {
		return out
	}
	lv, ok := v.Value().([]int32)
	if !ok {
		return out
	}
	shift := 16 - l.BitDepth
	level := func(i int) uint32 { return uint32(max(lv[i], 0)) >> shift }
	if l.BayerOrder == "" {
		out[0] = level(0)
		return out
	}
	for i, c := range l.BayerOrder {
		switch c {
		case 'R':
			out[i] = level(0)
		case 'B':
			out[i] = level(3)
		case 'G': // Gr sits on the row with red, Gb on the row with blue
			row := l.BayerOrder[i/2*2 : i/2*2+2]
			if row[0] == 'R' || row[1] == 'R' {
				out[i] = level(1)
			} else {
				out[i] = level(2)
			}
		}
	}
	return out
}

// unpackRaw returns the frame's samples as 16-bit little-endian values,
// row after row without padding, from 8-bit, 16-bit little-endian (10, 12,
// 14 and 16 bits) or MIPI CSI-2 packed (10, 12 and 14 bits) lines.
func unpackRaw(f Frame, l RawLayout) ([]byte, error) {
	w, h := int(f.Size.Width), int(f.Size.Height)
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("picam: DNG of %v: empty frame: %w", f, ErrInvalid)
	}
	line, ok := l.lineBytes()
	if !ok || l.Compressed {
		return nil, fmt.Errorf("picam: DNG of %v: %v: %w", f, l, ErrUnsupported)
	}
	if f.Stride < line {
		return nil, fmt.Errorf("picam: DNG of %v: stride %d is less than a line's %d bytes: %w", f, f.Stride, line, ErrInvalid)
	}
	if len(f.Planes) == 0 || len(f.Planes[0]) < f.Stride*(h-1)+line {
		return nil, fmt.Errorf("picam: DNG of %v: too few bytes for %d lines: %w", f, h, ErrInvalid)
	}
	src := f.Planes[0]
	out := make([]byte, 2*w*h)
	put := func(i int, v uint16) { binary.LittleEndian.PutUint16(out[2*i:], v) }
	for y := range h {
		row, o := src[y*f.Stride:y*f.Stride+line], y*w
		switch {
		case l.BitDepth == 8:
			for x := range w {
				put(o+x, uint16(row[x]))
			}
		case !l.Packed:
			for x := range w {
				put(o+x, binary.LittleEndian.Uint16(row[2*x:]))
			}
		case l.BitDepth == 10: // 4 pixels: 4 high bytes, then 2 low bits each
			for x := range w {
				g := row[x/4*5:]
				put(o+x, uint16(g[x%4])<<2|uint16(g[4]>>(2*(x%4))&3))
			}
		case l.BitDepth == 12: // 2 pixels: 2 high bytes, then 4 low bits each
			for x := range w {
				g := row[x/2*3:]
				put(o+x, uint16(g[x%2])<<4|uint16(g[2]>>(4*(x%2))&15))
			}
		case l.BitDepth == 14: // 4 pixels: 4 high bytes, then 3 bytes of 6 low bits each
			for x := range w {
				g := row[x/4*7:]
				low := uint32(g[4]) | uint32(g[5])<<8 | uint32(g[6])<<16
				put(o+x, uint16(g[x%4])<<6|uint16(low>>(6*(x%4))&63))
			}
		}
	}
	return out, nil
}

// lineBytes returns the bytes of a line of the layout's pixels without
// padding: 1 or 2 bytes a sample, or MIPI CSI-2 groups of 4 pixels (10 and
// 14 bits) or 2 (12 bits). False for depths picam cannot read.
func (l RawLayout) lineBytes() (int, bool) {
	w := int(l.Size.Width)
	switch {
	case l.BitDepth == 8:
		return w, true
	case !l.Packed && l.BitDepth > 8 && l.BitDepth <= 16:
		return 2 * w, true
	case l.Packed && (l.BitDepth == 10 || l.BitDepth == 14):
		return (w + 3) / 4 * l.BitDepth / 2, true
	case l.Packed && l.BitDepth == 12:
		return (w + 1) / 2 * 3, true
	}
	return 0, false
}

// mul3 multiplies 3×3 matrices stored row by row.
func mul3(a, b [9]float64) [9]float64 {
	var m [9]float64
	for r := range 3 {
		for c := range 3 {
			for k := range 3 {
				m[3*r+c] += a[3*r+k] * b[3*k+c]
			}
		}
	}
	return m
}

// inv3 inverts a 3×3 matrix, or reports that it is singular.
func inv3(m [9]float64) ([9]float64, bool) {
	a, b, c, d, e, f, g, h, i := m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
	det := a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	if det == 0 || det != det {
		return [9]float64{}, false
	}
	return [9]float64{
		(e*i - f*h) / det, (c*h - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*h - e*g) / det, (b*g - a*h) / det, (a*e - b*d) / det,
	}, true
}
