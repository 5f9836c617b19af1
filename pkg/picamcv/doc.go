// Package picamcv hands frames captured with
// github.com/picamgo/picamgo/pkg/picam to OpenCV (gocv) without copying
// them: a [FrameMat] is a gocv.Mat over the camera's mapped buffer, tied to
// the request it came from.
//
//	r, err := cam.CaptureRequest(ctx)
//	if err != nil { ... }
//	fm, err := picamcv.NewFrameMat(r, picam.Main)
//	r.Release() // fm holds the frame until its Close
//	if err != nil { ... }
//	defer fm.Close()
//	yuv, _ := fm.Mat()       // NV12: CV_8UC1, height*3/2 rows, no copy
//	bgr, err := fm.BGR()     // a converted copy, the caller's to Close
//
// # Lifetime
//
// The Mat of a FrameMat is the camera's buffer, which the camera fills
// again once nobody holds it. The FrameMat therefore takes a reference of
// its own on the request ([picam.CompletedRequest.Acquire]) and gives it
// back at [FrameMat.Close]: the Mat stays valid after the request is
// released and even after the camera is closed, until Close. After Close,
// Mat and the other methods fail with [ErrClosed] instead of handing out a
// view of a buffer the camera may be writing; a gocv.Mat obtained before
// must not be used any more (the FrameMat frees it: it is not the caller's
// to Close). Copy what must outlive the frame: [FrameMat.BGR],
// gocv.Mat.Clone.
//
// A FrameMat that becomes unreachable without Close is found by the garbage
// collector: the cleanup logs where it was made ([SetLogger]), counts it
// ([Leaked]), frees its view and releases the request, as picam does for a
// forgotten request. Keep the FrameMat reachable while its Mat is in use
// (defer fm.Close() does); a Mat used after its FrameMat was collected reads
// freed memory.
//
// [BGR], [BGRTo] and [FrameBGR] convert in one call without keeping
// anything: the result is a copy, the caller's to Close.
//
// # Zero copy
//
// gocv.NewMatFromBytes wraps the bytes it is given (cv::Mat(rows, cols,
// type, data): no copy, no ownership) but takes no row step; for a stride
// wider than a line the view is a Mat of stride columns cropped with
// Region, which shares the data. The planes of NV12 (Y, then CbCr) are one
// Mat only if the chroma plane follows the luma plane in memory at
// stride*height, as OpenCV's COLOR_YUV2BGR_NV12 reads it: true of the
// virtual camera (two planes of one buffer) and of the Raspberry Pi (one
// plane). When it is not, [NewFrameMat] copies the planes once into a Mat
// of its own and [FrameMat.ZeroCopy] reports false.
//
// The buffers are mapped memory, not Go memory, so OpenCV may keep
// pointers to them under cgo's rules; [FrameBGR] pins a frame in Go memory
// for the length of its conversion.
//
// # Colours
//
// OpenCV converts YUV with the BT.601 limited-range matrix (libcamera's
// Smpte170m colour space), whatever the frame's colour space, as
// Picamera2's helpers do. The virtual camera's frames are BT.601 limited
// range. For exact colours from a Raspberry Pi, configure YUV streams with
// libcamera.ColorSpaceSmpte170m: with sYCC (full range, Picamera2's default
// for preview and still) the BGR image has slightly more contrast and
// saturation, with Rec709 slightly different hues. The RGB formats need no
// matrix.
//
// # Building
//
// This is a module of its own, so that picamgo builds without OpenCV. It
// needs OpenCV 4.10 (pkg-config opencv4; Debian trixie's libopencv-dev),
// which gocv v0.39.0 is made for.
package picamcv
