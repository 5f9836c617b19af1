package picam_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

// A capture awaited in a select loop, next to other work (a server
// connection, a ticker): Picamera2's capture_request(wait=False) without
// callbacks on the camera's thread.
func ExampleCamera_CaptureRequestAsync() {
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

	job := cam.CaptureRequestAsync(ctx, picam.Flush())
	defer job.Cancel() // gives the frame back if we leave without collecting it
	heartbeat := time.NewTicker(100 * time.Millisecond)
	defer heartbeat.Stop()
	for {
		select {
		case <-job.Done():
			req, err := job.Result()
			if err != nil {
				log.Fatal(err)
			}
			defer req.Release() // ours now
			img, _ := req.Image(picam.Main)
			fmt.Println("frame", img.Bounds().Size())
			return
		case <-heartbeat.C:
			// the rest of the program goes on meanwhile
		case <-ctx.Done():
			log.Fatal(ctx.Err())
		}
	}
	// Output:
	// frame (640,480)
}

// A stream loop for a consumer that may fall behind: it always gets the
// newest frames, and the camera never waits for it.
func ExampleCamera_Frames() {
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

	n := 0
	var last uint32
	for req, err := range cam.Frames(ctx, picam.FrameStreamOptions{Policy: picam.DropOldest, Buffer: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		// req is released when this iteration ends.
		if n > 0 && req.Sequence() <= last {
			log.Fatal("out of order")
		}
		last = req.Sequence()
		time.Sleep(5 * time.Millisecond) // slow work: frames are dropped, not queued up
		if n++; n == 10 {
			break
		}
	}
	fmt.Println(n, "frames, newest first each time")
	// Output:
	// 10 frames, newest first each time
}

// The program that brought Picamera2 users here: process consecutive
// frames on several cores and send the results, in frame order, to a
// server.
func ExampleProcess() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	cfg := cam.VideoConfiguration() // more buffers: up to BufferCount-1 frames in flight
	cfg.Main.Format = picam.FormatNV12
	cfg.Main.Size = picam.Size{Width: 640, Height: 480}
	if _, err := cam.Configure(cfg); err != nil {
		log.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Mean brightness of each frame, computed on 4 workers.
	brightness := func(ctx context.Context, req *picam.CompletedRequest) (float64, error) {
		f, err := req.Frame(picam.Main)
		if err != nil {
			return 0, err
		}
		var sum int
		for _, y := range f.Planes[0][:int(f.Size.Width)*int(f.Size.Height)] {
			sum += int(y)
		}
		return float64(sum) / float64(f.Size.Width*f.Size.Height), nil
	}
	sent := 0
	var last uint32
	for res, err := range picam.Process(ctx, cam, picam.ProcessOptions{Workers: 4}, brightness) {
		if err != nil {
			log.Fatal(err)
		}
		if sent > 0 && res.Sequence <= last {
			log.Fatal("out of order")
		}
		last = res.Sequence
		_ = res.Value // send(conn, res.Sequence, res.Value) in the real program
		if sent++; sent == 20 {
			break
		}
	}
	fmt.Println(sent, "results in frame order")
	// Output:
	// 20 results in frame order
}

// A pre-callback draws on every frame before anyone sees it; it runs on
// the camera's callback goroutine, and a panic in it does not stop the
// camera.
func ExampleCamera_SetPreCallback() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	cam.SetPreCallback(func(req *picam.CompletedRequest) {
		f, err := req.Frame(picam.Main)
		if err != nil {
			return
		}
		copy(f.Planes[0], []byte{0, 0, 0, 0}) // a mark in the corner
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, _, err := cam.CaptureFrame(ctx, picam.Main, picam.Flush())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Planes[0][:4])
	// Output:
	// [0 0 0 0]
}
