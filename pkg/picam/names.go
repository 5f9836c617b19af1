package picam

import "github.com/picamgo/picamgo/libcamera"

// Names of the low-level package that appear in picam's API, so that a
// program needs only picam. They are the same types (aliases), so values
// pass between the two packages as they are.
type (
	// Primaries, TransferFunction, YcbcrEncoding and Range are the parts
	// of a [ColorSpace].
	Primaries        = libcamera.Primaries
	TransferFunction = libcamera.TransferFunction
	YcbcrEncoding    = libcamera.YcbcrEncoding
	Range            = libcamera.Range

	// AllocatorKind picks where frame buffers come from ([Options.Allocator]).
	AllocatorKind = libcamera.AllocatorKind
	// CameraLocation is where a camera points ([CameraInfo.Location]).
	CameraLocation = libcamera.CameraLocation

	// ControlList is a set of values by name: a camera's
	// [Camera.Properties], a frame's [Metadata.List].
	ControlList = libcamera.ControlList
	// ControlInfoMap lists the controls a camera takes, with their limits
	// ([Camera.CameraControls]); ControlInfo is one of them.
	ControlInfoMap = libcamera.ControlInfoMap
	ControlInfo    = libcamera.ControlInfo
	// ControlValue is one value of a ControlList; ControlID names it and
	// ControlType is its type.
	ControlValue = libcamera.ControlValue
	ControlID    = libcamera.ControlID
	ControlType  = libcamera.ControlType
)

// Colour spaces (Picamera2's libcamera.ColorSpace.Sycc() and others), as
// libcamera defines them. [Configuration.ColorSpace] takes a copy's
// address: cfg.ColorSpace = new(picam.ColorSpaceRec709).
var (
	ColorSpaceRaw       = libcamera.ColorSpaceRaw
	ColorSpaceSrgb      = libcamera.ColorSpaceSrgb
	ColorSpaceSycc      = libcamera.ColorSpaceSycc
	ColorSpaceSmpte170m = libcamera.ColorSpaceSmpte170m
	ColorSpaceRec709    = libcamera.ColorSpaceRec709
	ColorSpaceRec2020   = libcamera.ColorSpaceRec2020
)

// The parts of a colour space.
const (
	PrimariesRaw       = libcamera.PrimariesRaw
	PrimariesSmpte170m = libcamera.PrimariesSmpte170m
	PrimariesRec709    = libcamera.PrimariesRec709
	PrimariesRec2020   = libcamera.PrimariesRec2020

	TransferLinear = libcamera.TransferLinear
	TransferSrgb   = libcamera.TransferSrgb
	TransferRec709 = libcamera.TransferRec709

	YcbcrNone    = libcamera.YcbcrNone
	YcbcrRec601  = libcamera.YcbcrRec601
	YcbcrRec709  = libcamera.YcbcrRec709
	YcbcrRec2020 = libcamera.YcbcrRec2020

	RangeFull    = libcamera.RangeFull
	RangeLimited = libcamera.RangeLimited
)

// Allocator kinds for [Options.Allocator].
const (
	AllocatorAuto      = libcamera.AllocatorAuto      // libcamera's, then a dma-heap, then memfd
	AllocatorLibcamera = libcamera.AllocatorLibcamera // the pipeline's own buffers
	AllocatorDmaHeap   = libcamera.AllocatorDmaHeap   // /dev/dma_heap, as Picamera2 on a Pi 5
	AllocatorMemfd     = libcamera.AllocatorMemfd     // anonymous shared memory
)

// Camera locations ([CameraInfo.Location]).
const (
	LocationFront    = libcamera.LocationFront
	LocationBack     = libcamera.LocationBack
	LocationExternal = libcamera.LocationExternal
	LocationUnknown  = libcamera.LocationUnknown
)

// The quarter-turn orientations, with [Rotate0], [Rotate0Mirror],
// [Rotate180] and [Rotate180Mirror]. An orientation composes with
// [Orientation.Then] and undoes with [Orientation.Inverse].
const (
	Rotate90        = libcamera.Rotate90
	Rotate90Mirror  = libcamera.Rotate90Mirror
	Rotate270       = libcamera.Rotate270
	Rotate270Mirror = libcamera.Rotate270Mirror
)

// Transform returns the orientation of Picamera2's Transform(hflip, vflip,
// transpose): the transpose first, then the flips. [Flip] is the common
// case without transpose; [Orientation.Flips] is the reverse.
func Transform(hflip, vflip, transpose bool) Orientation {
	return libcamera.TransformOrientation(hflip, vflip, transpose)
}

// ParsePixelFormat looks a format up by libcamera's name for it, such as
// "NV12", "XBGR8888" or "SRGGB10_CSI2P" (raw formats have no variable of
// their own).
func ParsePixelFormat(name string) (PixelFormat, error) { return libcamera.ParsePixelFormat(name) }
