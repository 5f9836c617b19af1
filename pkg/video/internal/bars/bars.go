// Package bars makes and finds libcamera's virtual "bars" test pattern, for
// the tests of pkg/video: eight vertical bars (white, yellow, cyan, green,
// magenta, red, blue, black) of width/8 columns each, scrolled left by one
// column per frame. Frame n since the camera was configured shows the
// template rotated left by n+1 columns (libcamera/pattern_test.go), so the
// white bar starts at column (width - (n+1) % width) % width: finding it in
// a decoded frame tells which frame it is.
package bars

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// RGB of the bars, left to right.
var RGB = [8][3]float64{
	{255, 255, 255}, {255, 255, 0}, {0, 255, 255}, {0, 255, 0},
	{255, 0, 255}, {255, 0, 0}, {0, 0, 255}, {0, 0, 0},
}

// Names are the bars' initials.
const Names = "WYCGMRBK"

// ycc is an RGB colour in BT.601 limited range, as libyuv's ARGBToNV12.
func ycc(c [3]float64) (y, cb, cr float64) {
	r, g, b := c[0]/255, c[1]/255, c[2]/255
	ey := 0.299*r + 0.587*g + 0.114*b
	return 16 + 219*ey, 128 + 224*(b-ey)/1.772, 128 + 224*(r-ey)/1.402
}

// WhiteX is where the white bar starts in frame number n of a pattern
// width columns wide.
func WhiteX(width, n int) int { return (width - (n+1)%width) % width }

// NV12 draws frame number n (Y plane and CbCr plane, rows width bytes
// apart) as the virtual camera does.
func NV12(width, height, n int) (y, uv []byte) {
	y = make([]byte, width*height)
	uv = make([]byte, width*height/2)
	shift := (n + 1) % width
	bw := width / 8
	col := func(x int) [3]float64 {
		j := (x + shift) % width
		return RGB[min(j/bw, 7)]
	}
	var rowY = make([]byte, width)
	var rowC = make([]byte, width)
	for x := 0; x < width; x++ {
		yy, _, _ := ycc(col(x))
		rowY[x] = byte(math.Round(yy))
	}
	for x := 0; x < width; x += 2 {
		_, cb0, cr0 := ycc(col(x))
		_, cb1, cr1 := ycc(col(x + 1))
		rowC[x] = byte(math.Round((cb0 + cb1) / 2))
		rowC[x+1] = byte(math.Round((cr0 + cr1) / 2))
	}
	for r := 0; r < height; r++ {
		copy(y[r*width:], rowY)
	}
	for r := 0; r < height/2; r++ {
		copy(uv[r*width:], rowC)
	}
	return y, uv
}

// FindWhite returns the column where the white bar starts in a luma image
// (rows stride bytes apart): where the row average crosses from the black
// bar up to the white one, read to the nearest column. A compressed frame
// blurs the edge a little but keeps its place.
func FindWhite(luma []byte, width, height, stride int) (int, error) {
	if width < 16 || height < 1 || len(luma) < stride*(height-1)+width {
		return 0, fmt.Errorf("bars: %dx%d image of %d bytes", width, height, len(luma))
	}
	// Average the middle half of the rows.
	avg := make([]float64, width)
	r0, r1 := height/4, max(height*3/4, height/4+1)
	for r := r0; r < r1; r++ {
		row := luma[r*stride : r*stride+width]
		for x, v := range row {
			avg[x] += float64(v)
		}
	}
	for x := range avg {
		avg[x] /= float64(r1 - r0)
	}
	const black, white = 16, 235
	mid := (black + white) / 2.0
	at := func(x int) float64 { return avg[((x%width)+width)%width] }
	found, best := -1, 0.0
	for x := 0; x < width; x++ {
		// Black well before, white well after, the crossing between x-1 and x.
		if at(x-1) < mid && at(x) >= mid && at(x-3) < 60 && at(x+2) > 200 {
			pos := float64(x-1) + (mid-at(x-1))/(at(x)-at(x-1)) // the edge, at x-0.5 when sharp
			found, best = (int(math.Round(pos+0.5))%width+width)%width, pos
			break
		}
	}
	if found < 0 {
		return 0, errors.New("bars: no black-to-white edge: not the bars pattern")
	}
	_ = best
	return found, nil
}

// Colours names the bar colour at each of the 8 bars' middles of an RGB
// image given by at(x, y), for a frame whose white bar starts at whiteX:
// "WYCGMRBK" when all are right, '?' where a colour is none of them.
func Colours(width, height, whiteX int, at func(x, y int) (r, g, b uint8)) string {
	bw := width / 8
	out := make([]byte, 8)
	for k := range 8 {
		x := (whiteX + k*bw + bw/2) % width
		r, g, b := at(x, height/2)
		out[k] = name(r, g, b)
	}
	return string(out)
}

func name(r, g, b uint8) byte {
	const lo, hi = 64, 176
	bits := 0
	for i, v := range [3]uint8{b, g, r} {
		switch {
		case v >= hi:
			bits |= 1 << i
		case v > lo:
			return '?'
		}
	}
	return "KBGCRMYW"[bits]
}

// CheckImage returns an error unless a decoded image (a JPEG of the
// stream) is frame n: its white bar where frame n has it and the eight
// colours in order.
func CheckImage(m image.Image, n int) error {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	luma := make([]byte, w*h)
	if ycc, ok := m.(*image.YCbCr); ok {
		for y := range h {
			copy(luma[y*w:(y+1)*w], ycc.Y[y*ycc.YStride:])
		}
	} else {
		return fmt.Errorf("bars: decoded %T, want *image.YCbCr", m)
	}
	x, err := FindWhite(luma, w, h, w)
	if err != nil {
		return fmt.Errorf("frame %d: %w", n, err)
	}
	if want := WhiteX(w, n); x != want {
		return fmt.Errorf("frame %d: white bar at %d, want %d", n, x, want)
	}
	got := Colours(w, h, x, func(x, y int) (r, g, b uint8) {
		r32, g32, b32, _ := m.At(x, y).RGBA()
		return uint8(r32 >> 8), uint8(g32 >> 8), uint8(b32 >> 8)
	})
	if got != Names {
		return fmt.Errorf("frame %d: bars %s, want %s", n, got, Names)
	}
	return nil
}
