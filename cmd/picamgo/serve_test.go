package main

import (
	"bytes"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// TestServe: the page, the MJPEG stream (whole JPEGs of the bars, in
// order) and a snapshot; Ctrl-C ends it with exit 0.
func TestServe(t *testing.T) {
	s := start(t, t.TempDir(), nil, "serve", "--addr", "127.0.0.1:0", "--lores", "64x48")
	line := s.waitLine(t, "on http://")
	url := strings.TrimSuffix(line[strings.Index(line, "http://"):strings.Index(line, " (Ctrl-C")], "/")

	page := get(t, url+"/")
	if !strings.Contains(page, `src="lores.mjpg"`) {
		t.Errorf("the page does not show the lores stream:\n%s", page)
	}
	for _, c := range []struct {
		path string
		w, h int
	}{{"/stream.mjpg", 640, 480}, {"/lores.mjpg", 64, 48}} {
		resp, err := http.Get(url + c.path)
		if err != nil {
			t.Fatal(err)
		}
		_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if err != nil || params["boundary"] == "" {
			t.Fatalf("%s: Content-Type %q", c.path, resp.Header.Get("Content-Type"))
		}
		mr := multipart.NewReader(resp.Body, params["boundary"])
		prev := -1
		for i := range 5 {
			part, err := mr.NextPart()
			if err != nil {
				t.Fatalf("%s: part %d: %v", c.path, i, err)
			}
			data, err := io.ReadAll(part)
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: part %d is no JPEG: %v", c.path, i, err)
			}
			if b := img.Bounds(); b.Dx() != c.w || b.Dy() != c.h {
				t.Fatalf("%s: %dx%d, want %dx%d", c.path, b.Dx(), b.Dy(), c.w, c.h)
			}
			x, err := whiteBar(imageAt(img), c.w, c.h)
			if err != nil {
				t.Fatalf("%s: part %d: %v", c.path, i, err)
			}
			if x == prev {
				t.Fatalf("%s: part %d shows the same frame as the one before", c.path, i)
			}
			prev = x
		}
		resp.Body.Close()
	}
	snap := get(t, url+"/snapshot.jpg")
	if _, err := jpeg.Decode(strings.NewReader(snap)); err != nil {
		t.Errorf("/snapshot.jpg: %v", err)
	}
	if stats := get(t, url+"/stats"); !strings.Contains(stats, `"frames":`) {
		t.Errorf("/stats: %s", stats)
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	if code, stderr := s.wait(t); code != 0 || !strings.Contains(stderr, "served ") {
		t.Fatalf("exit %d after Ctrl-C, want 0 and a summary:\n%s", code, stderr)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}
