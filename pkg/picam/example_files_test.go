package picam_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

// Picamera2's capture_file(io.BytesIO(), format="jpeg"): a JPEG in memory,
// with the frame's EXIF, for a web server or a socket.
func ExampleCamera_CaptureTo() {
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
	var buf bytes.Buffer
	if _, err := cam.CaptureTo(ctx, &buf, picam.Main, picam.FileOptions{Format: "jpeg", Quality: 80}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("JPEG with EXIF:", bytes.HasPrefix(buf.Bytes(), []byte("\xff\xd8\xff\xe1")))
	// Output: JPEG with EXIF: true
}

// The EXIF a JPEG or DNG of a frame gets; change it and pass it in
// FileOptions to write your own.
func ExampleCompletedRequest_Exif() {
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
	r, err := cam.CaptureRequest(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Release()
	exif, err := r.Exif()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(exif.Model, "/", exif.Software, "/", exif.Orientation)
	exif.Make = "ACME"
	path := filepath.Join(os.TempDir(), "exif.jpg")
	if err := r.SaveWith(path, picam.Main, picam.FileOptions{Exif: &exif}); err != nil {
		log.Fatal(err)
	}
	// Output: picamgo virtual bars / picamgo / Rotate0
}

// Picamera2's capture_file("a.dng", name="raw") is cam.CaptureFile(ctx,
// "a.dng", picam.Raw); a raw frame from elsewhere (here made up: 12-bit
// Bayer samples, two bytes each) is written with EncodeWith.
func ExampleFrame_EncodeWith() {
	format, err := picam.ParsePixelFormat("SRGGB12")
	if err != nil {
		log.Fatal(err)
	}
	const w, h = 32, 16
	f := picam.Frame{Stream: picam.Raw, Format: format, Size: picam.Size{Width: w, Height: h},
		Stride: 2 * w, Planes: [][]byte{make([]byte, 2*w*h)}}
	var buf bytes.Buffer
	if err := f.EncodeWith(&buf, picam.FileOptions{Format: "dng"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("TIFF header:", bytes.HasPrefix(buf.Bytes(), []byte("II*\x00")))
	// Output: TIFF header: true
}

// Picamera2's Transform(hflip=1, transpose=1) is a quarter turn clockwise.
func ExampleTransform() {
	o := picam.Transform(true, false, true)
	fmt.Println(o, "undone by", o.Inverse())
	fmt.Println(picam.Flip(true, true), "=", picam.Rotate90.Then(picam.Rotate90))
	h, v, tr := picam.Rotate270.Flips()
	fmt.Println("Rotate270: hflip", h, "vflip", v, "transpose", tr)
	// Output:
	// Rotate90 undone by Rotate270
	// Rotate180 = Rotate180
	// Rotate270: hflip false vflip true transpose true
}

// Picamera2's helpers.make_array(buffer, config): the bytes of a frame
// (from CaptureBuffer, or received from elsewhere) and the stream's
// configuration give the frame back, planes split, without a copy.
func ExampleMakeFrame() {
	cam, err := picam.Open(0)
	if err != nil {
		log.Fatal(err)
	}
	defer cam.Close()
	cfg := cam.PreviewConfiguration()
	cfg.Main = picam.StreamConfig{Size: picam.Size{Width: 640, Height: 480}, Format: picam.FormatNV12}
	if _, err := cam.Configure(cfg); err != nil {
		log.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	buf, err := cam.CaptureBuffer(ctx, picam.Main)
	if err != nil {
		log.Fatal(err)
	}
	sc, err := cam.StreamConfiguration(picam.Main)
	if err != nil {
		log.Fatal(err)
	}
	f, err := picam.MakeFrame(buf, sc)
	if err != nil {
		log.Fatal(err)
	}
	img, err := f.Image()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d planes, %T %v\n", len(f.Planes), img, img.Bounds())
	// Output: 2 planes, *picam.NV12 (0,0)-(640,480)
}
