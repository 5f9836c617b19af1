package picam_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

// Picamera2's switch_mode_and_capture_array: a full-resolution still taken
// from a running preview, with the configuration it was taken in.
func ExampleCamera_SwitchModeAndCaptureFrame() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, mode, err := cam.SwitchModeAndCaptureFrame(ctx, cam.StillConfiguration(), picam.Main, 2)
	if err != nil {
		log.Fatal(err)
	}
	cfg, _ := cam.Configuration()
	fmt.Println("still:", f.Size, mode.Configuration.Main.Format, "- back in", cfg.UseCase)
	// Output: still: 1920x1080 NV12 - back in preview
}

// Picamera2's switch_mode_and_capture_request: the still request stays
// valid back in preview mode, until released.
func ExampleCamera_SwitchModeAndCaptureRequest() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, _, err := cam.SwitchModeAndCaptureRequest(ctx, cam.StillConfiguration(), 0)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Release()
	if _, err := cam.CaptureMetadata(ctx); err != nil { // the preview runs
		log.Fatal(err)
	}
	f, err := r.Frame(picam.Main)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("kept:", f.Size)
	// Output: kept: 1920x1080
}

// Picamera2's start_and_capture_files: a preview phase, then three stills
// half a second apart, and the camera stopped.
func ExampleCamera_StartAndCaptureFiles() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "stills")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	names, err := cam.StartAndCaptureFiles(ctx, filepath.Join(dir, "image%03d.jpg"), 3,
		picam.StartCaptureOptions{InitialDelay: time.Second, Delay: time.Second / 2})
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range names {
		fmt.Println(filepath.Base(n))
	}
	fmt.Println("running:", cam.Started())
	// Output:
	// image000.jpg
	// image001.jpg
	// image002.jpg
	// running: false
}

// Picamera2's switch_mode(cfg, wait=False): the switch runs as a Job while
// the program does something else.
func ExampleCamera_SwitchModeAsync() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	job := cam.SwitchModeAsync(ctx, cam.VideoConfiguration())
	// ... other work ...
	if _, err := job.Wait(ctx); err != nil {
		log.Fatal(err)
	}
	cfg, _ := cam.Configuration()
	fmt.Println(cfg.UseCase, cam.Started())
	// Output: video true
}
