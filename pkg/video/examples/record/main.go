// Command record records H.264 from a camera into a file for a while:
// Picamera2's start_and_record_video, or rpicam-vid -t 10000 -o clip.mp4.
//
//	go run ./examples/record -o clip.mp4 -seconds 10
//
// The container follows the extension: .mp4, .mkv, .ts, or .h264 for the
// bare stream. The virtual camera has no pacing of its own: -fps paces it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video"
)

func main() {
	out := flag.String("o", "clip.mp4", "output file (.mp4, .mkv, .ts, .h264, .mjpeg)")
	seconds := flag.Float64("seconds", 10, "how long to record")
	width := flag.Int("width", 1920, "frame width")
	height := flag.Int("height", 1080, "frame height")
	fps := flag.Float64("fps", 30, "at most this many frames per second (paces the virtual camera)")
	bitrate := flag.Int("bitrate", 0, "H.264 bitrate in bits/s (0: quality mode, CRF 23)")
	preset := flag.String("preset", "", "libx264 preset (default ultrafast)")
	mjpeg := flag.Bool("mjpeg", false, "encode MJPEG instead of H.264")
	flag.Parse()
	if err := run(*out, time.Duration(*seconds*float64(time.Second)), *width, *height, *fps, *bitrate, *preset, *mjpeg); err != nil {
		log.Fatal(err)
	}
}

func run(out string, d time.Duration, w, h int, fps float64, bitrate int, preset string, mjpeg bool) error {
	cam, err := picam.OpenWith(picam.Options{MaxFrameRate: fps})
	if err != nil {
		return err
	}
	defer cam.Close()
	cfg := cam.VideoConfiguration()
	cfg.Main = picam.StreamConfig{Size: picam.Size{Width: uint32(w), Height: uint32(h)}, Format: picam.FormatNV12}
	if _, err := cam.Configure(cfg); err != nil {
		return err
	}
	if err := cam.Start(); err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, d)
	defer cancelT()
	var enc video.Encoder = video.H264{Bitrate: bitrate, Preset: preset, FrameRate: fps}
	if mjpeg {
		enc = video.MJPEG{FrameRate: fps}
	}
	start := time.Now()
	rec, err := video.Start(ctx, cam, video.Options{Encoder: enc, Outputs: []video.Output{video.File(out)}})
	if err != nil {
		return err
	}
	<-rec.Done()
	st := rec.Stats()
	fmt.Printf("%s: %d frames in %.1f s, %d dropped, %d bytes\n", out, st.Frames, time.Since(start).Seconds(), st.Dropped, st.Bytes)
	return rec.Err()
}
