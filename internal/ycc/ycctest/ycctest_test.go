package ycctest

import (
	"math"
	"testing"

	"github.com/picamgo/picamgo/libcamera"
)

// TestRGB checks the reference against the coefficients the standards and
// JFIF publish, so that the colour tests of picam and picamcv rest on it.
func TestRGB(t *testing.T) {
	const full, limited = libcamera.RangeFull, libcamera.RangeLimited
	for _, tc := range []struct {
		what      string
		enc       libcamera.YcbcrEncoding
		rng       libcamera.Range
		y, cb, cr uint8
		r, g, b   float64
	}{
		// JFIF: R = Y + 1.402 (Cr-128), G = Y - 0.344136 (Cb-128) - 0.714136 (Cr-128), B = Y + 1.772 (Cb-128).
		{"JFIF", libcamera.YcbcrRec601, full, 100, 150, 90, 100 - 1.402*38, 100 - 0.344136*22 + 0.714136*38, 100 + 1.772*22},
		// BT.601 limited: 1.164383 (Y-16), Cr 1.596027 / -0.812968, Cb 2.017232 / -0.391762.
		{"BT.601", libcamera.YcbcrRec601, limited, 100, 150, 90, 1.164383*84 - 1.596027*38, 1.164383*84 - 0.391762*22 + 0.812968*38, 1.164383*84 + 2.017232*22},
		// BT.709 limited: Cr 1.792741 / -0.532909, Cb 2.112402 / -0.213249.
		{"BT.709", libcamera.YcbcrRec709, limited, 100, 150, 90, 1.164383*84 - 1.792741*38, 1.164383*84 - 0.213249*22 + 0.532909*38, 1.164383*84 + 2.112402*22},
		// BT.2020 limited: Cr 1.678674 / -0.650424, Cb 2.141772 / -0.187326.
		{"BT.2020", libcamera.YcbcrRec2020, limited, 100, 150, 90, 1.164383*84 - 1.678674*38, 1.164383*84 - 0.187326*22 + 0.650424*38, 1.164383*84 + 2.141772*22},
		{"white", libcamera.YcbcrRec709, limited, 235, 128, 128, 255, 255, 255},
		{"black", libcamera.YcbcrRec709, limited, 16, 128, 128, 0, 0, 0},
	} {
		r, g, b := RGB(tc.enc, tc.rng, tc.y, tc.cb, tc.cr)
		got, want := [3]float64{r, g, b}, [3]float64{tc.r, tc.g, tc.b}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 0.01 {
				t.Errorf("%s: RGB(%d, %d, %d) = %.3f, want %.3f", tc.what, tc.y, tc.cb, tc.cr, got, want)
				break
			}
		}
	}
}
