package video

import (
	"bufio"
	"fmt"
	"image/jpeg"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/picamgo/picamgo/pkg/picam"
)

// readParts reads n JPEGs from an MJPEG stream and checks each shows the
// bars (the frame's sequence comes from the collector, by its bytes).
func readParts(t *testing.T, url string, n int, seqOf func([]byte) (uint32, bool)) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/x-mixed-replace" {
		return fmt.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	last := int64(-1)
	for i := range n {
		part, err := mr.NextPart()
		if err != nil {
			return fmt.Errorf("part %d: %w", i, err)
		}
		if ct := part.Header.Get("Content-Type"); ct != "image/jpeg" {
			return fmt.Errorf("part %d: content type %q", i, ct)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return fmt.Errorf("part %d: %w", i, err)
		}
		seq, ok := seqOf(data)
		if !ok {
			return fmt.Errorf("part %d: not a JPEG the recording made", i)
		}
		if int64(seq) <= last {
			return fmt.Errorf("part %d: frame %d after %d", i, seq, last)
		}
		last = int64(seq)
		if i == 0 { // the bytes are the recording's: decoding one is enough
			m, err := jpeg.Decode(strings.NewReader(string(data)))
			if err != nil {
				return fmt.Errorf("part %d: %w", i, err)
			}
			checkJPEGBars(t, m, int(seq))
		}
	}
	return nil
}

// TestMJPEGHandler: 20 clients at once, and one that connects and never
// reads, from one encode per frame: the camera (paced at 30 frames/s)
// loses no frame, every reading client gets whole JPEGs in order.
func TestMJPEGHandler(t *testing.T) {
	c, h, col, r, srv := startMJPEG(t)

	// A client that asks and never reads.
	stalled, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	stalled.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(stalled, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := bufio.NewReader(stalled).ReadString('\n'); err != nil { // it is being served
		t.Fatal(err)
	}

	const clients, frames = 20, 30
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			if err := readParts(t, srv.URL, frames, col.seqOf); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	st, hs := r.Stats(), h.Stats()
	t.Logf("recording %+v; handler %+v", st, hs)
	pk := col.packets()
	for i := 1; i < len(pk); i++ {
		if pk[i].Sequence != pk[i-1].Sequence+1 {
			t.Logf("frames %d..%d missing (of %d..%d)", pk[i-1].Sequence+1, pk[i].Sequence-1, pk[0].Sequence, pk[len(pk)-1].Sequence)
		}
	}
	t.Logf("camera %+v", c.Stats())
	// The handler never made the encoder wait: it skipped nothing. (Frames
	// the camera gave while the machine was too busy to encode them, if
	// any, are in st.Dropped, logged above.)
	if st.Outputs[0].Dropped != 0 {
		t.Errorf("the handler fell behind the encoder by %d packets", st.Outputs[0].Dropped)
	}
	if hs.Frames != st.Frames || hs.Sent < clients*frames {
		t.Errorf("handler %+v: want %d frames, at least %d sent", hs, st.Frames, clients*frames)
	}
}

// startMJPEG records MJPEG of the bars camera (640x480, 30 frames/s) to a
// handler served on loopback and to a collector.
func startMJPEG(t *testing.T) (*picam.Camera, *MJPEGHandler, *collector, *Recording, *httptest.Server) {
	t.Helper()
	c := startCamera(t, picam.Size{Width: 640, Height: 480}, 30)
	h := NewMJPEGHandler()
	col := &collector{}
	r, err := Start(ctxT(t), c, Options{Encoder: MJPEG{}, Outputs: []Output{h, col}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return c, h, col, r, srv
}
