package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video"
)

const serveSynopsis = `Serves a live view: a web page at http://ADDR/ showing the camera as MJPEG
(/stream.mjpg, one encode per frame for every client) with its frame rate;
/snapshot.jpg is the newest frame, /stats the counters as JSON. --lores
serves a second, smaller stream of the same frames. Runs until Ctrl-C, or -t.`

type serveFlags struct {
	common
	addr    string
	quality int
	lores   string
	timeout millis
}

func runServe(args []string, out *console) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var f serveFlags
	f.register(fs, picam.Size{Width: 640, Height: 480})
	fs.StringVar(&f.addr, "addr", ":8000", "address to serve on (:0 picks a free port)")
	fs.IntVar(&f.quality, "quality", 0, "JPEG quality, 1 to 100 (default 85)")
	fs.StringVar(&f.lores, "lores", "", "also serve a lores stream of this size (WIDTHxHEIGHT) at /lores.mjpg; the page shows it")
	fs.Var(&f.timeout, "t", "stop after this long (ms or a duration; 0: until Ctrl-C)")
	fs.Var(&f.timeout, "timeout", "the same as -t")
	if err := parseFlags(fs, args, &console{stdout: out.stdout}, serveSynopsis); err != nil {
		return err
	}
	out.verbose, out.quiet = f.verbose, f.quiet
	if err := f.check(); err != nil {
		return err
	}
	var lores picam.Size
	if f.lores != "" {
		if _, err := fmt.Sscanf(f.lores, "%dx%d", &lores.Width, &lores.Height); err != nil || lores.Width == 0 || lores.Height == 0 {
			return usageErrorf("--lores %q: want WIDTHxHEIGHT, such as 320x240", f.lores)
		}
	}
	// The address first: a port in use is an error before the camera starts.
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return usageErrorf("--addr %s: %v", f.addr, err)
	}
	defer ln.Close()
	cam, err := prepare(&f.common, out, 0, func(cam *picam.Camera) (picam.Configuration, error) {
		cfg, err := f.videoConfiguration(cam)
		if f.lores != "" {
			cfg.Lores = &picam.StreamConfig{Size: lores, Format: picam.FormatNV12}
		}
		return cfg, err
	})
	if err != nil {
		return err
	}
	defer cam.Close()
	ctx := newRunContext(time.Duration(f.timeout))
	defer ctx.stop()
	if err := startCamera(ctx, cam); err != nil {
		return err
	}
	rate := cmpOrFloat(f.framerate, fastestRate(cam.CameraControls()))
	main, _ := cam.StreamConfiguration(picam.Main)
	site := &site{camera: cam.ID(), size: main.Size.String(), main: video.NewMJPEGHandler()}
	enc := video.MJPEG{Quality: f.quality, FrameRate: rate}
	if site.mainRec, err = video.Start(ctx, cam, video.Options{Encoder: enc, Outputs: []video.Output{site.main}}); err != nil {
		return fmt.Errorf("starting the MJPEG encoder: %w", err)
	}
	defer site.mainRec.Stop()
	if f.lores != "" {
		site.lores = video.NewMJPEGHandler()
		if site.loresRec, err = video.Start(ctx, cam, video.Options{Stream: picam.Lores, Encoder: enc, Outputs: []video.Output{site.lores}}); err != nil {
			return fmt.Errorf("starting the lores MJPEG encoder: %w", err)
		}
		defer site.loresRec.Stop()
	}
	srv := &http.Server{Handler: site.handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	out.infof("serving camera %s (%v) on http://%s/ (Ctrl-C stops)", cam.ID(), main.Size, ln.Addr())
	started := time.Now()
	stopProgress := out.startProgress(func() status {
		st := site.mainRec.Stats()
		return status{elapsed: time.Since(started), frames: st.Frames, dropped: st.Dropped, bytes: -1}
	})
	var runErr error
	select {
	case <-ctx.Done():
	case <-site.mainRec.Done():
		runErr = site.mainRec.Err()
	case err := <-served:
		runErr = err
	}
	stopProgress()
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	srv.Shutdown(sctx) // MJPEG clients never end their request: they are cut after a second
	srv.Close()
	st, hs := site.mainRec.Stats(), site.main.Stats()
	out.infof("served %d frames in %s, %d dropped; %d frames sent to clients", st.Frames, clock(time.Since(started)), st.Dropped, hs.Sent)
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
		return runErr
	}
	return firstErr(site.mainRec.Stop(), ctx.result(f.timeout == 0))
}

func (f *serveFlags) check() error {
	if err := f.common.check(); err != nil {
		return err
	}
	if f.quality != 0 && (f.quality < 1 || f.quality > 100) {
		return usageErrorf("--quality %d: want 1 to 100", f.quality)
	}
	return nil
}

func cmpOrFloat(a, b float64) float64 {
	if a != 0 {
		return a
	}
	return b
}

// site is the live view's HTTP side.
type site struct {
	camera, size      string
	main, lores       *video.MJPEGHandler
	mainRec, loresRec *video.Recording

	mu   sync.Mutex
	last uint64
	at   time.Time
	fps  float64
}

func (s *site) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		data := struct {
			Camera, Size, Src string
			Lores             bool
		}{s.camera, s.size, "stream.mjpg", s.lores != nil}
		if s.lores != nil && r.URL.Query().Get("main") == "" {
			data.Src = "lores.mjpg"
		}
		page.Execute(w, data)
	})
	mux.Handle("GET /stream.mjpg", s.main)
	if s.lores != nil {
		mux.Handle("GET /lores.mjpg", s.lores)
	}
	mux.HandleFunc("GET /snapshot.jpg", func(w http.ResponseWriter, r *http.Request) {
		jpg := s.main.Latest()
		if jpg == nil {
			http.Error(w, "no frame yet", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(jpg)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		st, hs := s.mainRec.Stats(), s.main.Stats()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"fps": s.rate(st.Frames), "frames": st.Frames, "dropped": st.Dropped, "clients": hs.Clients,
		})
	})
	return mux
}

// rate is the frame rate since the previous call (the page asks every
// second).
func (s *site) rate(frames uint64) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if !s.at.IsZero() && now.Sub(s.at) > 200*time.Millisecond {
		s.fps = float64(frames-s.last) / now.Sub(s.at).Seconds()
		s.last, s.at = frames, now
	} else if s.at.IsZero() {
		s.last, s.at = frames, now
	}
	return s.fps
}

// page is the live view: a header naming the camera, the stream, and the
// frame rate the page reads from /stats every second.
var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>picamgo: {{.Camera}}</title>
<style>
html{background:#000;color:#eee;font-family:system-ui,sans-serif}
header{display:flex;gap:1.5em;padding:.4em .8em;background:#222}
main img{width:100%;height:auto}
a{color:#9cf}
</style></head>
<body>
<header><b>{{.Camera}}</b><span>{{.Size}}</span><span id="rate">–</span>
{{if .Lores}}{{if eq .Src "lores.mjpg"}}<a href="?main=1">full size</a>{{else}}<a href="./">lores</a>{{end}}{{end}}
<a href="snapshot.jpg">snapshot</a></header>
<main><img src="{{.Src}}" alt="{{.Camera}}"></main>
<script>
const rate = document.getElementById("rate");
(function poll() {
  fetch("stats").then(r => r.json()).then(s => {
    rate.textContent = s.fps.toFixed(1) + " frames/s, " + s.dropped + " dropped, " + s.clients + " watching";
  }).catch(() => { rate.textContent = "stopped"; }).finally(() => setTimeout(poll, 1000));
})();
</script>
</body></html>
`))
