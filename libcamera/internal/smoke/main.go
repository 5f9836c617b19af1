package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/picamgo/picamgo/libcamera"
)

func main() {
	m, err := libcamera.NewManager()
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer m.Close()
	cams, err := m.Cameras()
	fmt.Println("version", libcamera.Version(), libcamera.BuildVersion(), "cams", cams, err)
	for _, c := range cams {
		model, _ := c.Properties().Get("Model")
		fmt.Println(c.ID(), c.Properties(), model)
		for info := range c.Controls().All() {
			fmt.Println("  ", info)
		}
	}
	c := cams[0]
	if err := c.Acquire(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	cfg, err := c.GenerateConfiguration(libcamera.RoleViewfinder)
	fmt.Println("gen", cfg, err, cfg.At(0).Formats().PixelFormats(), cfg.At(0).Formats().Range(libcamera.FormatNV12))
	cfg.At(0).Size = libcamera.Size{Width: 64, Height: 48}
	st, adj, err := cfg.Validate()
	fmt.Println("validate", st, adj, err, cfg.At(0).Stride, cfg.At(0).FrameSize, cfg.At(0).BufferCount)
	if err := c.Configure(cfg); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	s := c.Streams()[0]
	a := libcamera.NewFrameBufferAllocator(c, libcamera.AllocatorAuto)
	n, err := a.Allocate(s)
	fmt.Println("alloc", n, err, a.Kind(s))
	var reqs []*libcamera.Request
	for i, b := range a.Buffers(s) {
		r, err := c.CreateRequest(uint64(i))
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		if err := r.AddBuffer(s, b); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		reqs = append(reqs, r)
	}
	if err := c.Start(nil); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	for _, r := range reqs {
		if err := c.QueueRequest(r); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	}
	t0 := time.Now()
	N := 20000
	for i := 0; i < N; i++ {
		r, err := c.WaitRequest(context.Background())
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		if i < 3 || i == N-1 {
			md, _ := r.Metadata()
			b := r.Buffer(s)
			fmt.Println(r.Status(), r.Sequence(), r.SensorTimestamp(), md, b.Metadata(), b.Planes()[0].Data[:8], len(b.Planes()[1].Data))
		}
		r.Reuse(libcamera.ReuseBuffers)
		if err := c.QueueRequest(r); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	}
	el := time.Since(t0)
	fmt.Printf("%d frames in %v: %.0f fps\n", N, el, float64(N)/el.Seconds())
	fmt.Println("stop", c.Stop(), "lost", c.LostCompletions(), "pending in chan", len(c.RequestCompleted()))
}
