package video

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

// BenchmarkMJPEGClients: the MJPEG handler serving 1, 5 and 20 clients on
// loopback from the paced 640x480 camera at 30 frames/s, b.N frames each:
// encodes per second (the goal: the camera's rate whatever the number of
// clients) and each part's delivery latency, from the frame's sensor
// timestamp to the client having read the whole JPEG (p50, p99; the goal:
// p99 below one frame interval, 33 ms), and its two parts: from the sensor
// to the JPEG made (the camera, the stream's queue, the compression) and
// from there to the client (the handler's output queue, the server's
// write, the client's reading).
func BenchmarkMJPEGClients(b *testing.B) {
	for _, n := range []int{1, 5, 20} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			c := startCamera(b, picam.Size{Width: 640, Height: 480}, 30)
			h := NewMJPEGHandler()
			col := &collector{}
			// When each frame's JPEG was made, on the encoding goroutine.
			var encMu sync.Mutex
			encoded := make(map[uint32]int64)
			hook := func(seq uint32) {
				encMu.Lock()
				encoded[seq] = picam.MonotonicNow()
				encMu.Unlock()
			}
			testHookTaken.Store(&hook)
			defer testHookTaken.Store(nil)
			encodedAt := func(seq uint32) int64 {
				encMu.Lock()
				defer encMu.Unlock()
				return encoded[seq]
			}
			r, err := Start(context.Background(), c, Options{Encoder: MJPEG{}, Outputs: []Output{h, col}})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			var mu sync.Mutex
			var lat, dlv []time.Duration
			var wg sync.WaitGroup
			waitFrames(b, r, 5)
			f0, d0, t0 := r.Stats().Frames, r.Stats().Dropped, time.Now()
			b.ResetTimer()
			for range n {
				wg.Go(func() {
					got, fromEnc, err := clientLatencies(srv.URL, b.N, col, encodedAt)
					if err != nil {
						b.Error(err)
					}
					mu.Lock()
					lat = append(lat, got...)
					dlv = append(dlv, fromEnc...)
					mu.Unlock()
				})
			}
			wg.Wait()
			b.StopTimer()
			st := r.Stats()
			wall := time.Since(t0)
			if err := r.Stop(); err != nil {
				b.Fatal(err)
			}
			if len(lat) == 0 {
				b.Fatal("no parts received")
			}
			// The part of the latency before the server: from the sensor
			// to the encoded packet (the camera, the queue, the encode).
			enc := make([]time.Duration, len(lat))
			for i := range lat {
				enc[i] = lat[i] - dlv[i]
			}
			slices.Sort(enc)
			slices.Sort(lat)
			slices.Sort(dlv)
			b.ReportMetric(float64(enc[len(enc)*99/100].Microseconds())/1000, "sensor-encoded-p99-ms")
			b.ReportMetric(float64(dlv[len(dlv)/2].Microseconds())/1000, "encoded-p50-ms")
			b.ReportMetric(float64(dlv[len(dlv)*99/100].Microseconds())/1000, "encoded-p99-ms")
			b.ReportMetric(float64(st.Frames-f0)/wall.Seconds(), "encodes/s")
			b.ReportMetric(float64(st.Dropped-d0), "dropped")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// clientLatencies reads n parts and returns, for each, the time from its
// frame's sensor timestamp to the end of its reading, and from the moment
// its JPEG was made (encodedAt, on the encoding goroutine) to then.
// It reads as a video client does (ffmpeg's, OpenCV's): each part's
// headers, then Content-Length bytes, into one reused buffer, so that what
// is measured is the server and not the client's parsing (Go's
// multipart.Reader scans every byte for the boundary through a 4 kB
// buffer; TestMJPEGHandler reads with it).
func clientLatencies(url string, n int, col *collector, encodedAt func(seq uint32) int64) (fromSensor, fromEncoded []time.Duration, err error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(resp.Body, 256<<10)
	tp := textproto.NewReader(br)
	if line, err := tp.ReadLine(); err != nil || line != "--"+params["boundary"] {
		return nil, nil, fmt.Errorf("first line %q: %v", line, err)
	}
	type part struct {
		at  int64
		sum [32]byte
	}
	parts := make([]part, 0, n)
	var data []byte
	for range n {
		hdr, err := tp.ReadMIMEHeader()
		if err != nil {
			return nil, nil, err
		}
		size, err := strconv.Atoi(hdr.Get("Content-Length"))
		if err != nil {
			return nil, nil, err
		}
		data = slices.Grow(data[:0], size)[:size]
		if _, err := io.ReadFull(br, data); err != nil {
			return nil, nil, err
		}
		at := picam.MonotonicNow()
		if _, err := tp.ReadLine(); err != nil { // the CRLF ending the JPEG
			return nil, nil, err
		}
		if line, err := tp.ReadLine(); err != nil || line != "--"+params["boundary"] {
			return nil, nil, fmt.Errorf("boundary line %q: %v", line, err)
		}
		parts = append(parts, part{at, sum(data)})
	}
	// The frames' timestamps, looked up after the reading.
	for _, p := range parts {
		for range 5000 {
			col.mu.Lock()
			seq, ok := col.bySum[p.sum]
			var ts int64
			if ok {
				for _, pk := range col.pkts {
					if pk.Sequence == seq {
						ts = pk.SensorTimestamp
					}
				}
			}
			col.mu.Unlock()
			enc := encodedAt(seq)
			if ok {
				fromSensor = append(fromSensor, time.Duration(p.at-ts))
				fromEncoded = append(fromEncoded, time.Duration(p.at-enc))
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	return fromSensor, fromEncoded, nil
}
