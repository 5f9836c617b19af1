// Package ycc says how a libcamera colour space encodes R'G'B' as 8-bit
// Y'CbCr, for the conversions of picam and picamcv: one definition of the
// matrices, the ranges and the inference libcamera makes for a Y'CbCr
// stream labelled without an encoding.
package ycc

import (
	"errors"
	"fmt"

	"github.com/picamgo/picamgo/libcamera"
)

// ErrUndefined: the colour space has values libcamera does not define.
var ErrUndefined = errors.New("colour space has values libcamera does not define")

// Encoding is an 8-bit Y'CbCr encoding: Y' = Y0 + YScale·E'Y and
// Cb, Cr = 128 + CScale·E'Pb, E'Pr, with E'Y = Kr·R' + (1-Kr-Kb)·G' + Kb·B'.
type Encoding struct {
	Matrix             libcamera.YcbcrEncoding // never YcbcrNone
	Kr, Kb             float64
	Y0, YScale, CScale float64
}

// Of returns the encoding of a Y'CbCr stream in colour space cs.
func Of(cs libcamera.ColorSpace) (Encoding, error) {
	if cs.Primaries > libcamera.PrimariesRec2020 || cs.TransferFunction > libcamera.TransferRec709 ||
		cs.YcbcrEncoding > libcamera.YcbcrRec2020 || cs.Range > libcamera.RangeLimited {
		return Encoding{}, fmt.Errorf("%v: %w", cs, ErrUndefined)
	}
	e := Encoding{Matrix: matrix(cs)}
	// Kr and Kb of ITU-R BT.601, BT.709 and BT.2020.
	switch e.Matrix {
	case libcamera.YcbcrRec601:
		e.Kr, e.Kb = 0.299, 0.114
	case libcamera.YcbcrRec709:
		e.Kr, e.Kb = 0.2126, 0.0722
	case libcamera.YcbcrRec2020:
		e.Kr, e.Kb = 0.2627, 0.0593
	}
	if cs.Range == libcamera.RangeFull {
		e.Y0, e.YScale, e.CScale = 0, 255, 255 // JFIF, H.273
	} else {
		e.Y0, e.YScale, e.CScale = 16, 219, 224 // ITU-R BT.601/709/2020
	}
	return e, nil
}

// matrix returns cs's Y'CbCr encoding. An encoding of None (sRGB, Raw:
// libcamera 0.4 leaves a stream so when it gives a YUV format for the RGB
// one asked for) is inferred as libcamera's ColorSpace::adjust does for YUV
// formats: sRGB and linear transfer give BT.601, Rec709 the encoding of
// the primaries.
func matrix(cs libcamera.ColorSpace) libcamera.YcbcrEncoding {
	if cs.YcbcrEncoding != libcamera.YcbcrNone {
		return cs.YcbcrEncoding
	}
	if cs.TransferFunction != libcamera.TransferRec709 {
		return libcamera.YcbcrRec601
	}
	switch cs.Primaries {
	case libcamera.PrimariesRec709:
		return libcamera.YcbcrRec709
	case libcamera.PrimariesRec2020:
		return libcamera.YcbcrRec2020
	}
	return libcamera.YcbcrRec601
}

// Full reports full range (Y' 0..255).
func (e Encoding) Full() bool { return e.YScale == 255 }

// Coefficients returns the decoding to R'G'B' on 0..255:
//
//	R' = ky·(Y'-Y0) + rCr·(Cr-128)
//	G' = ky·(Y'-Y0) - gCb·(Cb-128) - gCr·(Cr-128)
//	B' = ky·(Y'-Y0) + bCb·(Cb-128)
func (e Encoding) Coefficients() (ky, rCr, gCb, gCr, bCb float64) {
	kg := 1 - e.Kr - e.Kb
	kc := 255 / e.CScale
	return 255 / e.YScale, kc * 2 * (1 - e.Kr), kc * 2 * e.Kb * (1 - e.Kb) / kg, kc * 2 * e.Kr * (1 - e.Kr) / kg, kc * 2 * (1 - e.Kb)
}
