// Command picamgo is picamgo's command-line tool: what rpicam-apps do
// (rpicam-hello --list-cameras, rpicam-still, rpicam-vid) plus a live view
// web page and a capture-loop benchmark, with flag names close to
// rpicam-apps' where they mean the same.
//
//	picamgo list                              cameras, modes, controls with limits
//	picamgo still -o a.jpg                    a still after -t (1s), --immediate, --timelapse
//	picamgo still -r -o a.jpg                 the same and a.dng, the raw frame (a Bayer sensor)
//	picamgo vid -t 10s -o a.mp4               H.264/MJPEG/YUV420 to a file, stdout or TCP
//	picamgo vid -t 0 --listen -o tcp://0.0.0.0:8888
//	picamgo vid -t 0 --circular 5 -o event.mp4   the last 5 s, saved on SIGUSR1 or Enter
//	picamgo serve --addr :8000                live view (MJPEG) in a browser
//	picamgo bench --width 1920 --height 1080  frames/s and CPU per frame
//
// `picamgo help` lists the commands and exit codes, `picamgo COMMAND -h`
// a command's flags (-name and --name are the same).
//
// # Behaviour common to every command
//
// Flags and output paths are checked before the camera starts: an unknown
// extension, a missing or read-only directory, a port in use fail at once.
// A camera index or id that does not exist fails with the list of the
// cameras there are. A size the camera adjusts is reported on one line
// ("camera X gives main 1920x1080 instead of 641x479"), and refused with
// --strict. libcamera's own log is kept to warnings (LIBCAMERA_LOG_LEVELS
// is set before its camera manager starts; a value in the environment
// wins); where there is no dma-buf provider (no /dev/dma_heap, no
// /dev/udmabuf: a PC running the virtual camera) libcamera's
// DmaBufAllocator category is kept to FATAL, as its "Could not open any
// dma-buf provider" errors are harmless there (picam takes memfd buffers).
// -v shows libcamera's INFO log and every configuration adjustment, -v -v
// its DEBUG log. On a terminal, long work shows a progress line redrawn in
// place (elapsed, frames, frames/s, dropped, file size); elsewhere only
// plain lines; -q prints errors only. Messages go to stderr, so that
// `vid -o -` can put the stream on stdout.
//
// The camera is paced to --framerate, or else to the fastest rate its
// FrameDurationLimits allow (picam's Options.MaxFrameRate). A real camera
// paces itself and is never held back by this; libcamera's virtual camera
// does not pace at all, and would otherwise deliver frames as fast as the
// machine allows, which makes every number meaningless on hardware.
// bench --unpaced measures that case.
//
// The first frames after the camera starts (one per buffer) are let go by
// before a still, recording or benchmark: the virtual camera completes them
// all at once, and a real camera's are still finding their exposure.
//
// Ctrl-C (or SIGTERM) ends the work cleanly: a recording's files are
// finished (an MP4 gets its index and plays), a circular buffer is saved.
// A second Ctrl-C kills at once.
//
// # Exit codes
//
//	0    done (also Ctrl-C ending a command that runs until interrupted: -t 0, serve)
//	1    failed after the camera started (camera, encoder, disk, network)
//	2    bad flags or output paths (checked before the camera starts)
//	3    no camera, or no camera with the index or id given (the valid ones are listed)
//	4    the camera cannot do what was asked (a size it adjusts, with --strict; a control out of its limits)
//	130  interrupted (Ctrl-C or SIGTERM) before a set end; the files written are complete
//
// # Where it lives
//
// picamgo is a module of its own, github.com/picamgo/picamgo/cmd/picamgo,
// with replace directives to the repository's root and to pkg/video, as
// pkg/video has to the root. It records through pkg/video, which needs
// FFmpeg and TurboJPEG, so it cannot be in the root module (whose `go
// build ./...` needs nothing but libcamera). It is not inside pkg/video's
// module either: that one is a library, and a command's tests (which build
// the binary and decode its files with ffprobe) and its terminal dependency
// (golang.org/x/sys) do not belong in a library's module. From a clone:
//
//	cd cmd/picamgo && go install .
//
// (`go install …@version` refuses modules with replace directives; it works
// once picamgo's modules are tagged.) Build dependencies: libcamera-dev,
// libavcodec-dev, libavformat-dev, libavutil-dev, libturbojpeg0-dev,
// pkg-config, g++.
package main
