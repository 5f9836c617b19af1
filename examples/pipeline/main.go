// Command pipeline is the program of picamgo's issue #4, written the Go
// way: it keeps a TCP connection to a server answering messages while it
// captures frames, processes several consecutive frames in parallel with
// OpenCV (gocv) and sends the results to the server in frame order.
//
// A Picamera2 user wanted this from asyncio: await a capture without
// blocking the event loop, process frames in parallel, send results in
// order. In Go nothing needs to be awaited: the connection has its own
// goroutine, picam.Process runs the workers and yields the results in frame
// order, and a 1 kHz heartbeat goroutine shows how responsive the rest of
// the program stays. It runs three phases in one process and prints, for
// each, the frame rate, the heartbeat's lateness (p50, p99, max), the
// server's ping round trip and whether the results came in order:
//
//  1. idle: no camera, only the heartbeat and the connection
//  2. capture: every frame captured and released, a result line sent for each
//  3. process: every frame converted and analysed by the workers
//  4. capture+draw (libcamera's virtual camera only): capture again, with the
//     virtual camera's drawing thread at normal priority
//
// libcamera's virtual camera draws its frames on the CPU, work a real
// camera does in hardware; phases 2 and 3 run that drawing at SCHED_IDLE
// (-drawing idle, see drawing_linux.go) so that they measure picamgo, and
// phase 4 shows what the drawing itself costs the heartbeat.
//
// Without -addr it starts a local server on 127.0.0.1. Run it where
// libcamera's virtual camera exists (make pipeline runs it in the test root,
// which has OpenCV):
//
//	go run . -seconds 5 -workers 4
//
// The exit status is 1 when a result came out of order or anything failed;
// the timings are reported, never judged by the exit status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/picamcv"
	"gocv.io/x/gocv"
	"golang.org/x/sync/errgroup"
)

type config struct {
	camera    string
	size      picam.Size
	seconds   float64
	workers   int
	addr      string
	cvThreads int
	verbose   bool
	timer     string
	drawing   string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.camera, "camera", "0", "camera index or id")
	sizeFlag := flag.String("size", "1920x1080", "frame size, WIDTHxHEIGHT")
	flag.Float64Var(&cfg.seconds, "seconds", 5, "measured seconds per phase")
	flag.IntVar(&cfg.workers, "workers", runtime.NumCPU(), "frames processed at once")
	flag.StringVar(&cfg.addr, "addr", "", "server address (empty: start a local server on 127.0.0.1)")
	flag.IntVar(&cfg.cvThreads, "cv-threads", 1, "OpenCV's threads per call (0: OpenCV's default, one per core); the workers are the parallelism")
	flag.BoolVar(&cfg.verbose, "v", false, "print every result")
	flag.StringVar(&cfg.timer, "timer", "timerfd", "the heartbeat's clock: timerfd (a Linux timer file, read through the network poller) or go (time.Sleep, 1 ms granularity on Linux)")
	flag.StringVar(&cfg.drawing, "drawing", "idle", "libcamera's virtual camera draws frames on the CPU, as hardware would not: idle runs its drawing threads at SCHED_IDLE for the capture and process phases (and adds a capture+draw phase at normal priority), normal leaves them alone")
	flag.Parse()
	if cfg.drawing != "idle" && cfg.drawing != "normal" {
		log.Fatalf("bad -drawing %q: idle or normal", cfg.drawing)
	}
	if _, err := fmt.Sscanf(*sizeFlag, "%dx%d", &cfg.size.Width, &cfg.size.Height); err != nil {
		log.Fatalf("bad -size %q: %v", *sizeFlag, err)
	}
	if cfg.workers < 1 || cfg.seconds < 0.001 {
		log.Fatal("-workers must be positive and -seconds at least 0.001 (one beat)")
	}
	if cfg.timer != "timerfd" && cfg.timer != "go" {
		log.Fatalf("bad -timer %q: timerfd or go", cfg.timer)
	}
	if os.Getenv("LIBCAMERA_LOG_LEVELS") == "" {
		// libcamera logs every configuration at INFO: keep warnings and
		// errors. Where there is no dma-buf heap (containers, the test root)
		// its allocator says so at ERROR at every configuration, and picam
		// falls back to other buffers (picam.Options.Allocator): silence
		// that one. Set before libcamera starts: it reads this once.
		os.Setenv("LIBCAMERA_LOG_LEVELS", "*:WARN,DmaBufAllocator:FATAL")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, cfg)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "interrupted")
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

