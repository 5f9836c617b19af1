// Package picam drives cameras through libcamera the way Raspberry Pi's
// Picamera2 does, in Go's idiom: open a camera, configure it from a preview,
// still or video configuration, start it, capture frames, and close it.
//
//	cam, err := picam.Open(0)
//	if err != nil { ... }
//	defer cam.Close()
//	if _, err := cam.Configure(cam.StillConfiguration()); err != nil { ... }
//	if err := cam.Start(); err != nil { ... }
//	md, err := cam.CaptureFile(ctx, "test.jpg", picam.Main)
//
// # Configurations
//
// [Camera.PreviewConfiguration], [Camera.StillConfiguration] and
// [Camera.VideoConfiguration] return a [Configuration] filled with
// Picamera2's defaults for the camera (main stream size and format, buffer
// count, colour space, default controls clamped to the camera's limits).
// Change the fields you need; add a lores or raw stream with
// [Configuration.EnableLores] and [Configuration.EnableRaw]; round sizes
// for the Raspberry Pi's ISP with [Configuration.Align].
//
// [Camera.Configure] never adjusts silently: it returns every change
// libcamera made (a format the camera cannot produce, a buffer count it
// forces, ...) as [Adjustment] values and logs them. With
// [Configuration.Strict] it refuses them instead, with an [*AdjustedError]
// matching [ErrAdjusted]. [Camera.Configuration] returns what was applied,
// with strides and frame sizes.
//
// # Capturing
//
// A started camera runs one goroutine, its capture engine, which receives
// completed requests from libcamera, hands frames to callers and queues
// buffers again. libcamera's own thread never runs Go code beyond pushing
// completed requests onto a channel, and no copy happens there.
//
// [Camera.CaptureRequest] returns a [*CompletedRequest]: the camera's
// buffers themselves, lent until [CompletedRequest.Release]. Its
// [CompletedRequest.Frame] and [CompletedRequest.Image] are views without
// copies ([NV12], [image.YCbCr] for YUV420, [YUYV], [RGB] for the packed RGB
// formats); [Frame.Clone] and [ToRGBA] copy and convert on the caller's
// goroutine. Requests are reference counted ([CompletedRequest.Acquire]
// gives another handle); the last release queues the buffer again, exactly
// once. Releasing twice returns [ErrReleased]; releasing after Close frees
// the buffer and returns an error matching [ErrClosed].
//
// The copying calls capture, copy and release in one go, on the caller's
// goroutine: [Camera.CaptureFrame] (Picamera2's capture_array),
// [Camera.CaptureBuffer], [Camera.CaptureImage], [Camera.CaptureMetadata] and
// [Camera.CaptureFile] (JPEG or PNG after the file's extension).
//
// Every call that can block takes a [context.Context]. [Flush] and [After]
// ask for a frame whose exposure started after a time, as Picamera2's
// flush; [WithControls] for a frame queued with given controls.
//
// # Failures Picamera2 users know
//
// A CompletedRequest that is never released holds one of the camera's few
// buffers. When it becomes unreachable, the garbage collector's cleanup logs
// where it was captured (the call sites are recorded at capture time) and
// gives the buffer back, so a forgotten Release cannot hang the camera
// forever. A camera that stops delivering frames fails waiting callers with
// a [*StallError] (matching [ErrStalled]) after [Options.StallTimeout],
// naming the requests the application still holds.
//
// # Controls and metadata
//
// [Controls] has typed fields for the common controls and ByName for any
// other; [Camera.SetControls] checks them against the camera's limits
// (a [*ControlError] says which control and what the camera accepts) and
// applies them to the next request queued. It returns a [ControlsID];
// [CompletedRequest.ControlsID] tells which frames were queued with it, so
// settings can be matched to frames. [Metadata] has typed accessors
// (SensorTimestamp, ExposureTime, AnalogueGain, ...) and every value by name.
//
// # Concurrency
//
// A Camera's methods may be called from any goroutine. Frames go to every
// caller waiting when they arrive; a frame is never handed out twice to
// successive calls. A CompletedRequest may be shared between goroutines;
// give each its own handle with Acquire.
//
// SensorTimestamp is CLOCK_MONOTONIC in nanoseconds; [MonotonicNow] reads
// that clock and [MonotonicTime] converts to time.Time.
package picam
