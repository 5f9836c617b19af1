// Package video records and streams a picam camera: Picamera2's encoders
// and outputs in Go's idiom.
//
//	rec, err := video.Start(ctx, cam, video.Options{
//		Stream:  picam.Main,
//		Encoder: video.H264{Bitrate: 5_000_000},
//		Outputs: []video.Output{video.File("clip.mp4")},
//	})
//	...
//	err = rec.Stop() // the MP4 gets its index; Stop returns any error
//
// # Encoders
//
// [H264] goes through FFmpeg's libavcodec: the hardware encoder
// h264_v4l2m2m where it opens (Raspberry Pi 4), otherwise libx264
// (Raspberry Pi 5 and PCs, as Picamera2 there). [MJPEG] compresses each
// frame with libjpeg-turbo (TurboJPEG). [YUV420] passes frames on
// uncompressed. All three read the camera's NV12 or YUV420 planes as
// they are, with no RGB conversion: H.264 copies the frame as it arrives,
// releases the request at once, and encodes the copy on another goroutine
// (up to [Options].EncoderQueue copies wait, so a busy moment costs no
// frame); MJPEG compresses straight from the camera's buffer. The
// encoders themselves, without a camera, are in package codec.
//
// H.264 keeps out of the program's way: libavcodec runs on a thread of its
// own, not one of Go's (a goroutine waits for each frame's packets on an
// eventfd, holding no Go thread), and that thread and libx264's run niced
// by 10 ([H264].Nice), so that a control loop's goroutine or the camera's
// completions run before the encoder when they wake.
//
// # Timestamps and drops
//
// A packet's PTS is its frame's SensorTimestamp less the first frame's, in
// microseconds (the MP4 track's timescale is 1 MHz): the file's times are
// the sensor's. The camera never waits for an encoder: a recording takes
// frames through a picam.FrameStream with a bounded queue; a frame that
// finds it (or H.264's queue of copies) full is not recorded, and counted
// in [Stats].Dropped (gaps in the packets' Sequence show where). Its
// timestamp gap stays in the file.
//
// # Outputs
//
// Each output runs on a goroutine of its own behind a bounded queue, so a
// slow disk or network holds up neither the encoder nor the other outputs;
// one that falls behind skips packets (counted; for H.264 up to the next
// keyframe, so that what it writes still decodes). An output that fails
// (a full disk, a closed connection) ends with its error
// ([OutputStats].Err, [Recording.Err]) and the rest go on.
//
//   - [Writer]: the bare stream to any io.Writer (H.264 Annex B, JPEGs one
//     after the other, raw frames).
//   - [File]: a file in the container its extension names, through
//     libavformat (.mp4, .mkv, .mov, .ts) or bare (.h264, .mjpeg, .yuv);
//     [Container]: a container to an io.Writer.
//   - [Segments]: a new file every N seconds, cut at keyframes.
//   - [Circular]: the last N seconds in memory, saved on a trigger.
//   - [ListenTCP]: the stream to every client of a TCP listener.
//   - [MJPEGHandler]: an http.Handler serving MJPEG to browsers.
//
// Several recordings may run at once on one camera (H.264 of the main
// stream to a file while MJPEG of the lores stream goes to a web page);
// each has its own encoder, goroutines and picam stream.
//
// # Not supported
//
// Audio; hardware MJPEG and the V4L2 encoders driven directly (as
// Picamera2's V4L2Encoder, zero-copy from the camera's dmabufs); RGB
// streams (configure NV12 or YUV420); HLS, RTSP and WebRTC; UDP output.
package video
