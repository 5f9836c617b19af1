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
// [BGR], [BGRTo], [FrameBGR] and [FrameBGRTo] convert in one call without keeping
// anything: the result is a copy, the caller's to Close. All conversions
// honour the frame's colour space (see Colours).
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
// Y'CbCr frames (NV12, NV21, YUV420, YVU420, YUYV) are converted in the
// colour space libcamera reports for their stream, [picam.Frame.ColorSpace]:
// its Y'CbCr encoding gives the matrix, its range the scaling.
//   - No colour space, or BT.601 limited range (SMPTE170M, whatever its
//     primaries): OpenCV's own cvtColor, the fastest. It reads luma below 16
//     as 16.
//   - BT.601 full range (sYCC, Picamera2's default for preview and still),
//     and BT.709 (Rec709, its video default) or BT.2020 in limited or full
//     range: each chroma sample is repeated over the pixels it covers, as
//     cvtColor does, and cv::transform applies the standard matrix. This
//     takes about four to six times as long as cvtColor, through scratch
//     Mats that a [FrameMat] keeps for its next conversions and the one-shot
//     functions make for each call.
//   - No Y'CbCr encoding (sRGB, Raw: libcamera 0.4 labels a Y'CbCr stream
//     so when it gives one for the RGB format asked for): the encoding is
//     inferred as libcamera's ColorSpace::adjust does (sRGB reads as sYCC),
//     as picam's own conversions do. Values libcamera does not define:
//     converting fails with an error matching [ErrColorSpace], rather than
//     giving wrong colours; the Mat view works.
//
// The result is R'G'B' in the stream's own primaries and transfer function:
// there is no gamut or gamma conversion. RGB formats need no matrix and
// MJPEG is decoded as JPEG: their colour space is not used. To get OpenCV's
// fastest path from a Raspberry Pi, configure Y'CbCr streams with
// libcamera.ColorSpaceSmpte170m.
//
// A label can be wrong: libcamera 0.7's virtual camera says Rec709 of frames
// it encodes as BT.601 limited range, which therefore come out in slightly
// wrong colours. [FrameBGR] and [FrameBGRTo] convert a Frame whose
// ColorSpace was corrected, reading a request's view in place
// ([picam.Frame.Mapped]); examples/pipeline does this for the virtual
// camera.
//
// # Building
//
// This is a module of its own, so that picamgo builds without OpenCV. It
// needs OpenCV 4.10 (pkg-config opencv4; Debian trixie's libopencv-dev),
// which gocv v0.39.0 is made for.
package picamcv