// phaseReport is what a phase measured.
type phaseReport struct {
	name      string
	seconds   float64
	frames    uint64 // frames captured (and processed) while measuring
	heartbeat latency
	server    phaseSummary
	sent      uint64 // result lines sent in the whole phase
	pongs     uint64
	gcs       uint32
	gcPause   time.Duration
	dropped   uint64  // frames the camera delivered that the phase's stream passed over
	cpu       float64 // the process's CPU time (all threads, libcamera's too) per second
}

func run(ctx context.Context, cfg config) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	picamcv.SetLogger(logger)
	if cfg.cvThreads > 0 {
		gocv.SetNumThreads(cfg.cvThreads)
	}

	cam, rate, err := openCamera(cfg.camera, cfg.drawing == "idle", logger)
	if err != nil {
		return err
	}
	defer cam.Close()
	vc := cam.VideoConfiguration()
	vc.Main.Size = cfg.size
	vc.Main.Format = picam.FormatNV12
	vc.ColorSpace = nil // the camera's own (see drawnColorSpace)
	adjusted, err := cam.Configure(vc)
	if err != nil {
		return err
	}
	for _, a := range adjusted {
		fmt.Println("libcamera adjusted", a)
	}
	mainCfg, err := cam.StreamConfiguration(picam.Main)
	if err != nil {
		return err
	}
	applied, err := cam.Configuration()
	if err != nil {
		return err
	}

	// The server, the connection's reader and the heartbeat live as long as
	// the phases: the phases' goroutine cancels them when it returns.
	all, cancelAll := context.WithCancel(ctx)
	defer cancelAll()
	g, gctx := errgroup.WithContext(all)
	addr := cfg.addr
	if addr == "" {
		srv, err := listen("127.0.0.1:0", 10*time.Millisecond)
		if err != nil {
			return err
		}
		addr = srv.Addr()
		g.Go(func() error { return srv.run(gctx) })
	}
	cl, err := dial(gctx, addr)
	if err != nil {
		cancelAll()
		g.Wait() // the local server's goroutine
		return err
	}
	hb := newHeartbeat(time.Millisecond, cfg.timer)
	g.Go(func() error { return hb.run(gctx) })
	g.Go(func() error { return cl.read(gctx) })

	fmt.Printf("camera %s (%s): %v %v %v, %d buffers; pacing at %s frames/s (FrameDurationLimits min of the camera)\n",
		cam.Info().Model, cam.ID(), mainCfg.Size, mainCfg.Format, colorSpaceText(mainCfg.ColorSpace), applied.BufferCount, rateText(rate))
	workers := fmt.Sprintf("%d workers", cfg.workers)
	if n := applied.BufferCount - 1; cfg.workers > n {
		// picam.Process keeps a buffer for the camera: with BufferCount
		// buffers, at most BufferCount-1 frames are processed at once.
		workers = fmt.Sprintf("%d workers (%d at once: %d buffers)", cfg.workers, max(n, 1), applied.BufferCount)
	}
	if atOnce := max(min(cfg.workers, applied.BufferCount-1), 1); os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) <= atOnce {
		// A goroutine in a cgo call (OpenCV) keeps its P until the call
		// returns or the runtime's sysmon takes the P back, which it checks
		// every 20 us to 10 ms. With a worker in OpenCV on every P, a
		// goroutine woken by the network (a ping, the heartbeat) waits for
		// that: keep a P for them.
		runtime.GOMAXPROCS(atOnce + 1)
	}
	fmt.Printf("GOMAXPROCS %d, %d cores, %s, OpenCV threads %d, server %s (%s), heartbeat 1 kHz (%s), %g s per phase, load %s\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), workers, gocv.GetNumThreads(), addr,
		map[bool]string{true: "local", false: "remote"}[cfg.addr == ""], cfg.timer, cfg.seconds, loadavg())

	var reports []phaseReport
	var an *analyzer
	phases := func(ctx context.Context) error {
		defer cl.Close() // ends the reader and the server
		samples := make([]time.Duration, int(cfg.seconds*1000))
		p := &phaser{cl: cl, hb: hb, cam: cam, samples: samples}

		r, err := p.run(ctx, "idle", func(ctx context.Context) error {
			<-ctx.Done() // nothing but the heartbeat and the connection
			return nil
		})
		if err != nil {
			return err
		}
		reports = append(reports, r)

		if err := cam.Start(); err != nil {
			return err
		}
		defer cam.Stop()

		drawPhase := false
		if cfg.drawing == "idle" {
			// After a frame: right after Start, on a loaded machine, the
			// drawing thread was once not to be found yet; the thread that
			// drew a frame is.
			if _, err := cam.CaptureMetadata(ctx); err != nil {
				return err
			}
			n, err := setDrawingIdle(true)
			switch {
			case err != nil:
				return fmt.Errorf("lowering the virtual camera's drawing: %w", err)
			case n == 0:
				fmt.Println("drawing: no VirtualCamera thread (a hardware camera, or libcamera before 0.6, which draws on its CameraManager thread): nothing lowered")
			default:
				drawPhase = true
				fmt.Printf("drawing: %d VirtualCamera thread(s) at SCHED_IDLE for capture and process (a real camera draws in hardware); capture+draw puts them back\n", n)
			}
		}

		capture := func(ctx context.Context) error {
			detail := []byte("captured")
			for req, err := range cam.Frames(ctx, picam.FrameStreamOptions{Policy: picam.Block}) {
				if err != nil {
					return err
				}
				p.frames.Add(1)
				if err := cl.result(req.Sequence(), req.SensorTimestamp(), detail); err != nil {
					return err
				}
			}
			return nil
		}
		r, err = p.run(ctx, "capture", capture)
		if err != nil {
			return err
		}
		reports = append(reports, r)

		an = newAnalyzer(cfg.workers, drawnColorSpace(cam))
		defer an.Close()
		r, err = p.run(ctx, "process", func(ctx context.Context) error {
			var detail []byte
			first := true
			opts := picam.ProcessOptions{Workers: cfg.workers}
			for res, err := range picam.Process(ctx, cam, opts, an.analyze) {
				if err != nil {
					return err
				}
				p.frames.Add(1)
				detail = res.Value.AppendText(detail[:0])
				if cfg.verbose || first {
					fmt.Printf("  frame %d: %s\n", res.Sequence, detail)
					first = false
				}
				if err := cl.result(res.Sequence, res.Timestamp, detail); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		reports = append(reports, r)

		if drawPhase {
			if _, err := setDrawingIdle(false); err != nil {
				return err
			}
			r, err = p.run(ctx, "capture+draw", capture)
			if err != nil {
				return err
			}
			reports = append(reports, r)
		}
		return nil
	}
	g.Go(func() error {
		defer cancelAll()
		return phases(gctx)
	})
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Println()
	printReport(os.Stdout, reports, rate, cam.Stats())
	if an != nil {
		t := summarize(an.frameTimes())
		fmt.Printf("processing: %d frames, %s ms per frame (p50), p99 %s ms, max %s ms (NV12 to BGR and column means, %s)\n",
			t.N, ms(t.P50), ms(t.P99), ms(t.Max), workers)
	}
	return verdict(reports)
}

// phaser runs the phases: the same heartbeat, connection and camera.
type phaser struct {
	cl      *client
	hb      *heartbeat
	cam     *picam.Camera
	samples []time.Duration
	frames  atomic.Uint64 // counted by the phase's loop
}

// run runs work (until its context is cancelled) and measures while it
// runs: the heartbeat's lateness, the frames, the garbage collections.
// It returns only once work has returned, whatever the outcome: the
// caller's cleanup (an.Close, cam.Stop) must not race with work.
func (p *phaser) run(ctx context.Context, name string, work func(context.Context) error) (phaseReport, error) {
	rep := phaseReport{name: name}
	if err := p.cl.begin(name); err != nil {
		return rep, err
	}
	sent0, pongs0 := p.cl.results.Load(), p.cl.pongs.Load()
	wctx, cancel := context.WithCancel(ctx)
	var workErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		workErr = work(wctx)
	}()
	defer func() {
		cancel()
		<-done
	}()

	// Let the phase settle (the camera's first frames, the workers' Mats).
	select {
	case <-time.After(300 * time.Millisecond):
	case <-done:
		return rep, fmt.Errorf("phase %s: %w", name, orStopped(workErr))
	case <-ctx.Done():
		return rep, ctx.Err()
	}

	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	frames0, st0 := p.frames.Load(), p.cam.Stats()
	cpu0 := cpuTime()
	t0 := time.Now()
	lat, hbErr := p.hb.measure(ctx, p.samples)
	elapsed := time.Since(t0)
	cpu1 := cpuTime()
	frames1, st1 := p.frames.Load(), p.cam.Stats()
	runtime.ReadMemStats(&ms1)

	cancel()
	<-done
	if hbErr != nil {
		return rep, hbErr
	}
	if workErr != nil && !errors.Is(workErr, context.Canceled) {
		return rep, fmt.Errorf("phase %s: %w", name, workErr)
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	rep.seconds = elapsed.Seconds()
	rep.cpu = (cpu1 - cpu0).Seconds() / rep.seconds
	rep.frames = frames1 - frames0
	rep.heartbeat = summarize(lat)
	rep.gcs = ms1.NumGC - ms0.NumGC
	rep.gcPause = time.Duration(ms1.PauseTotalNs - ms0.PauseTotalNs)
	rep.dropped = st1.StreamDropped - st0.StreamDropped // 0 while the camera is stopped (idle)
	rep.sent, rep.pongs = p.cl.results.Load()-sent0, p.cl.pongs.Load()-pongs0
	s, err := p.cl.end(ctx, name)
	if err != nil {
		return rep, err
	}
	rep.server = s
	return rep, nil
}

func orStopped(err error) error {
	if err == nil {
		return errors.New("stopped early")
	}
	return err
}

// openCamera opens the camera and returns it with the frame rate to pace
// it at: its fastest, from the camera's FrameDurationLimits. libcamera's
// virtual camera completes requests as fast as they are queued, so picam
// paces it (Options.MaxFrameRate) at the rate it claims; a real camera
// paces itself and gets 0. With idleDrawing a virtual camera's stall
// timeout allows for drawing on spare CPU only.
func openCamera(which string, idleDrawing bool, logger *slog.Logger) (*picam.Camera, float64, error) {
	opts := picam.Options{Logger: logger}
	if i, err := strconv.Atoi(which); err == nil {
		opts.Index = i
	} else {
		opts.ID = which
	}
	cam, err := picam.OpenWith(opts)
	if err != nil {
		return nil, 0, err
	}
	info, ok := cam.CameraControls().Find("FrameDurationLimits")
	if !ok {
		return cam, 0, nil
	}
	minUs, ok := info.Min.Int64()
	if !ok || minUs <= 0 || !isVirtual(cam) {
		return cam, 0, nil
	}
	// MaxFrameRate is an option of OpenWith: open again with it.
	rate := 1e6 / float64(minUs)
	cam.Close()
	opts.MaxFrameRate = rate
	if idleDrawing {
		opts.StallTimeout = drawingIdleStall
	}
	cam, err = picam.OpenWith(opts)
	return cam, rate, err
}

// drawnColorSpace returns how libcamera's virtual camera really encodes
// its frames: libyuv's BT.601 limited range (SMPTE 170M), whatever colour
// space it reports (Rec709 on libcamera 0.7), which picamcv would convert
// in. nil for other cameras: picamcv converts in the one they report.
func drawnColorSpace(cam *picam.Camera) *picam.ColorSpace {
	if !isVirtual(cam) {
		return nil
	}
	return new(picam.ColorSpaceSmpte170m)
}

// isVirtual reports whether the camera is libcamera's virtual one, which
// does not pace its frames: the cameras of every other pipeline handler
// have device nodes, listed in their SystemDevices property.
func isVirtual(cam *picam.Camera) bool {
	return !cam.Properties().Contains("SystemDevices")
}

func colorSpaceText(cs *picam.ColorSpace) string {
	if cs == nil {
		return "(no colour space)"
	}
	return cs.String()
}

func rateText(rate float64) string {
	if rate == 0 {
		return "the camera's own rate (not paced)"
	}
	return formatFloat(rate, 2)
}

func formatFloat(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }

// cpuTime returns the CPU time the process used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadavg returns the 1-minute load average.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
