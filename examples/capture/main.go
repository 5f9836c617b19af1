// Command capture is picamgo's main job: it lists the cameras, captures
// frames from one of them, reports the frame rate and saves the last frame.
//
// Without camera hardware, run it where libcamera's virtual camera exists
// (make capture does that in the test root). On a Raspberry Pi it uses the
// real camera:
//
//	go run ./examples/capture -frames 100 -size 1280x720 -o frame.jpg
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/picamgo/picamgo/libcamera"
	"github.com/picamgo/picamgo/pkg/picam"
)

func main() {
	camera := flag.String("camera", "0", "camera index or id")
	sizeFlag := flag.String("size", "640x480", "frame size, WIDTHxHEIGHT")
	frames := flag.Int("frames", 300, "frames to capture")
	out := flag.String("o", "frame.png", "where to save the last frame (.png, .jpg; empty: don't save)")
	flag.Parse()

	var size picam.Size
	if _, err := fmt.Sscanf(*sizeFlag, "%dx%d", &size.Width, &size.Height); err != nil {
		log.Fatalf("bad -size %q: %v", *sizeFlag, err)
	}
	if *frames < 1 {
		log.Fatalf("bad -frames %d: want at least 1", *frames)
	}
	if os.Getenv("LIBCAMERA_LOG_LEVELS") == "" {
		// libcamera logs every configuration at INFO; keep warnings and errors.
		libcamera.SetLogLevel("*", libcamera.LogWarn)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *camera, size, *frames, *out); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, which string, size picam.Size, frames int, out string) error {
	infos, err := picam.GlobalCameraInfo()
	if err != nil {
		return err
	}
	if len(infos) == 0 {
		return fmt.Errorf("no camera found (without hardware, `make capture` uses libcamera's virtual camera)")
	}
	fmt.Printf("libcamera %s, %d camera(s):\n", libcamera.Version(), len(infos))
	for _, c := range infos {
		fmt.Printf("  %d: %s (%s, %s)\n", c.Index, c.Model, c.ID, c.Location)
	}

	// Adjustments are printed below; the library's log keeps to warnings.
	opts := picam.Options{ID: which, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if i, err := strconv.Atoi(which); err == nil {
		opts = picam.Options{Index: i, Logger: opts.Logger}
	}
	cam, err := picam.OpenWith(opts)
	if err != nil {
		return err
	}
	defer cam.Close()

	cfg := cam.VideoConfiguration()
	cfg.Main.Size = size
	adjusted, err := cam.Configure(cfg)
	if err != nil {
		return err
	}
	for _, a := range adjusted {
		fmt.Println("libcamera adjusted", a)
	}
	main, err := cam.StreamConfiguration(picam.Main)
	if err != nil {
		return err
	}
	fmt.Printf("capturing %d frames from %s at %v %v\n", frames, cam.Info().Model, main.Size, main.Format)
	if err := cam.Start(); err != nil {
		return err
	}
	defer cam.Stop()

	start := time.Now()
	var firstSeq uint32
	var firstTime time.Time
	var last *picam.CompletedRequest
	for n := range frames {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		req, err := cam.CaptureRequest(wctx)
		cancel()
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		if n == 0 {
			firstSeq, firstTime = req.Sequence(), req.Time()
		}
		if n == frames-1 {
			last = req // held: its buffer stays out of the camera until Release
			break
		}
		req.Release()
	}
	elapsed := time.Since(start)
	defer last.Release()
	fmt.Printf("%d frames in %v: %.1f frames/s, sequence %d to %d, sensor time span %v\n",
		frames, elapsed.Round(time.Millisecond), float64(frames)/elapsed.Seconds(),
		firstSeq, last.Sequence(), last.Time().Sub(firstTime).Round(time.Microsecond))
	if out != "" {
		// The encoder reads the camera's buffer in place, on this goroutine.
		if err := last.Save(out, picam.Main, 90); err != nil {
			return err
		}
		fmt.Println("saved frame", last.Sequence(), "to", out)
	}
	return nil
}
