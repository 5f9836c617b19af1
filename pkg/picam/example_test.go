package picam_test

import (
	"context"
	"fmt"
	"image"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

// The test cameras of testdata/virtual.yaml.
func ExampleGlobalCameraInfo() {
	cams, err := picam.GlobalCameraInfo()
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cams {
		fmt.Printf("%d: %s (%s, %s)\n", c.Index, c.Model, c.ID, c.Location)
	}
	// Output:
	// 0: picamgo virtual bars (picamgo-bars, front)
	// 1: picamgo virtual lines (picamgo-lines, back)
}

// Picamera2's capture_jpeg.py: configure for stills, start, write a JPEG.
func Example_capture() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if _, err := cam.Configure(cam.StillConfiguration()); err != nil {
		log.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	path := filepath.Join(os.TempDir(), "test.jpg")
	md, err := cam.CaptureFile(ctx, path, picam.Main)
	if err != nil {
		log.Fatal(err)
	}
	ts, _ := md.SensorTimestamp()
	fmt.Println("wrote", path, "sensor timestamp", ts)
}

// Picamera2's capture_request: the frame is the camera's own buffer, with
// no copy, until Release.
func ExampleCamera_CaptureRequest() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil { // configures the preview configuration
		log.Fatal(err)
	}
	req, err := cam.CaptureRequest(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer req.Release()
	img, err := req.Image(picam.Main) // a view: *picam.NV12 on the virtual camera
	if err != nil {
		log.Fatal(err)
	}
	md, _ := req.Metadata()
	fmt.Println(img.Bounds(), req.Sequence(), md)
}

// What Configure reports when the camera cannot give what was asked: the
// virtual camera only produces NV12.
func ExampleCamera_Configure() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	cfg := cam.PreviewConfiguration()
	cfg.Strict = true
	_, err = cam.Configure(cfg)
	fmt.Println("strict:", err != nil)

	cfg.Strict = false
	adj, err := cam.Configure(cfg)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range adj {
		if a.Field == "PixelFormat" {
			fmt.Println(a)
		}
	}
	applied, _ := cam.Configuration()
	fmt.Println(applied.Main, "stride", applied.Main.Stride)
	// Output:
	// strict: true
	// main PixelFormat: XBGR8888 -> NV12
	// 640x480-NV12 stride 640
}

// Picamera2's controls examples: set controls, then find the first frame
// queued with them.
func ExampleCamera_SetControls() {
	cam, err := picam.Open(1)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	id, _, err := cam.SetControls(picam.Controls{FrameRate: new(20.0)})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	req, err := cam.CaptureRequest(ctx, picam.WithControls(id))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("controls first rode on frame", req.Sequence())
	req.Release()

	// A rate beyond the camera's limits is clamped to them, and said so;
	// a control the camera lacks is refused.
	_, adjusted, err := cam.SetControls(picam.Controls{FrameRate: new(120.0)})
	fmt.Println(adjusted, err)
	_, _, err = cam.SetControls(picam.Controls{ExposureTime: new(10 * time.Millisecond)})
	fmt.Println(err)
	// What the program has set, as Picamera2's picam2.controls.
	fmt.Println(cam.Controls())
}

// Picamera2's capture_request(flush=True): a frame that started after the call.
func ExampleFlush() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	before := picam.MonotonicNow()
	req, err := cam.CaptureRequest(context.Background(), picam.Flush())
	if err != nil {
		log.Fatal(err)
	}
	defer req.Release()
	fmt.Println(req.SensorTimestamp() >= before)
	// Output: true
}

// Picamera2's capture_array: a copy that outlives the request.
func ExampleCamera_CaptureFrame() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	frame, _, err := cam.CaptureFrame(context.Background(), picam.Main)
	if err != nil {
		log.Fatal(err)
	}
	rgba, err := frame.RGBA()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(frame.Format, rgba.Bounds())
	// Output: NV12 (0,0)-(640,480)
}

// Keeping a frame past its release in memory kept from an earlier copy.
func ExampleFrame_CloneInto() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	var kept picam.Frame // reused by every CloneInto
	for range 3 {
		req, err := cam.CaptureRequest(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		view, err := req.Frame(picam.Main)
		if err != nil {
			log.Fatal(err)
		}
		view.CloneInto(&kept)
		req.Release() // kept stays valid: it is a copy
	}
	fmt.Println(kept.Format, kept.Size, kept.Mapped, kept.Len())
	// Output: NV12 640x480 false 460800
}

// Copying every frame into the same Frame: after the first, no new memory
// per frame, and the copy runs at memory speed.
func ExampleCamera_CaptureFrameInto() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	var frame picam.Frame
	for range 3 {
		if _, err := cam.CaptureFrameInto(context.Background(), &frame, picam.Main); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(frame.Format, frame.Size, frame.Mapped)
	// Output: NV12 640x480 false
}

// Picamera2's still_during_video.py: switch to the still mode for one
// capture and back.
func ExampleCamera_SwitchModeAndCaptureFile() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if _, err := cam.Configure(cam.VideoConfiguration()); err != nil {
		log.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), "still.png")
	if _, err := cam.SwitchModeAndCaptureFile(context.Background(), cam.StillConfiguration(), path, picam.Main); err != nil {
		log.Fatal(err)
	}
}

// Picamera2's MappedArray: reading pixels in place, without a copy.
func ExampleNV12() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	req, err := cam.CaptureRequest(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer req.Release()
	img, err := req.Image(picam.Main)
	if err != nil {
		log.Fatal(err)
	}
	if nv, ok := img.(*picam.NV12); ok {
		// Mean brightness of the frame.
		sum := 0
		b := nv.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for _, v := range nv.Y[y*nv.YStride : y*nv.YStride+b.Dx()] {
				sum += int(v)
			}
		}
		fmt.Println("mean Y", sum/(b.Dx()*b.Dy()))
	}
	_ = image.Image(img)
}

// Picamera2's sync_server.py, on a Raspberry Pi with Raspberry Pi's
// libcamera: lead the cameras of other Pis (clients) and wait for the frame
// they all agreed to start on. (Not run: the virtual camera has no rpi::
// controls, so SetControls refuses SyncMode there.)
func ExampleControls_syncMode() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	if _, _, err := cam.SetControls(picam.Controls{SyncMode: new(picam.SyncModeServer)}); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for {
		md, err := cam.CaptureMetadata(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if ready, _ := md.SyncReady(); ready {
			break
		}
		if left, ok := md.SyncTimer(); ok {
			fmt.Println("in step in", left)
		}
	}
	fmt.Println("in step")
}
