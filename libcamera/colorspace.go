package libcamera

import "fmt"

// Primaries, TransferFunction, YcbcrEncoding and Range make up a
// [ColorSpace], as in libcamera.
type (
	Primaries        uint8
	TransferFunction uint8
	YcbcrEncoding    uint8
	Range            uint8
)

// The colour primaries libcamera knows.
const (
	PrimariesRaw Primaries = iota
	PrimariesSmpte170m
	PrimariesRec709
	PrimariesRec2020
)

// The transfer functions libcamera knows.
const (
	TransferLinear TransferFunction = iota
	TransferSrgb
	TransferRec709
)

// The Y'CbCr encodings libcamera knows.
const (
	YcbcrNone YcbcrEncoding = iota
	YcbcrRec601
	YcbcrRec709
	YcbcrRec2020
)

// The quantisation ranges: full (0-255) or limited (16-235 luma).
const (
	RangeFull Range = iota
	RangeLimited
)

// ColorSpace is a stream's colour space.
type ColorSpace struct {
	Primaries        Primaries
	TransferFunction TransferFunction
	YcbcrEncoding    YcbcrEncoding
	Range            Range
}

// libcamera's named colour spaces.
var (
	ColorSpaceRaw       = ColorSpace{PrimariesRaw, TransferLinear, YcbcrNone, RangeFull}
	ColorSpaceSrgb      = ColorSpace{PrimariesRec709, TransferSrgb, YcbcrNone, RangeFull}
	ColorSpaceSycc      = ColorSpace{PrimariesRec709, TransferSrgb, YcbcrRec601, RangeFull}
	ColorSpaceSmpte170m = ColorSpace{PrimariesSmpte170m, TransferRec709, YcbcrRec601, RangeLimited}
	ColorSpaceRec709    = ColorSpace{PrimariesRec709, TransferRec709, YcbcrRec709, RangeLimited}
	ColorSpaceRec2020   = ColorSpace{PrimariesRec2020, TransferRec709, YcbcrRec2020, RangeLimited}
)

func (c ColorSpace) String() string {
	switch c {
	case ColorSpaceRaw:
		return "RAW"
	case ColorSpaceSrgb:
		return "sRGB"
	case ColorSpaceSycc:
		return "sYCC"
	case ColorSpaceSmpte170m:
		return "SMPTE170M"
	case ColorSpaceRec709:
		return "Rec709"
	case ColorSpaceRec2020:
		return "Rec2020"
	}
	// Unnamed combinations read as libcamera prints them.
	return fmt.Sprintf("%s/%s/%s/%s",
		name(c.Primaries, "Raw", "Smpte170m", "Rec709", "Rec2020"),
		name(c.TransferFunction, "Linear", "Srgb", "Rec709"),
		name(c.YcbcrEncoding, "None", "Rec601", "Rec709", "Rec2020"),
		name(c.Range, "Full", "Limited"))
}

func name[T ~uint8](v T, names ...string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%d", v)
}
