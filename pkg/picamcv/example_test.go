package picamcv_test

import (
	"context"
	"fmt"
	"image"
	"log"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/picamcv"
	"gocv.io/x/gocv"
)

// A frame as a Mat without a copy, its grey part, and a BGR copy. The
// output is that of the virtual camera of the tests.
func ExampleNewFrameMat() {
	cam, err := picam.OpenID("picamgo-bars")
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	cfg := cam.PreviewConfiguration()
	cfg.Main.Size = picam.Size{Width: 640, Height: 480}
	cfg.Main.Format = picam.FormatNV12
	cfg.ColorSpace = nil // the camera's own; see "Colours" in the package doc
	if _, err := cam.Configure(cfg); err != nil {
		log.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	r, err := cam.CaptureRequest(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fm, err := picamcv.NewFrameMat(r, picam.Main)
	r.Release() // fm keeps the frame until its Close
	if err != nil {
		log.Fatal(err)
	}
	defer fm.Close()

	yuv, err := fm.Mat() // the camera's buffer; fm's, not to Close
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("view:", yuv.Type(), yuv.Cols(), "x", yuv.Rows(), "zero copy:", fm.ZeroCopy())

	grey := yuv.Region(image.Rect(0, 0, 640, 480)) // the Y plane, still no copy
	defer grey.Close()
	fmt.Println("grey:", grey.Type(), grey.Cols(), "x", grey.Rows())

	bgr, err := fm.BGR() // a copy, ours to Close
	if err != nil {
		log.Fatal(err)
	}
	defer bgr.Close()
	fmt.Println("bgr:", bgr.Type(), bgr.Cols(), "x", bgr.Rows())
	// Output:
	// view: CV8U 640 x 720 zero copy: true
	// grey: CV8U 640 x 480
	// bgr: CV8UC3 640 x 480
}

// One BGR copy per frame, into one Mat, for a processing loop.
func ExampleBGRTo() {
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
	bgr := gocv.NewMat()
	defer bgr.Close()
	for range 10 {
		r, err := cam.CaptureRequest(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		err = picamcv.BGRTo(r, picam.Main, &bgr)
		r.Release()
		if err != nil {
			log.Fatal(err)
		}
		// ... process bgr
	}
	fmt.Println("bgr:", bgr.Type(), bgr.Cols(), "x", bgr.Rows())
	// Output:
	// bgr: CV8UC3 1920 x 1080
}
