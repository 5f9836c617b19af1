package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video"
)

const vidSynopsis = `Records video, as rpicam-vid does: H.264, MJPEG or YUV420 (--codec, or after
the extension) to a file (.h264, .mjpeg, .yuv bare; .mp4, .mkv, .mov, .ts
through libavformat, H.264 only), to stdout (-o -), or to every client of a
TCP listener (--listen -o tcp://HOST:PORT; play with ffplay tcp://HOST:PORT).
-t is how long (default 5s; 0: until Ctrl-C), --frames how many frames (given
alone, it overrides -t's default, as in rpicam-vid).
--segment D writes a new file every D (-o clip%04d.mp4); --circular N keeps
the last N seconds in memory and saves them to -o, with what follows, on a
trigger: SIGUSR1, or Enter when stdin is a terminal (or at the end if no
trigger came). Ctrl-C finishes the files: an MP4 gets its index and plays.`

type vidFlags struct {
	common
	output    string
	timeout   millis
	frames    int
	codec     string
	bitrate   bitrate
	intra     int
	inline    bool
	profile   string
	quality   int
	segment   millis
	circular  float64
	listen    bool
	container bool // the output's extension names a container
}

func runVid(args []string, out *console) error {
	fs := flag.NewFlagSet("vid", flag.ContinueOnError)
	f := vidFlags{timeout: millis(5 * time.Second)}
	f.register(fs, picam.Size{Width: 640, Height: 480})
	fs.StringVar(&f.output, "o", "", "output: a file, - for stdout, or tcp://HOST:PORT with --listen")
	fs.StringVar(&f.output, "output", "", "the same as -o")
	fs.Var(&f.timeout, "t", "how long to record (ms or a duration; 0: until Ctrl-C)")
	fs.Var(&f.timeout, "timeout", "the same as -t")
	fs.IntVar(&f.frames, "frames", 0, "stop after this many frames (0: no limit)")
	fs.StringVar(&f.codec, "codec", "", "h264, mjpeg or yuv420 (default: after the extension; h264 for - and tcp://)")
	fs.Var(&f.bitrate, "bitrate", "H.264 bits/s, such as 5M (default: constant quality, CRF 23)")
	fs.IntVar(&f.intra, "intra", 0, "H.264 keyframe period in frames (default: one second)")
	fs.BoolVar(&f.inline, "inline", false, "H.264 headers (SPS/PPS) before every keyframe")
	fs.StringVar(&f.profile, "profile", "", "H.264 profile: baseline, main or high")
	fs.IntVar(&f.quality, "quality", 0, "MJPEG quality, 1 to 100 (default 85)")
	fs.Var(&f.segment, "segment", "a new file every this long, cut at keyframes (-o clip%04d.mp4)")
	fs.Float64Var(&f.circular, "circular", 0, "keep the last N seconds in memory; save them to -o on a trigger")
	fs.BoolVar(&f.listen, "listen", false, "with -o tcp://HOST:PORT: listen there and stream to every client")
	if err := parseFlags(fs, args, &console{stdout: out.stdout}, vidSynopsis); err != nil {
		return err
	}
	out.verbose, out.quiet = f.verbose, f.quiet
	if f.frames > 0 && !isSet(fs, "t", "timeout") {
		// The frames decide, however long a slow encoder takes.
		f.timeout = 0
	}
	if err := f.check(out); err != nil {
		return err
	}
	// The listener first: a port in use is an error before the camera starts.
	var tcp *video.TCPOutput
	if f.listen {
		var err error
		if tcp, err = video.ListenTCP(strings.TrimPrefix(f.output, "tcp://")); err != nil {
			return usageErrorf("--listen %s: %v", f.output, err)
		}
		defer tcp.Close() // a no-op once the recording closed it
	}
	cam, err := prepare(&f.common, out, 0, f.videoConfiguration)
	if err != nil {
		return err
	}
	defer cam.Close()
	ctx := newRunContext(0)
	defer ctx.stop()
	if err := startCamera(ctx, cam); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.result(false)
	}
	main, _ := cam.StreamConfiguration(picam.Main)
	return record(ctx, cam, &f, tcp, main.Size, out)
}

