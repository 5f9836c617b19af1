// Command circular keeps the last seconds of H.264 in memory and saves
// them, with what follows, when something happens (Picamera2's
// CircularOutput): on SIGUSR1, after -trigger-after, or when the picture
// changes by more than -motion (the mean luma difference, 0-255, between
// frames a -motion-every apart, sampled on a grid of the frame).
//
//	go run ./examples/circular -buffer 5s -after 5s -trigger-after 8s
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video"
)

func main() {
	out := flag.String("o", "event.mp4", "file to save to")
	buffer := flag.Duration("buffer", 5*time.Second, "how much to keep before a trigger")
	after := flag.Duration("after", 5*time.Second, "how long to go on after the trigger")
	triggerAfter := flag.Duration("trigger-after", 0, "trigger after this long (0: never)")
	motion := flag.Float64("motion", 0, "trigger when the mean luma difference exceeds this (0: off)")
	every := flag.Duration("motion-every", 500*time.Millisecond, "compare frames this far apart")
	fps := flag.Float64("fps", 30, "at most this many frames per second (paces the virtual camera)")
	flag.Parse()
	if err := run(*out, *buffer, *after, *triggerAfter, *motion, *every, *fps); err != nil {
		log.Fatal(err)
	}
}

func run(out string, buffer, after, triggerAfter time.Duration, motion float64, every time.Duration, fps float64) error {
	cam, err := picam.OpenWith(picam.Options{MaxFrameRate: fps})
	if err != nil {
		return err
	}
	defer cam.Close()
	cfg := cam.VideoConfiguration()
	cfg.Main = picam.StreamConfig{Size: picam.Size{Width: 1280, Height: 720}, Format: picam.FormatNV12}
	if _, err := cam.Configure(cfg); err != nil {
		return err
	}
	if err := cam.Start(); err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	circ := video.NewCircular(buffer)
	// A keyframe every second: the saved file starts at most a second
	// before the buffer's span.
	rec, err := video.Start(ctx, cam, video.Options{Encoder: video.H264{GOP: int(fps), FrameRate: fps}, Outputs: []video.Output{circ}})
	if err != nil {
		return err
	}
	defer rec.Stop()

	trigger := make(chan string, 1)
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		var timer <-chan time.Time
		if triggerAfter > 0 {
			timer = time.After(triggerAfter)
		}
		select {
		case <-usr1:
			trigger <- "SIGUSR1"
		case <-timer:
			trigger <- "timer"
		case <-ctx.Done():
		}
	}()
	if motion > 0 {
		go watchMotion(ctx, cam, motion, every, trigger)
	}
	log.Printf("recording into a %v buffer; waiting for a trigger", buffer)
	select {
	case why := <-trigger:
		log.Printf("trigger (%s): saving %v held, and %v more, to %s", why, circ.Buffered(), after, out)
	case <-ctx.Done():
		return nil
	case <-rec.Done():
		return rec.Err()
	}
	if err := circ.Save(video.File(out)); err != nil {
		return err
	}
	select {
	case <-time.After(after):
	case <-ctx.Done():
	}
	if err := circ.StopSave(); err != nil {
		return err
	}
	st := rec.Stats()
	fmt.Printf("saved %s; %d frames encoded, %d dropped\n", out, st.Frames, st.Dropped)
	return rec.Stop()
}

// watchMotion compares the luma of frames every apart, on a 32x18 grid.
func watchMotion(ctx context.Context, cam *picam.Camera, threshold float64, every time.Duration, trigger chan<- string) {
	var prev []byte
	next := time.Now()
	for req, err := range cam.Frames(ctx, picam.FrameStreamOptions{Policy: picam.Latest}) {
		if err != nil {
			return
		}
		if time.Now().Before(next) {
			continue
		}
		next = time.Now().Add(every)
		f, err := req.Frame(picam.Main)
		if err != nil || len(f.Planes) == 0 {
			continue
		}
		w, h := int(f.Size.Width), int(f.Size.Height)
		grid := make([]byte, 0, 32*18)
		for gy := range 18 {
			for gx := range 32 {
				grid = append(grid, f.Planes[0][(gy*h/18)*f.Stride+gx*w/32])
			}
		}
		if prev != nil {
			sum := 0.0
			for i, v := range grid {
				d := int(v) - int(prev[i])
				sum += float64(max(d, -d))
			}
			if mean := sum / float64(len(grid)); mean > threshold {
				select {
				case trigger <- fmt.Sprintf("motion %.1f", mean):
				default:
				}
				return
			}
		}
		prev = grid
	}
}
