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
// buffers again (and a callback goroutine, see below). libcamera's own
// thread never runs Go code beyond pushing completed requests onto a
// channel, and no copy happens there.
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
// # Frame views and Release
//
// The planes of a [Frame] from [CompletedRequest.Frame], and the image
// views of [Frame.Image], are the camera's buffer itself. They show the
// frame only until every holder of its request released it; use
// [Frame.Clone] (or the copying calls below) to keep a frame longer. A view
// read after that never crashes the program, whatever happened since, but
// it no longer shows its frame:
//   - while the camera runs, the buffer is filled again: the view silently
//     reads a later frame, or one being written;
//   - once the buffer is freed ([Camera.Close], [Camera.Configure],
//     [Camera.SwitchMode]; for a request of an earlier configuration, its
//     last release), its pages are replaced by zero pages: the view
//     reads zeros, or, after a later configuration reuses the address
//     range, that configuration's frames. Writes through it are harmless.
//
// Run a program with PICAMGO_CHECK=views in its environment to find such
// uses: the Frame methods and the [NV12], [YUYV] and [RGB] views then
// report a view read after its frame was released with a
// [*StaleViewError] naming where the request was captured and where it was
// released (returned by the calls that return errors, panicked by the
// others). Indexing Frame.Planes directly, and the [image.YCbCr] views of
// YUV420 frames, are not checked. docs/frame-views.md has the design.
//
// The copying calls capture, copy and release in one go, on the caller's
// goroutine: [Camera.CaptureFrame] (Picamera2's capture_array),
// [Camera.CaptureBuffer], [Camera.CaptureImage], [Camera.CaptureMetadata] and
// [Camera.CaptureFile] (JPEG, PNG, or DNG for a raw stream, after the file's
// extension; JPEG and DNG with the frame's EXIF, [CompletedRequest.Exif]).
// [Camera.CaptureTo] writes to an [io.Writer] with [FileOptions] (format,
// quality, EXIF). [MakeFrame] turns bytes and a stream's configuration back
// into a frame (Picamera2's make_array).
//
// A capture called before [Camera.Start] (or after [Camera.Stop]) waits
// for the camera to start, as Picamera2 queues it, as long as its context
// allows; on a closed camera it fails at once with [ErrClosed].
//
// Every call that can block takes a [context.Context]. [Flush] and [After]
// ask for a frame whose exposure started after a time, as Picamera2's
// flush; [WithControls] for a frame queued with given controls.
//
// # Mode switches
//
// [Camera.SwitchMode] (or [Camera.SwitchModeAsync]) reconfigures a running
// camera; the switch-mode captures ([Camera.SwitchModeAndCaptureFrame],
// [Camera.SwitchModeAndCaptureRequest] and the others) capture one frame in
// another mode and switch back, returning the configuration they applied;
// [Camera.StartAndCaptureFiles] is Picamera2's one-shot still helper.
// Requests of an earlier mode stay valid until released, and a switch that
// fails leaves the camera in its previous mode (or, failing that, stopped
// and unconfigured), never in one nobody asked for.
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
// A callback that never returns cannot hang shutdown: [Camera.Close],
// [Camera.Stop] and [Camera.SwitchMode] wait for it at most
// [Options.ShutdownTimeout] ([DefaultShutdownTimeout], 5 s), and
// [Camera.Shutdown] as long as its context allows; then they return a
// [*CallbackStuckError] (matching [ErrCallbackStuck]) naming the callback,
// where it was set and the frame it holds. The camera is stopped or closed
// all the same; the stuck callback's frame stays valid until it returns.
// Calls waiting for frames when the camera closes fail with [ErrClosed]
// (with [ErrNotStarted] when it stops).
//
// # Controls and metadata
//
// [Controls] has typed fields for the common controls and ByName for any
// other; [Camera.SetControls] checks them against the camera's limits
// (a [*ControlError] says which control and what the camera accepts;
// NaN, infinite and negative values are refused whatever the camera) and
// applies them to the next request queued. It returns a [ControlsID];
// [CompletedRequest.ControlsID] tells which frames were queued with it, so
// settings can be matched to frames. [Metadata] has typed accessors
// (SensorTimestamp, ExposureTime, AnalogueGain, ...) and every value by name.
//
// # Asynchronous capture and concurrency
//
// A Camera's methods may be called from any goroutine. Frames go to every
// caller waiting when they arrive; a frame is never handed out twice to
// successive calls. A CompletedRequest may be shared between goroutines;
// give each its own handle with Acquire.
//
// Nothing a program does with frames can stall the camera or run on
// libcamera's thread; the package gives four ways to use frames without
// blocking the rest of the program:
//
// Jobs. Each capture call has an asynchronous form that returns a
// [*Job] at once ([Camera.CaptureRequestAsync], [Camera.CaptureFrameAsync],
// [Camera.CaptureImageAsync], [Camera.CaptureBufferAsync],
// [Camera.CaptureMetadataAsync], [Camera.CaptureFileAsync]): select on
// [Job.Done] beside a network connection or a ticker, then take
// [Job.Result], or call [Job.Wait]. Copies and encoding happen on the
// job's goroutine. Cancelling the job's context (or [Job.Cancel]) abandons
// it and gives back a frame nobody collected; a request collected by Wait
// or Result is the caller's to release.
//
// Streams. [Camera.Frames] (an iterator, releasing each frame after the
// loop body) and [Camera.OpenFrameStream] (a channel, [FrameStream]) feed every
// frame to a consumer through a bounded queue, with a [Policy] for a
// consumer that falls behind: [Block] keeps what is queued and skips new
// frames, [DropOldest] and [Latest] keep the newest. The camera never
// waits for a consumer: a stream holds at most BufferCount-1 buffers
// (queued plus held by its consumer), and a frame that would take the
// camera's last buffer is kept from every stream and queued again at once
// ([Stats.Withheld]), so the camera always has a buffer to capture into.
// Frames a stream does not pass on are counted ([FrameStreamStats],
// [Stats.StreamDropped]) and show as gaps in [CompletedRequest.Sequence].
//
// Ordered parallel processing. [Process] runs a function on consecutive
// frames on several workers and yields the results in frame order, with
// each frame's sequence and timestamp. Frames in flight are bounded
// (below the buffer count), the first error or a cancellation stops every
// worker, and every frame is released before the loop ends. Its workers
// and tasks are made once per loop: a frame costs no allocation.
//
// Callbacks. [Camera.SetPreCallback] and [Camera.SetPostCallback] are
// Picamera2's pre_callback and post_callback. They run on one goroutine
// per started camera, not on libcamera's thread nor on the capture engine,
// so a slow callback delays only the frames it must see first. A panic in
// a callback is recovered, logged with its stack, counted and sent to
// [Camera.CallbackErrors]; the camera goes on.
//
// Each camera has its own capture engine, callback goroutine and streams:
// two cameras run side by side, and a stuck consumer of one does not slow
// the other.
//
// SensorTimestamp is CLOCK_MONOTONIC in nanoseconds; [MonotonicNow] reads
// that clock and [MonotonicTime] converts to time.Time.
package picam
