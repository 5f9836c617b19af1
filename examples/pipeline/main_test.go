package main

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

func TestPercentile(t *testing.T) {
	// 1..100 ms: the nearest-rank p50 is 50, p99 is 99, max 100.
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	rand.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	l := summarize(s)
	if l.N != 100 || l.P50 != 50*time.Millisecond || l.P99 != 99*time.Millisecond || l.Max != 100*time.Millisecond {
		t.Errorf("summarize(1..100ms) = %+v", l)
	}
	for _, c := range []struct {
		n    int
		p    float64
		want int // 1-based rank
	}{
		{1, 50, 1}, {1, 99, 1}, {2, 50, 1}, {2, 99, 2}, {10, 99, 10}, {1000, 99, 990}, {5000, 99, 4950}, {5000, 50, 2500}, {3, 100, 3},
	} {
		s := make([]time.Duration, c.n)
		for i := range s {
			s[i] = time.Duration(i + 1)
		}
		if got := percentile(s, c.p); got != time.Duration(c.want) {
			t.Errorf("percentile(1..%d, %g) = %d, want %d", c.n, c.p, got, c.want)
		}
	}
	if l := summarize(nil); l != (latency{}) {
		t.Errorf("summarize(nil) = %+v", l)
	}
}

func TestOrderChecker(t *testing.T) {
	var o orderChecker
	for _, seq := range []uint32{3, 4, 7, 8} { // gaps are fine: skipped frames
		if !o.check(seq) {
			t.Fatalf("%d after %d reported out of order", seq, o.last)
		}
	}
	if o.check(8) || o.check(5) {
		t.Error("a repeated or earlier sequence passed")
	}
	if !o.check(9) {
		t.Error("9 after 5 reported out of order")
	}
	if o.count != 7 || o.violations != 2 || o.first != "8 after 8" {
		t.Errorf("checker = %+v", o)
	}
}

func TestHeartbeat(t *testing.T) {
	for _, timer := range []string{"go", "timerfd"} {
		t.Run(timer, func(t *testing.T) { testHeartbeat(t, timer) })
	}
}

func testHeartbeat(t *testing.T, timer string) {
	h := newHeartbeat(time.Millisecond, timer)
	ctx, cancel := context.WithCancel(context.Background())
	var g errgroup.Group
	g.Go(func() error { return h.run(ctx) })
	start := time.Now()
	lat, err := h.measure(ctx, make([]time.Duration, 50))
	if err != nil {
		t.Fatal(err)
	}
	if len(lat) != 50 {
		t.Errorf("%d samples, want 50", len(lat))
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("50 beats in %v", d)
	}
	for _, l := range lat {
		if l < 0 {
			t.Errorf("negative lateness %v", l)
		}
	}
	cancel()
	g.Wait()
}

// bgrRow makes the column means of a bar chart of the given colours (each
// width columns), scrolled left by shift columns, with a blurred column
// between bars as the chroma subsampling makes.
func bgrRow(colours string, width, shift int) []float32 {
	val := map[byte][3]float32{'W': {235, 240, 250}, 'Y': {10, 250, 245}, 'C': {250, 245, 12}, 'G': {5, 240, 8},
		'M': {245, 3, 250}, 'R': {2, 5, 250}, 'B': {250, 4, 3}, 'K': {1, 2, 0}}
	n := len(colours) * width
	row := make([]float32, 0, 3*n)
	for x := range n {
		src := (x + shift) % n
		c := val[colours[src/width]]
		if src%width == 0 { // the edge: halfway to the previous bar
			p := val[colours[(src/width+len(colours)-1)%len(colours)]]
			for i := range c {
				c[i] = (c[i] + p[i]) / 2
			}
		}
		row = append(row, c[:]...)
	}
	return row
}

func TestFindBars(t *testing.T) {
	for _, c := range []struct {
		shift     int
		wantOrder string
		wantX     int
	}{
		{0, "WYCGMRBK", 0},
		{100, "WYCGMRBK", 1820},       // scrolled left: white wraps round to the right
		{240, "WYCGMRBK", 1680},       // yellow first on screen
		{1900, "WYCGMRBK", 20},        // white starts at column 20
		{1920 - 120, "WYCGMRBK", 120}, // black cut in two on the left and the right
	} {
		b := findBars(bgrRow("WYCGMRBK", 240, c.shift))
		if got := string(b.Colours[:b.N]); got != c.wantOrder || b.WhiteX != c.wantX {
			t.Errorf("shift %d: %s, want bars=%s x=%d", c.shift, b, c.wantOrder, c.wantX)
		}
	}
	if b := findBars(bgrRow("RGB", 100, 0)); b.String() != "bars=RGB x=-1" {
		t.Errorf("no white bar: %s", b)
	}
	if b := findBars(nil); b.N != 0 {
		t.Errorf("no columns: %s", b)
	}
}

func TestFindBarsAllocs(t *testing.T) {
	row := bgrRow("WYCGMRBK", 240, 77)
	var buf []byte
	if n := testing.AllocsPerRun(100, func() { buf = findBars(row).AppendText(buf[:0]) }); n != 0 {
		t.Errorf("findBars allocates %v times per frame", n)
	}
}

// The server and the client over a real connection: pings are answered,
// results in order pass, a result out of order is reported.
func TestServerClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := listen("127.0.0.1:0", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.run(gctx) })
	cl, err := dial(ctx, srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	g.Go(func() error { return cl.read(gctx) })

	phase := func(name string, seqs ...uint32) phaseSummary {
		t.Helper()
		if err := cl.begin(name); err != nil {
			t.Fatal(err)
		}
		for _, s := range seqs {
			if err := cl.result(s, int64(s)*1000, []byte("bars=WYCGMRBK x=3")); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(30 * time.Millisecond) // some pings
		s, err := cl.end(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := phase("ordered", 1, 2, 5, 6)
	if s.Results != 4 || s.Violations != 0 || s.Pings == 0 || s.RTT.N == 0 || s.RTT.P99 <= 0 {
		t.Errorf("ordered: %+v", s)
	}
	s = phase("shuffled", 10, 12, 11, 13)
	if s.Results != 4 || s.Violations != 1 || s.First != "11 after 12" {
		t.Errorf("shuffled: %+v", s)
	}
	if cl.pongs.Load() == 0 {
		t.Error("no pongs")
	}
	cl.Close()
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestVerdict(t *testing.T) {
	ok := []phaseReport{{name: "idle"}, {name: "capture", sent: 3, server: phaseSummary{Results: 3}}}
	if err := verdict(ok); err != nil {
		t.Errorf("verdict(ok) = %v", err)
	}
	bad := []phaseReport{{name: "process", sent: 3, server: phaseSummary{Results: 3, Violations: 1, First: "2 after 3"}}}
	if err := verdict(bad); err == nil {
		t.Error("verdict passed results out of order")
	}
	lost := []phaseReport{{name: "process", sent: 3, server: phaseSummary{Results: 2}}}
	if err := verdict(lost); err == nil {
		t.Error("verdict passed a lost result")
	}
}
