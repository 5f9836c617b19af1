// Command capture is picamgo's main job: it lists the cameras, captures frames
// from one of them and saves the last frame as an image.
//
// Without camera hardware, run it where libcamera's virtual camera exists
// (make capture does that in the test root). On a Raspberry Pi it uses the
// real camera:
//
//	go run ./examples/capture -frames 100 -size 640x480 -o frame.png
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

func main() {
	camera := flag.String("camera", "0", "camera index or id")
	sizeFlag := flag.String("size", "640x480", "frame size, WIDTHxHEIGHT")
	frames := flag.Int("frames", 300, "frames to capture")
	out := flag.String("o", "frame.png", "where to save the last frame (PNG; empty: don't save)")
	flag.Parse()

	var size libcamera.Size
	if _, err := fmt.Sscanf(*sizeFlag, "%dx%d", &size.Width, &size.Height); err != nil {
		log.Fatalf("bad -size %q: %v", *sizeFlag, err)
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

func run(ctx context.Context, which string, size libcamera.Size, frames int, out string) error {
	m, err := libcamera.NewManager()
	if err != nil {
		return err
	}
	defer m.Close()
	cams, err := m.Cameras()
	if err != nil {
		return err
	}
	if len(cams) == 0 {
		return errors.New("no camera found (without hardware, run `make capture` to use libcamera's virtual camera)")
	}
	fmt.Printf("libcamera %s, %d camera(s):\n", libcamera.Version(), len(cams))
	for i, c := range cams {
		fmt.Printf("  %d: %s (%s, %v)\n", i, c.Model(), c.ID(), c.Location())
	}
	cam, err := pick(m, cams, which)
	if err != nil {
		return err
	}
	if err := cam.Acquire(); err != nil {
		return err
	}
	defer cam.Release()

	cfg, err := cam.GenerateConfiguration(libcamera.RoleViewfinder)
	if err != nil {
		return err
	}
	cfg.At(0).Size = size
	_, adjusted, err := cfg.Validate()
	if err != nil {
		return err
	}
	for _, a := range adjusted {
		fmt.Println("libcamera adjusted", a)
	}
	if err := cam.Configure(cfg); err != nil {
		return err
	}
	stream := cam.Streams()[0]
	sc := stream.Configuration()
	fmt.Printf("capturing %d frames from %s at %v %v\n", frames, cam.Model(), sc.Size, sc.PixelFormat)

	alloc := libcamera.NewFrameBufferAllocator(cam, libcamera.AllocatorAuto)
	if _, err := alloc.Allocate(stream); err != nil {
		return err
	}
	defer alloc.Free(stream)
	var requests []*libcamera.Request
	defer func() {
		for _, r := range requests {
			r.Free()
		}
	}()
	for i, b := range alloc.Buffers(stream) {
		r, err := cam.CreateRequest(uint64(i))
		if err != nil {
			return err
		}
		requests = append(requests, r)
		if err := r.AddBuffer(stream, b); err != nil {
			return err
		}
	}

	if err := cam.Start(nil); err != nil {
		return err
	}
	defer cam.Stop()
	for _, r := range requests {
		if err := cam.QueueRequest(r); err != nil {
			return err
		}
	}

	start := time.Now()
	var first, last uint64
	var lastSeq uint32
	for n := range frames {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		r, err := cam.WaitRequest(wctx)
		cancel()
		if err != nil {
			return fmt.Errorf("frame %d: %w", n, err)
		}
		if r.Status() != libcamera.RequestComplete {
			return fmt.Errorf("frame %d: request %v", n, r.Status())
		}
		if n == 0 {
			first = r.SensorTimestamp()
		}
		last, lastSeq = r.SensorTimestamp(), r.Sequence()
		if n == frames-1 {
			// The buffer is read in place; it is not requeued, so it cannot change under us.
			if out != "" {
				if err := save(out, sc, r.Buffer(stream)); err != nil {
					return err
				}
				fmt.Println("saved frame", lastSeq, "to", out)
			}
			break
		}
		if err := r.Reuse(libcamera.ReuseBuffers); err != nil {
			return err
		}
		if err := cam.QueueRequest(r); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("%d frames in %v: %.1f frames/s (last sequence %d, sensor time span %v)\n",
		frames, elapsed.Round(time.Millisecond), float64(frames)/elapsed.Seconds(), lastSeq,
		time.Duration(last-first))
	return nil
}

func pick(m *libcamera.Manager, cams []*libcamera.Camera, which string) (*libcamera.Camera, error) {
	if i, err := strconv.Atoi(which); err == nil {
		if i < 0 || i >= len(cams) {
			return nil, fmt.Errorf("no camera %d (there are %d)", i, len(cams))
		}
		return cams[i], nil
	}
	return m.Get(which)
}

// save writes the frame's luma as a grey PNG straight from the mapped
// buffer: the Y plane of NV12 and YUV420 is already an image.Gray.
func save(path string, sc libcamera.StreamConfiguration, b *libcamera.FrameBuffer) error {
	switch sc.PixelFormat {
	case libcamera.FormatNV12, libcamera.FormatYUV420:
	default:
		return fmt.Errorf("saving %v frames is not supported by this example", sc.PixelFormat)
	}
	y := b.Planes()[0].Data
	img := &image.Gray{Pix: y, Stride: int(sc.Stride), Rect: image.Rect(0, 0, int(sc.Size.Width), int(sc.Size.Height))}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
