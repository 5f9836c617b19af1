package libcamera_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

// The whole capture sequence: acquire, configure, allocate buffers, make one
// request per buffer, start, and requeue each completed request.
func Example() {
	m, err := libcamera.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close() // stops and releases the cameras too

	cam, err := m.Get("picamgo-bars")
	if err != nil {
		log.Fatal(err)
	}
	if err := cam.Acquire(); err != nil {
		log.Fatal(err)
	}
	cfg, err := cam.GenerateConfiguration(libcamera.RoleViewfinder)
	if err != nil {
		log.Fatal(err)
	}
	cfg.At(0).Size = libcamera.Size{Width: 640, Height: 480}
	if _, _, err := cfg.Validate(); err != nil {
		log.Fatal(err)
	}
	if err := cam.Configure(cfg); err != nil {
		log.Fatal(err)
	}
	stream := cam.Streams()[0]

	alloc := libcamera.NewFrameBufferAllocator(cam, libcamera.AllocatorAuto)
	if _, err := alloc.Allocate(stream); err != nil {
		log.Fatal(err)
	}
	var requests []*libcamera.Request
	for i, buf := range alloc.Buffers(stream) {
		req, err := cam.CreateRequest(uint64(i))
		if err != nil {
			log.Fatal(err)
		}
		if err := req.AddBuffer(stream, buf); err != nil {
			log.Fatal(err)
		}
		requests = append(requests, req)
	}

	if err := cam.Start(nil); err != nil {
		log.Fatal(err)
	}
	for _, req := range requests {
		if err := cam.QueueRequest(req); err != nil {
			log.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 3 {
		req, err := cam.WaitRequest(ctx)
		if err != nil {
			log.Fatal(err)
		}
		y := req.Buffer(stream).Planes()[0].Data // the mapped buffer itself, no copy
		fmt.Printf("frame %d: %v, %d bytes of luma\n", req.Sequence(), req.Status(), len(y))
		if err := cam.RequeueRequest(req); err != nil { // reuse and queue, one call
			log.Fatal(err)
		}
	}
	if err := cam.Stop(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// frame 0: complete, 307200 bytes of luma
	// frame 1: complete, 307200 bytes of luma
	// frame 2: complete, 307200 bytes of luma
}

func ExampleManager_Cameras() {
	m, err := libcamera.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	cams, err := m.Cameras()
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range cams {
		fmt.Printf("%s: %q, %v, rotation %d\n", c.ID(), c.Model(), c.Location(), c.Rotation())
	}
	// Output:
	// picamgo-bars: "picamgo virtual bars", front, rotation 0
	// picamgo-lines: "picamgo virtual lines", back, rotation 0
}

// Validate reports what libcamera changed; Adjusted is usable as it is.
func ExampleCameraConfiguration_Validate() {
	m, err := libcamera.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	cam, err := m.Get("picamgo-lines")
	if err != nil {
		log.Fatal(err)
	}
	if err := cam.Acquire(); err != nil {
		log.Fatal(err)
	}
	cfg, err := cam.GenerateConfiguration(libcamera.RoleVideoRecording)
	if err != nil {
		log.Fatal(err)
	}
	cfg.At(0).PixelFormat = libcamera.FormatYUYV // the virtual camera makes only NV12
	status, adjusted, err := cfg.Validate()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(status)
	for _, a := range adjusted {
		fmt.Println(a)
	}
	// Output:
	// Adjusted
	// stream 0 PixelFormat: YUYV -> NV12
}

// Controls are checked by name against their type before libcamera sees them.
func ExampleControlList_Set() {
	m, err := libcamera.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	cam, err := m.Get("picamgo-bars")
	if err != nil {
		log.Fatal(err)
	}
	info, _ := cam.Controls().Find("FrameDurationLimits")
	fmt.Println(info)

	ctrls := cam.Controls().NewControlList()
	if err := ctrls.Set("FrameDurationLimits", []int64{33333, 33333}); err != nil {
		log.Fatal(err)
	}
	err = ctrls.Set("FrameDurationLimits", 1.5)
	fmt.Println(errors.Is(err, libcamera.ErrInvalid), ctrls)
	// Output:
	// FrameDurationLimits [33333..33333] (default <none>)
	// true {FrameDurationLimits: [33333 33333]}
}
