package libcamera

// An orientation is a rotation by a multiple of 90° clockwise followed by an
// optional horizontal mirror (libcamera's definition); quarter and mirror
// give that pair for each value, so that orientations compose as the
// symmetries of a rectangle.
var (
	quarters = [9]int{0, 0, 0, 2, 2, 1, 3, 3, 1}
	mirrors  = [9]bool{false, false, true, false, true, true, false, true, false}
)

func (o Orientation) valid() bool { return o >= Rotate0 && o <= Rotate90 }

func orientationOf(quarter int, mirror bool) Orientation {
	quarter = (quarter%4 + 4) % 4
	for o := Rotate0; o <= Rotate90; o++ {
		if quarters[o] == quarter && mirrors[o] == mirror {
			return o
		}
	}
	panic("unreachable")
}

// Then returns the orientation of an image in orientation o once p is
// applied to it: o first, then p. An invalid orientation (not 1..8) counts
// as Rotate0.
func (o Orientation) Then(p Orientation) Orientation {
	if !o.valid() {
		o = Rotate0
	}
	if !p.valid() {
		p = Rotate0
	}
	// mirror·rotate(a) then mirror·rotate(b): a mirror turns the following
	// rotation's direction around.
	q := quarters[p]
	if mirrors[o] {
		q = -q
	}
	return orientationOf(quarters[o]+q, mirrors[o] != mirrors[p])
}

// Inverse returns the orientation that undoes o: o.Then(o.Inverse()) is
// Rotate0.
func (o Orientation) Inverse() Orientation {
	if !o.valid() {
		return Rotate0
	}
	if mirrors[o] {
		return o // a mirrored orientation undoes itself
	}
	return orientationOf(-quarters[o], false)
}

// Flips returns o as libcamera's (and Picamera2's) Transform: a transpose
// about the main diagonal first, then a horizontal flip, then a vertical
// flip. [TransformOrientation] is the reverse.
func (o Orientation) Flips() (hflip, vflip, transpose bool) {
	for _, t := range [...]bool{false, true} {
		for _, h := range [...]bool{false, true} {
			for _, v := range [...]bool{false, true} {
				if TransformOrientation(h, v, t) == o {
					return h, v, t
				}
			}
		}
	}
	return false, false, false
}

// TransformOrientation returns the orientation of libcamera's (and
// Picamera2's) Transform(hflip, vflip, transpose): transpose first, then
// hflip, then vflip.
func TransformOrientation(hflip, vflip, transpose bool) Orientation {
	o := Rotate0
	if transpose {
		o = o.Then(Rotate90Mirror) // the transpose: a quarter turn, mirrored
	}
	if hflip {
		o = o.Then(Rotate0Mirror)
	}
	if vflip {
		o = o.Then(Rotate180Mirror) // a vertical flip: a half turn, mirrored
	}
	return o
}
