// Package ycctest is the reference that the colour tests of picam and
// picamcv check their conversions against: the standards' definitions in
// floating point, written apart from package ycc's matrices so that a
// mistake there shows in both packages' tests.
package ycctest

import "github.com/picamgo/picamgo/libcamera"

// RGB converts an 8-bit Y'CbCr sample with matrix enc (BT.601, BT.709 or
// BT.2020) and range rng from the ITU-R definitions: E'Y and E'Pb, E'Pr from
// the quantised samples, R' = E'Y + 2(1-Kr)E'Pr, B' = E'Y + 2(1-Kb)E'Pb,
// G' = (E'Y - Kr R' - Kb B')/Kg. The results are scaled to 0..255 but
// neither rounded nor clamped: each caller does what its conversion does.
func RGB(enc libcamera.YcbcrEncoding, rng libcamera.Range, y, cb, cr uint8) (r, g, b float64) {
	k := map[libcamera.YcbcrEncoding][2]float64{ // Kr, Kb
		libcamera.YcbcrRec601:  {0.299, 0.114},
		libcamera.YcbcrRec709:  {0.2126, 0.0722},
		libcamera.YcbcrRec2020: {0.2627, 0.0593},
	}[enc]
	kr, kb := k[0], k[1]
	y0, ys, cq := 0.0, 255.0, 255.0
	if rng == libcamera.RangeLimited {
		y0, ys, cq = 16, 219, 224
	}
	ey := (float64(y) - y0) / ys
	pb, pr := (float64(cb)-128)/cq, (float64(cr)-128)/cq
	r = ey + 2*(1-kr)*pr
	b = ey + 2*(1-kb)*pb
	g = (ey - kr*r - kb*b) / (1 - kr - kb)
	return 255 * r, 255 * g, 255 * b
}
