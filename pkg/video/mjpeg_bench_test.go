package video

import (
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
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
// p99 below one frame interval, 33 ms).
func BenchmarkMJPEGClients(b *testing.B) {
	for _, n := range []int{1, 5, 20} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			c := startCamera(b, picam.Size{Width: 640, Height: 480}, 30)
			h := NewMJPEGHandler()
			col := &collector{}
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
					got, fromEnc, err := clientLatencies(srv.URL, b.N, col)
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
			slices.Sort(lat)
			slices.Sort(dlv)
			if len(lat) == 0 {
				b.Fatal("no parts received")
			}
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
// the encoded packet reached the outputs (the collector's time) to then.
func clientLatencies(url string, n int, col *collector) (fromSensor, fromEncoded []time.Duration, err error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, nil, err
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	type part struct {
		at  int64
		sum [32]byte
	}
	parts := make([]part, 0, n)
	for range n {
		p, err := mr.NextPart()
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, err
		}
		parts = append(parts, part{picam.MonotonicNow(), sum(data)})
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
			enc := col.arrived[seq]
			col.mu.Unlock()
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
