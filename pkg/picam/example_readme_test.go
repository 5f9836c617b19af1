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

// A first program, the one the README shows (TestREADMEShowsExample keeps
// the two the same): open the first camera, configure it for stills, write
// a JPEG, then read a frame in place, without a copy.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	// Every change libcamera made to the configuration is returned.
	if _, err := cam.Configure(cam.StillConfiguration()); err != nil {
		log.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(os.TempDir(), "test.jpg")
	if _, err := cam.CaptureFile(ctx, path, picam.Main); err != nil {
		log.Fatal(err)
	}

	req, err := cam.CaptureRequest(ctx) // the camera's own buffer, no copy
	if err != nil {
		log.Fatal(err)
	}
	defer req.Release()               // the last release queues the buffer again
	img, err := req.Image(picam.Main) // *picam.NV12, *image.YCbCr, *picam.RGB, ... over the mapped memory
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%T %v\n", img, img.Bounds())
	// Output: *picam.NV12 (0,0)-(1920,1080)
}
