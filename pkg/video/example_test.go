package video_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video"
)

// startVideoCamera opens camera 0 with Picamera2's video configuration
// (NV12 main stream) and starts it.
func startVideoCamera() *picam.Camera {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := cam.Configure(cam.VideoConfiguration()); err != nil {
		log.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	return cam
}

// Record ten seconds of H.264 to an MP4 file (Picamera2's
// start_and_record_video).
func ExampleStart() {
	cam := startVideoCamera()
	defer cam.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := video.Start(ctx, cam, video.Options{
		Encoder: video.H264{Bitrate: 5_000_000},
		Outputs: []video.Output{video.File("clip.mp4")},
	})
	if err != nil {
		log.Fatal(err)
	}
	<-rec.Done() // the context ends it
	if err := rec.Err(); err != nil {
		log.Fatal(err)
	}
	st := rec.Stats()
	log.Printf("%d frames, %d dropped, %d bytes", st.Frames, st.Dropped, st.Bytes)
}

// Serve the camera to browsers as MJPEG while recording H.264 to a file.
func ExampleMJPEGHandler() {
	cam := startVideoCamera()
	defer cam.Close()
	ctx := context.Background()
	live := video.NewMJPEGHandler()
	web, err := video.Start(ctx, cam, video.Options{Encoder: video.MJPEG{Quality: 80}, Outputs: []video.Output{live}})
	if err != nil {
		log.Fatal(err)
	}
	defer web.Stop()
	rec, err := video.Start(ctx, cam, video.Options{Encoder: video.H264{}, Outputs: []video.Output{video.File("clip.mkv")}})
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Stop()
	http.Handle("/stream.mjpg", live)
	log.Fatal(http.ListenAndServe(":8000", nil))
}

// Keep the last five seconds in memory and save them, and what follows,
// on Ctrl-C (os.Interrupt).
func ExampleCircular() {
	cam := startVideoCamera()
	defer cam.Close()
	circ := video.NewCircular(5 * time.Second)
	rec, err := video.Start(context.Background(), cam, video.Options{
		Encoder: video.H264{GOP: 30}, // a keyframe every second: the saved file starts at most 1 s early
		Outputs: []video.Output{circ},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Stop()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	if err := circ.Save(video.File("event.mp4")); err != nil {
		log.Fatal(err)
	}
	time.Sleep(10 * time.Second)
	if err := circ.StopSave(); err != nil {
		log.Fatal(err)
	}
}

// Stream H.264 to TCP clients (rpicam-vid --listen): ffplay tcp://host:8888.
func ExampleListenTCP() {
	cam := startVideoCamera()
	defer cam.Close()
	out, err := video.ListenTCP(":8888")
	if err != nil {
		log.Fatal(err)
	}
	rec, err := video.Start(context.Background(), cam, video.Options{
		Encoder: video.H264{RepeatHeaders: true},
		Outputs: []video.Output{out},
	})
	if err != nil {
		log.Fatal(err)
	}
	<-rec.Done()
}

// Record at libx264's fast preset beside a 1 kHz control loop: the encoder
// runs niced by 10 (the default; 19 here, the lowest), so the loop's
// goroutine runs first whenever it wakes, and the encoder takes the time
// the program leaves.
func ExampleH264_nice() {
	cam := startVideoCamera()
	defer cam.Close()
	rec, err := video.Start(context.Background(), cam, video.Options{
		Encoder: video.H264{Preset: "fast", Nice: 19},
		Outputs: []video.Output{video.File("clip.mp4")},
	})
	if err != nil {
		log.Fatal(err)
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for range 10_000 { // ten seconds of control loop
		<-tick.C
	}
	if err := rec.Stop(); err != nil {
		log.Fatal(err)
	}
}
