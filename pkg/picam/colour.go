package picam

import (
	"fmt"
	"image"
	"image/draw"
	"math"

	ycbcr "github.com/picamgo/picamgo/internal/ycc"
	"github.com/picamgo/picamgo/libcamera"
)

// yccToRGB converts 8-bit Y'CbCr of one colour space to R'G'B' in 16.16
// fixed point:
//
//	R' = L + rCr·(Cr-128)
//	G' = L - gCb·(Cb-128) - gCr·(Cr-128)
//	B' = L + bCb·(Cb-128)
//
// with L = (Y'-y0)·ky + bias, each clamped to 0..255.
type yccToRGB struct {
	y0, ky, bias       int32
	rCr, gCb, gCr, bCb int32
}

// jfif is image/color's conversion (the JFIF specification's rounded
// coefficients, and its luma scale of 0x10101 in place of rounding), so that
// frames without a colour space or in sYCC convert exactly as
// color.YCbCrToRGB does.
var jfif = yccToRGB{ky: 0x10101, rCr: 91881, gCb: 22554, gCr: 46802, bCb: 116130}

// yccOf returns the conversion for colour space cs, JFIF for nil.
func yccOf(cs *ColorSpace) (yccToRGB, error) {
	if cs == nil {
		return jfif, nil
	}
	e, err := ycbcr.Of(*cs)
	if err != nil {
		return yccToRGB{}, fmt.Errorf("%w: %w", err, ErrUnsupported)
	}
	if e.Matrix == libcamera.YcbcrRec601 && e.Full() {
		return jfif, nil // sYCC is JFIF, whatever the primaries
	}
	fix := func(v float64) int32 { return int32(math.Round(v * 65536)) }
	ky, rCr, gCb, gCr, bCb := e.Coefficients()
	return yccToRGB{
		y0:   int32(e.Y0),
		ky:   fix(ky),
		bias: 1 << 15, // round to nearest
		rCr:  fix(rCr),
		gCb:  fix(gCb),
		gCr:  fix(gCr),
		bCb:  fix(bCb),
	}, nil
}

// isYCbCr reports whether [Frame.Image] views format as Y'CbCr samples.
func isYCbCr(format PixelFormat) bool {
	switch format {
	case FormatNV12, FormatNV21, FormatYUV420, FormatYVU420, FormatYUYV:
		return true
	}
	return false
}

// conversion returns how the frame's Y'CbCr becomes RGB: after its colour
// space for Y'CbCr formats, JFIF (unused) for others. MJPEG is left to
// image/jpeg, which reads the JFIF the JPEG data says it is.
func (f Frame) conversion() (yccToRGB, error) {
	if !isYCbCr(f.Format) {
		return jfif, nil
	}
	c, err := yccOf(f.ColorSpace)
	if err != nil {
		return yccToRGB{}, fmt.Errorf("picam: %v: %w", f, err)
	}
	return c, nil
}

// toRGBA is [ToRGBA] with the Y'CbCr views read by c.
func toRGBA(img image.Image, c *yccToRGB) *image.RGBA {
	viewLease(img).check("ToRGBA")
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	n, odd := b.Dx(), b.Min.X&1 == 1
	switch m := img.(type) {
	case *NV12:
		ci, cj := 0, 1
		if m.CrFirst {
			ci, cj = 1, 0
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			uv := (y/2)*m.UVStride + b.Min.X/2*2
			c.row(dst.Pix[(y-b.Min.Y)*dst.Stride:], m.Y[y*m.YStride+b.Min.X:], 1, m.UV[uv+ci:], m.UV[uv+cj:], 2, n, odd)
		}
	case *YUYV:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			i := y*m.Stride + b.Min.X/2*4
			c.row(dst.Pix[(y-b.Min.Y)*dst.Stride:], m.Pix[y*m.Stride+2*b.Min.X:], 2, m.Pix[i+1:], m.Pix[i+3:], 4, n, odd)
		}
	case *image.YCbCr:
		if *c == jfif || m.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			// image/draw converts as JFIF. Other ratios than 4:2:0 come
			// only from ToRGBA (Frame.Image gives none), which is JFIF.
			draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
			break
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			ci := m.COffset(b.Min.X, y)
			c.row(dst.Pix[(y-b.Min.Y)*dst.Stride:], m.Y[m.YOffset(b.Min.X, y):], 1, m.Cb[ci:], m.Cr[ci:], 1, n, odd)
		}
	case *RGB:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := dst.Pix[(y-b.Min.Y)*dst.Stride:]
			src := m.Pix[y*m.Stride:]
			for x := b.Min.X; x < b.Max.X; x++ {
				i, o := x*m.BytesPerPixel, (x-b.Min.X)*4
				row[o], row[o+1], row[o+2], row[o+3] = src[i+m.R], src[i+m.G], src[i+m.B], 255
			}
		}
	default:
		draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	}
	return dst
}

// row converts n pixels into dst (RGBA). Pixel i has luma y[ys·i]; pairs
// of pixels share the chroma cb[cs·j], cr[cs·j], the first pixel alone when
// odd (a row that starts at an odd x).
func (c *yccToRGB) row(dst, y []byte, ys int, cb, cr []byte, cs, n int, odd bool) {
	y0, ky, bias := c.y0, c.ky, c.bias
	rCr, gCb, gCr, bCb := c.rCr, c.gCb, c.gCr, c.bCb
	i, j := 0, 0
	for i < n {
		cb1, cr1 := int32(cb[j])-128, int32(cr[j])-128
		r, g, b := rCr*cr1, -gCb*cb1-gCr*cr1, bCb*cb1
		l := (int32(y[ys*i])-y0)*ky + bias
		d := dst[4*i : 4*i+4 : 4*i+4]
		d[0], d[1], d[2], d[3] = clamp16(l+r), clamp16(l+g), clamp16(l+b), 0xff
		if i++; !odd && i < n {
			l := (int32(y[ys*i])-y0)*ky + bias
			d := dst[4*i : 4*i+4 : 4*i+4]
			d[0], d[1], d[2], d[3] = clamp16(l+r), clamp16(l+g), clamp16(l+b), 0xff
			i++
		}
		odd = false
		j += cs
	}
}

// clamp16 returns v, in 16.16 fixed point, rounded down and clamped to
// 0..255.
func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31)) // 0 when negative, 255 when too large
}