// check refuses bad flags and outputs before the camera starts, and fills
// in the codec from the output's extension.
func (f *vidFlags) check(out *console) error {
	if err := f.common.check(); err != nil {
		return err
	}
	if f.frames < 0 || f.intra < 0 || f.circular < 0 {
		return usageErrorf("--frames, --intra and --circular cannot be negative")
	}
	if f.quality != 0 && (f.quality < 1 || f.quality > 100) {
		return usageErrorf("--quality %d: want 1 to 100", f.quality)
	}
	switch f.profile {
	case "", "baseline", "main", "high":
	default:
		return usageErrorf("--profile %q: want baseline, main or high", f.profile)
	}
	switch f.codec {
	case "", "h264", "mjpeg", "yuv420":
	default:
		return usageErrorf("--codec %q: want h264, mjpeg or yuv420", f.codec)
	}
	switch {
	case f.output == "":
		return usageErrorf("no output: -o FILE (.mp4, .mkv, .ts, .h264, .mjpeg, .yuv), -o - or --listen -o tcp://HOST:PORT")
	case f.output == "-":
		if isTerminal(out.stdout) {
			return usageErrorf("-o - writes video to stdout, which is a terminal: redirect it to a file or a program")
		}
		if f.segment > 0 || f.circular > 0 || f.listen {
			return usageErrorf("--segment, --circular and --listen need a file or address, not -o -")
		}
		f.codec = cmpOr(f.codec, "h264")
		return nil
	case strings.Contains(f.output, "://"):
		if !strings.HasPrefix(f.output, "tcp://") {
			return usageErrorf("output %s: only tcp:// addresses are supported (with --listen)", f.output)
		}
		if !f.listen {
			return usageErrorf("output %s: add --listen (picamgo serves the stream; it does not connect out)", f.output)
		}
		if f.segment > 0 || f.circular > 0 {
			return usageErrorf("--segment and --circular write files, not tcp://")
		}
		f.codec = cmpOr(f.codec, "h264")
		return nil
	case f.listen:
		return usageErrorf("--listen needs -o tcp://HOST:PORT (got %s)", f.output)
	}
	if f.segment > 0 && f.circular > 0 {
		return usageErrorf("--segment and --circular do not go together")
	}
	if f.circular > 0 && f.frames > 0 {
		return usageErrorf("--frames does not go with --circular (the trigger decides)")
	}
	ext := strings.ToLower(filepath.Ext(f.output))
	var codec string
	switch ext {
	case ".h264", ".264":
		codec = "h264"
	case ".mjpeg", ".mjpg":
		codec = "mjpeg"
	case ".yuv":
		codec = "yuv420"
	case ".mp4", ".mkv", ".mov", ".ts":
		codec, f.container = "h264", true
	default:
		return usageErrorf("output %s: unknown extension %q (want .mp4, .mkv, .mov, .ts, .h264, .mjpeg or .yuv)", f.output, ext)
	}
	if f.codec != "" && f.codec != codec {
		return usageErrorf("--codec %s does not go in a %s file (%s files take %s)", f.codec, ext, ext, codec)
	}
	f.codec = codec
	name := f.output
	if f.segment > 0 {
		var ok bool
		if name, ok = numbered(f.output, 0); !ok {
			return usageErrorf("--segment needs a numbered output name such as clip%%04d%s (got %s)", ext, f.output)
		}
	} else if n, ok := numbered(f.output, 0); ok && f.circular > 0 {
		name = n // one file per trigger
	}
	return checkWritable(name)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// encoder is the video encoder the flags ask for.
func (f *vidFlags) encoder(rate float64) video.Encoder {
	switch f.codec {
	case "mjpeg":
		return video.MJPEG{Quality: f.quality, FrameRate: rate}
	case "yuv420":
		return video.YUV420{}
	}
	return video.H264{Bitrate: int(f.bitrate), GOP: f.intra, RepeatHeaders: f.inline, Profile: f.profile, FrameRate: rate}
}

// record runs the recording until -t, --frames, Ctrl-C or a failure.
func record(ctx *runContext, cam *picam.Camera, f *vidFlags, tcp *video.TCPOutput, size picam.Size, out *console) error {
	rate := f.framerate
	if rate == 0 {
		rate = fastestRate(cam.CameraControls())
	}
	var (
		output video.Output
		where  string
		circ   *video.Circular
		segs   *video.Segments
	)
	switch {
	case f.output == "-":
		output, where = video.Writer(out.stdout), "stdout"
	case tcp != nil:
		output, where = tcp, "tcp://"+tcp.Addr().String()
		out.infof("listening on tcp://%s (play with: ffplay tcp://%s)", tcp.Addr(), tcp.Addr())
	case f.segment > 0:
		segs = video.NewSegments(f.output, time.Duration(f.segment))
		output, where = segs, f.output
	case f.circular > 0:
		circ = video.NewCircular(time.Duration(f.circular * float64(time.Second)))
		output, where = circ, f.output
	default:
		output, where = video.File(f.output), f.output
	}
	limit := newFirstN(output, f.frames)
	// The recording ends when this function says (Stop), not with ctx: a
	// circular buffer still has to be saved at the end.
	rec, err := video.Start(context.Background(), cam, video.Options{Encoder: f.encoder(rate), Outputs: []video.Output{limit}})
	if err != nil {
		return fmt.Errorf("starting the recording: %w", err)
	}
	started := time.Now()
	var timeout <-chan time.Time
	if f.timeout > 0 {
		timeout = time.After(time.Duration(f.timeout))
	}
	stat := func() status {
		st := rec.Stats()
		s := status{elapsed: time.Since(started), frames: st.Frames, dropped: st.Dropped, bytes: -1}
		if len(st.Outputs) > 0 && f.output != "-" && tcp == nil && circ == nil {
			s.bytes = int64(st.Outputs[0].Bytes)
		}
		return s
	}
	stopProgress := out.startProgress(stat)

	var trig *trigger
	if circ != nil {
		trig = newTrigger(out)
		defer trig.stop()
		out.infof("keeping the last %gs in memory; save with: kill -USR1 %d%s", f.circular, pid(), trig.enterHint())
	}
	var saved []string // files the circular buffer went to
	save := func(why string) error {

		name := f.output
		if n, ok := numbered(f.output, len(saved)); ok {
			name = n
			if len(saved) > 0 {
				if err := circ.StopSave(); err != nil {
					return err
				}
			}
		} else if len(saved) > 0 {
			out.infof("%s: already saving to %s (a %%d in -o makes a file per trigger)", why, name)
			return nil
		}
		// A trigger right at the start finds nothing held yet (ErrInvalid,
		// as no save is in progress here): wait for the first frame.
		for {
			err := circ.Save(video.File(name))
			if err == nil {
				break
			}
			if !errors.Is(err, video.ErrInvalid) {
				return fmt.Errorf("saving the circular buffer to %s: %w", name, err)
			}
			select {
			case <-rec.Done():
				return rec.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
		saved = append(saved, name)
		out.infof("%s: saving %s held before it, and what follows, to %s", why, circ.Buffered().Round(time.Millisecond), name)
		return nil
	}

	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-timeout:
			break loop
		case <-limit.done:
			break loop
		case <-rec.Done():
			break loop
		case why := <-trig.fired():
			if runErr = save(why); runErr != nil {
				break loop
			}
		}
	}
	if circ != nil && len(saved) == 0 && runErr == nil && rec.Stats().Packets > 0 {
		runErr = save("end")
	}
	stopErr := rec.Stop()
	if circ != nil && len(saved) > 0 {
		stopErr = firstErr(stopErr, circ.StopSave())
	}
	stopProgress()
	s := stat()
	s.frames = limit.written(rec.Stats().Frames)
	if segs == nil && circ == nil && s.bytes >= 0 {
		s.bytes = statSize(f.output)
	}
	summary := fmt.Sprintf("recorded %d frames of %v %s in %s (%.1f frames/s), %d dropped", s.frames, size,
		f.codec, clock(s.elapsed), float64(s.frames)/s.elapsed.Seconds(), s.dropped)
	if s.bytes >= 0 {
		summary += ", " + byteSize(s.bytes)
	}
	switch {
	case segs != nil:
		summary += fmt.Sprintf(" in %d files: %s", len(segs.Files()), strings.Join(segs.Files(), " "))
	case circ != nil && len(saved) == 0:
		summary += ", nothing saved (no frame held)"
	case circ != nil:
		summary += "; saved " + strings.Join(saved, " ")
	default:
		summary += " to " + where
	}
	out.infof("%s", summary)
	if err := firstErr(runErr, stopErr); err != nil {
		return err
	}
	return ctx.result(f.timeout == 0 && f.frames == 0)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
