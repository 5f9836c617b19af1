package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/picamgo/picamgo/internal/testenv"
	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/video"
	"github.com/picamgo/picamgo/pkg/video/internal/bars"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestPageInBrowsers loads the page in two headless Chromiums at once, with
// 20 plain HTTP clients reading the stream all the while, and checks that
// each screenshot shows the camera's bars, in order, and that every client
// got whole JPEGs of the stream's size.
func TestPageInBrowsers(t *testing.T) {
	chromium, err := exec.LookPath("chromium-headless-shell")
	if err != nil {
		t.Fatalf("chromium-headless-shell not found (Debian package chromium-headless-shell): %v", err)
	}
	const w, h = 640, 480
	cam, err := picam.OpenWith(picam.Options{ID: "picamgo-bars", MaxFrameRate: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	cfg := cam.VideoConfiguration()
	cfg.Main = picam.StreamConfig{Size: picam.Size{Width: w, Height: h}, Format: picam.FormatNV12}
	cfg.BufferCount = 4
	if _, err := cam.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	if err := cam.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	live := video.NewMJPEGHandler()
	web, err := video.Start(ctx, cam, video.Options{Encoder: video.MJPEG{}, Outputs: []video.Output{live}})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Stop()
	srv := httptest.NewServer(newSite(ctx, web, live))
	defer srv.Close()

	// The plain clients read until the browsers are done, and at least 30
	// frames each.
	const clients = 20
	browsersDone := make(chan struct{})
	var wg sync.WaitGroup
	clientErrs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			if err := readStream(ctx, srv.URL+"/stream.mjpg", 30, browsersDone, w, h); err != nil {
				clientErrs <- err
			}
		})
	}

	dir := t.TempDir()
	shots := []string{filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")}
	errs := make(chan error, len(shots))
	for _, shot := range shots {
		go func() {
			cmd := exec.CommandContext(ctx, chromium, "--no-sandbox", "--hide-scrollbars",
				"--screenshot="+shot, "--window-size=960,540", srv.URL+"/")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Logf("chromium: %s", out)
			}
			errs <- err
		}()
	}
	for range shots {
		if err := <-errs; err != nil {
			t.Fatalf("chromium: %v", err)
		}
	}
	close(browsersDone)
	wg.Wait()
	close(clientErrs)
	for err := range clientErrs {
		t.Error(err)
	}
	// Every client (the browsers' too) has gone: none is served for good.
	deadline := time.Now().Add(30 * time.Second)
	for live.Stats().Clients != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := live.Stats(); st.Clients != 0 {
		t.Errorf("clients still served after all left: %+v", st)
	}
	for _, shot := range shots {
		f, err := os.Open(shot)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		checkShot(t, shot, img, w, h)
	}
	if st := web.Stats(); st.Frames == 0 {
		t.Errorf("no frames encoded: %+v", st)
	}
}

// checkShot finds the bars in the screenshot's top-left w x h (where the
// page puts the stream) and checks their colours in order.
func checkShot(t *testing.T, name string, img image.Image, w, h int) {
	t.Helper()
	luma := make([]byte, w*h)
	for y := range h {
		for x := range w {
			r, g, b, _ := img.At(x, y).RGBA()
			luma[y*w+x] = byte((299*r + 587*g + 114*b) / 1000 >> 8)
		}
	}
	// Luma from RGB of a full-range decode: black 16 and white 235 still
	// bracket the edge FindWhite looks for.
	x0, err := bars.FindWhite(luma, w, h, w)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got := bars.Colours(w, h, x0, func(x, y int) (r, g, b uint8) {
		r32, g32, b32, _ := img.At(x, y).RGBA()
		return uint8(r32 >> 8), uint8(g32 >> 8), uint8(b32 >> 8)
	})
	if got != bars.Names {
		t.Errorf("%s: bars %s, want %s", name, got, bars.Names)
	}
	t.Logf("%s: bars %s, white bar at column %d", name, got, x0)
}

// readStream reads the MJPEG stream at url until done is closed and at
// least n parts came, checking that each part is a whole w x h JPEG.
func readStream(ctx context.Context, url string, n int, done <-chan struct{}, w, h int) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for i := 0; ; i++ {
		if i >= n {
			select {
			case <-done:
				return nil
			default:
			}
		}
		part, err := mr.NextPart()
		if err != nil {
			return fmt.Errorf("part %d: %w", i, err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return fmt.Errorf("part %d: %w", i, err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width != w || cfg.Height != h {
			return fmt.Errorf("part %d: %dx%d, %v; want a %dx%d JPEG", i, cfg.Width, cfg.Height, err, w, h)
		}
		if len(data) < 2 || data[len(data)-2] != 0xff || data[len(data)-1] != 0xd9 {
			return fmt.Errorf("part %d: %d bytes without the JPEG's end marker", i, len(data))
		}
	}
}
