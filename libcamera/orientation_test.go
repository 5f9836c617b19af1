package libcamera

import "testing"

// apply moves pixel (x, y) of a w×h image as orientation o does: rotate
// clockwise by quarter turns, then mirror horizontally. It is the
// definition, worked out on coordinates, to check Then against.
func apply(o Orientation, x, y, w, h int) (int, int, int, int) {
	for range quarters[o] {
		x, y, w, h = h-1-y, x, h, w
	}
	if mirrors[o] {
		x = w - 1 - x
	}
	return x, y, w, h
}

func TestOrientationThenMatchesPixels(t *testing.T) {
	const w, h = 5, 3
	for o := Rotate0; o <= Rotate90; o++ {
		for p := Rotate0; p <= Rotate90; p++ {
			q := o.Then(p)
			for y := range h {
				for x := range w {
					x1, y1, w1, h1 := apply(o, x, y, w, h)
					x2, y2, _, _ := apply(p, x1, y1, w1, h1)
					x3, y3, _, _ := apply(q, x, y, w, h)
					if x2 != x3 || y2 != y3 {
						t.Fatalf("%v then %v = %v, but pixel (%d,%d) goes to (%d,%d), not (%d,%d)", o, p, q, x, y, x2, y2, x3, y3)
					}
				}
			}
		}
	}
}

func TestOrientationInverseAndFlips(t *testing.T) {
	seen := map[[3]bool]Orientation{}
	for o := Rotate0; o <= Rotate90; o++ {
		if got := o.Then(o.Inverse()); got != Rotate0 {
			t.Errorf("%v then its inverse %v = %v", o, o.Inverse(), got)
		}
		h, v, tr := o.Flips()
		if got := TransformOrientation(h, v, tr); got != o {
			t.Errorf("%v.Flips() = %v %v %v, which is %v", o, h, v, tr, got)
		}
		k := [3]bool{h, v, tr}
		if p, dup := seen[k]; dup {
			t.Errorf("%v and %v have the same flips %v", o, p, k)
		}
		seen[k] = o
	}
	// Facts as libcamera states them: Rot90 is Transpose|HFlip, Rot270 is
	// Transpose|VFlip, and both flips are a half turn.
	for _, c := range []struct {
		h, v, tr bool
		want     Orientation
	}{{true, false, true, Rotate90}, {false, true, true, Rotate270}, {true, true, false, Rotate180},
		{true, false, false, Rotate0Mirror}, {false, true, false, Rotate180Mirror}, {false, false, true, Rotate90Mirror}} {
		if got := TransformOrientation(c.h, c.v, c.tr); got != c.want {
			t.Errorf("TransformOrientation(%v, %v, %v) = %v, want %v", c.h, c.v, c.tr, got, c.want)
		}
	}
	if got := Rotate90.Then(Rotate90); got != Rotate180 {
		t.Errorf("Rotate90 twice = %v", got)
	}
}
