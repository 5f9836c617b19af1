package main

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
	"github.com/picamgo/picamgo/pkg/picamcv"
	"gocv.io/x/gocv"
)

// bars is what the processing finds in a frame of vertical colour bars
// (the virtual camera's "bars" pattern, or a test chart): the bars' colours
// from left to right, starting at the white one, and where the white bar
// starts, which tells how far the pattern has scrolled.
type bars struct {
	Colours [maxBars]byte // initials: W Y C G M R B K (black), ? for grey
	N       int           // bars found
	WhiteX  int           // column where the white bar starts; -1 without one
}

const maxBars = 16

// AppendText formats b for a result line: "bars=WYCGMRBK x=480".
func (b bars) AppendText(dst []byte) []byte {
	dst = append(append(dst, "bars="...), b.Colours[:b.N]...)
	return strconv.AppendInt(append(dst, " x="...), int64(b.WhiteX), 10)
}

func (b bars) String() string { return string(b.AppendText(nil)) }

// analyzer processes frames on several workers at once. Each worker takes
// the Mats of one of its slots for the length of a frame, so that the
// processing allocates nothing once the Mats have their sizes.
type analyzer struct {
	slots chan *cvSlot
	all   []*cvSlot
	times []time.Duration // how long each frame took, up to its capacity
	n     atomic.Int64
	// colorSpace, if not nil, replaces the colour space the camera reports
	// (see drawnColorSpace).
	colorSpace *picam.ColorSpace
}

type cvSlot struct {
	bgr  gocv.Mat // the frame in BGR
	cols gocv.Mat // 1 x width, CV_32FC3: each column's mean colour
}

func newAnalyzer(workers int, cs *picam.ColorSpace) *analyzer {
	a := &analyzer{slots: make(chan *cvSlot, workers), times: make([]time.Duration, 1<<16), colorSpace: cs}
	for range workers {
		s := &cvSlot{bgr: gocv.NewMat(), cols: gocv.NewMat()}
		a.all = append(a.all, s)
		a.slots <- s
	}
	return a
}

// frameTimes returns how long the frames took so far.
func (a *analyzer) frameTimes() []time.Duration {
	return a.times[:min(a.n.Load(), int64(len(a.times)))]
}

func (a *analyzer) Close() {
	for _, s := range a.all {
		s.bgr.Close()
		s.cols.Close()
	}
}

// analyze is the per-frame function given to picam.Process: it runs on a
// worker goroutine, and the request is released when it returns.
//
// It converts the frame to BGR (NV12 to BGR, reading the camera's buffer
// in place), averages each column (the bars are vertical: a 1-row image of
// the columns' colours) and classifies the columns into bars.
func (a *analyzer) analyze(ctx context.Context, r *picam.CompletedRequest) (bars, error) {
	var s *cvSlot
	select {
	case s = <-a.slots:
	case <-ctx.Done():
		return bars{}, ctx.Err()
	}
	start := time.Now()
	defer func() {
		if i := a.n.Add(1) - 1; i < int64(len(a.times)) {
			a.times[i] = time.Since(start)
		}
		a.slots <- s
	}()
	if a.colorSpace == nil {
		if err := picamcv.BGRTo(r, picam.Main, &s.bgr); err != nil {
			return bars{}, err
		}
	} else {
		f, err := r.Frame(picam.Main)
		if err != nil {
			return bars{}, err
		}
		f.ColorSpace = a.colorSpace
		if err := picamcv.FrameBGRTo(f, &s.bgr); err != nil {
			return bars{}, err
		}
	}
	gocv.Reduce(s.bgr, &s.cols, 0, gocv.ReduceAvg, gocv.MatTypeCV32F)
	means, err := s.cols.DataPtrFloat32()
	if err != nil {
		return bars{}, err
	}
	if len(means) != 3*s.bgr.Cols() {
		return bars{}, fmt.Errorf("column means: %d values for %d columns", len(means), s.bgr.Cols())
	}
	return findBars(means), nil
}

// findBars classifies columns, given as B, G, R means (0..255) one after
// the other, into bars of the 8 colours of a colour-bar chart. Runs of a
// few columns (the blurred edges between bars) are ignored: a bar starts
// where the previous one ends. A bar cut by the image's edge (a scrolled
// pattern) counts once.
func findBars(bgr []float32) bars {
	cols := len(bgr) / 3
	res := bars{WhiteX: -1}
	if cols == 0 {
		return res
	}
	minRun := max(cols/128, 2)
	type run struct {
		c          byte
		start, end int // columns [start, end)
	}
	var runs [2 * maxBars]run
	nr := 0
	keep := func(r run) {
		switch {
		case r.end-r.start < minRun:
		case nr > 0 && runs[nr-1].c == r.c:
			runs[nr-1].end = r.end // the same bar across an ignored edge
		case nr < len(runs):
			runs[nr] = r
			nr++
		}
	}
	cur := run{c: colourOf(bgr[0:3])}
	for x := 1; x < cols; x++ {
		if c := colourOf(bgr[3*x : 3*x+3]); c != cur.c {
			cur.end = x
			keep(cur)
			cur = run{c: c, start: x}
		}
	}
	cur.end = cols
	keep(cur)
	if nr == 0 {
		return res
	}
	if nr > 1 && runs[0].c == runs[nr-1].c {
		// The same bar on both edges: scrolled around. It starts on the right.
		runs[0].start = runs[nr-1].start
		nr--
	}
	first := -1
	for i := range nr {
		if runs[i].c == 'W' {
			first = i
			res.WhiteX = runs[i].start
			if nr > 1 {
				res.WhiteX = runs[(i+nr-1)%nr].end % cols
			}
			break
		}
	}
	first = max(first, 0)
	res.N = min(nr, maxBars)
	for i := range res.N {
		res.Colours[i] = runs[(first+i)%nr].c
	}
	return res
}

// colourOf names a colour by which of its B, G, R components are bright.
func colourOf(bgr []float32) byte {
	const lo, hi = 64, 192
	var bits int
	for i, v := range bgr[:3] {
		switch {
		case v >= hi:
			bits |= 1 << i
		case v > lo:
			return '?'
		}
	}
	return "KBGCRMYW"[bits] // bit 0 blue, bit 1 green, bit 2 red
}
