package libcamera

import "fmt"

// Size is a width and height in pixels.
type Size struct {
	Width, Height uint32
}

func (s Size) String() string { return fmt.Sprintf("%dx%d", s.Width, s.Height) }

// IsNull reports whether either dimension is zero.
func (s Size) IsNull() bool { return s.Width == 0 || s.Height == 0 }

// Point is a position in pixels.
type Point struct {
	X, Y int32
}

func (p Point) String() string { return fmt.Sprintf("(%d,%d)", p.X, p.Y) }

// Rectangle is a position and size in pixels, as libcamera's Rectangle.
type Rectangle struct {
	X, Y          int32
	Width, Height uint32
}

func (r Rectangle) String() string { return fmt.Sprintf("(%d,%d)/%dx%d", r.X, r.Y, r.Width, r.Height) }

// Size returns the rectangle's size.
func (r Rectangle) Size() Size { return Size{r.Width, r.Height} }

// SizeRange is the range of sizes a stream accepts: from Min to Max in steps
// of HStep and VStep (0 steps: only Min and Max are meaningful).
type SizeRange struct {
	Min, Max     Size
	HStep, VStep uint32
}

func (r SizeRange) String() string {
	return fmt.Sprintf("(%v)-(%v)/(+%d,+%d)", r.Min, r.Max, r.HStep, r.VStep)
}

// Contains reports whether s is within the range and on its steps.
func (r SizeRange) Contains(s Size) bool {
	if s.Width < r.Min.Width || s.Height < r.Min.Height || s.Width > r.Max.Width || s.Height > r.Max.Height {
		return false
	}
	if r.HStep != 0 && (s.Width-r.Min.Width)%r.HStep != 0 {
		return false
	}
	return r.VStep == 0 || (s.Height-r.Min.Height)%r.VStep == 0
}
