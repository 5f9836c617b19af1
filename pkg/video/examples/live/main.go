// Command live serves a camera to browsers: a page with the MJPEG stream
// and its frame rate (Picamera2's mjpeg_server.py).
//
//	go run ./examples/live -addr :8000
//
// then open http://localhost:8000/. Every client shares one encode per
// frame; a slow one skips frames. -record also records H.264 of the same
// stream to a file meanwhile.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video"
)

const page = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>picamgo live</title>
<style>body{margin:0;background:#111;color:#ddd;font:14px sans-serif}
img{display:block;max-width:100%}#fps{position:fixed;top:8px;left:8px;background:#0008;padding:4px 8px}</style>
</head><body><img src="stream.mjpg" alt="camera"><div id="fps">…</div>
<script>
async function tick() {
  try {
    const s = await (await fetch("stats")).json();
    document.getElementById("fps").textContent =
      s.fps.toFixed(1) + " frames/s · " + s.clients + " clients · " + s.dropped + " dropped";
  } catch (e) {}
}
setInterval(tick, 1000); tick();
</script></body></html>`

func main() {
	addr := flag.String("addr", ":8000", "address to serve on")
	width := flag.Int("width", 640, "frame width")
	height := flag.Int("height", 480, "frame height")
	fps := flag.Float64("fps", 30, "at most this many frames per second (paces the virtual camera)")
	quality := flag.Int("quality", 80, "JPEG quality")
	record := flag.String("record", "", "also record H.264 to this file")
	flag.Parse()
	if err := run(*addr, *width, *height, *fps, *quality, *record); err != nil {
		log.Fatal(err)
	}
}

func run(addr string, w, h int, fps float64, quality int, record string) error {
	cam, err := picam.OpenWith(picam.Options{MaxFrameRate: fps})
	if err != nil {
		return err
	}
	defer cam.Close()
	cfg := cam.VideoConfiguration()
	cfg.Main = picam.StreamConfig{Size: picam.Size{Width: uint32(w), Height: uint32(h)}, Format: picam.FormatNV12}
	if _, err := cam.Configure(cfg); err != nil {
		return err
	}
	if err := cam.Start(); err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	live := video.NewMJPEGHandler()
	web, err := video.Start(ctx, cam, video.Options{Encoder: video.MJPEG{Quality: quality, FrameRate: fps}, Outputs: []video.Output{live}})
	if err != nil {
		return err
	}
	defer web.Stop()
	if record != "" {
		rec, err := video.Start(ctx, cam, video.Options{Encoder: video.H264{FrameRate: fps}, Outputs: []video.Output{video.File(record)}})
		if err != nil {
			return err
		}
		defer func() {
			if err := rec.Stop(); err != nil {
				log.Print(err)
			}
		}()
	}
	srv := &http.Server{Addr: addr, Handler: newSite(ctx, web, live)}
	go func() {
		<-ctx.Done()
		sctx, c := context.WithTimeout(context.Background(), time.Second)
		defer c()
		srv.Shutdown(sctx)
	}()
	log.Printf("serving http://%s/", addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return web.Err()
}

// newSite serves the page, the stream and the stats the page shows.
func newSite(ctx context.Context, web *video.Recording, live *video.MJPEGHandler) http.Handler {
	rate := &frameRate{}
	go rate.follow(ctx, live)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	mux.Handle("GET /stream.mjpg", live)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		st := web.Stats()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"fps": rate.get(), "frames": st.Frames, "dropped": st.Dropped, "clients": live.Stats().Clients,
		})
	})
	return mux
}

// frameRate is the handler's frames per second over the last second.
type frameRate struct {
	mu  sync.Mutex
	fps float64
}

func (f *frameRate) follow(ctx context.Context, h *video.MJPEGHandler) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, at := h.Stats().Frames, time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n := h.Stats().Frames
			f.mu.Lock()
			f.fps = float64(n-last) / now.Sub(at).Seconds()
			f.mu.Unlock()
			last, at = n, now
		}
	}
}

func (f *frameRate) get() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fps
}
