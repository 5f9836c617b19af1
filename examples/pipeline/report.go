package main

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/picamgo/picamgo/pkg/picam"
)

// The story's targets for the heartbeat's p99 lateness.
const (
	captureBudget = 200 * time.Microsecond // capture alone adds under this to p99
	processBudget = 2 * time.Millisecond   // capture with processing keeps p99 under this
)

func printReport(w io.Writer, reports []phaseReport, rate float64, st picam.Stats) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tframes/s\tskipped\tCPU %\thb p50 ms\thb p99 ms\thb max ms\tping p50 ms\tping p99 ms\tresults\torder\tGCs\tGC pause ms\t")
	for _, r := range reports {
		fps := "-"
		if r.name != "idle" {
			fps = formatFloat(float64(r.frames)/r.seconds, 1)
		}
		order := "ok"
		if r.server.Violations > 0 || int(r.sent) != r.server.Results {
			order = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d\t%s\t\n",
			r.name, fps, r.dropped, 100*r.cpu, ms(r.heartbeat.P50), ms(r.heartbeat.P99), ms(r.heartbeat.Max),
			ms(r.server.RTT.P50), ms(r.server.RTT.P99), r.server.Results, order, r.gcs, ms(r.gcPause))
	}
	tw.Flush()
	if rate > 0 {
		fmt.Fprintf(w, "full rate: %s frames/s, the camera's FrameDurationLimits (libcamera's virtual camera does not pace itself; picam paces it)\n", formatFloat(rate, 1))
	}
	fmt.Fprintf(w, "camera: %d frames, %d dropped by libcamera, %d skipped by streams, %d withheld, %d leaked\n",
		st.Frames, st.Dropped, st.StreamDropped, st.Withheld, st.Leaked)
	if len(reports) < 3 {
		return
	}
	idle, capture, process := reports[0].heartbeat, reports[1].heartbeat, reports[2].heartbeat
	fmt.Fprintf(w, "heartbeat p99: capture adds %s ms (target < %s ms: %s); with processing %s ms, +%s ms (target < %s ms: %s)\n",
		ms(capture.P99-idle.P99), ms(captureBudget), met(capture.P99-idle.P99 < captureBudget),
		ms(process.P99), ms(process.P99-idle.P99), ms(processBudget), met(process.P99 < processBudget))
	if len(reports) > 3 {
		draw := reports[3].heartbeat
		fmt.Fprintf(w, "  (the virtual camera's drawing at normal priority: capture adds %s ms; a real camera draws in hardware)\n",
			ms(draw.P99-idle.P99))
	}
	if rate > 0 {
		full := func(r phaseReport) bool { return float64(r.frames)/r.seconds >= 0.97*rate }
		fmt.Fprintf(w, "frame rate: capture %s, processing %s (target: the camera's full rate, %s frames/s)\n",
			met(full(reports[1])), met(full(reports[2])), formatFloat(rate, 1))
	}
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// verdict fails the run on what must hold whatever the machine's load:
// every result of every phase reached the server, in frame order.
func verdict(reports []phaseReport) error {
	var errs []error
	for _, r := range reports {
		s := r.server
		if s.Violations > 0 {
			errs = append(errs, fmt.Errorf("phase %s: %d results out of order (first: %s)", r.name, s.Violations, s.First))
		}
		if int(r.sent) != s.Results {
			errs = append(errs, fmt.Errorf("phase %s: sent %d results, the server received %d", r.name, r.sent, s.Results))
		}
		if r.name != "idle" && s.Results == 0 {
			errs = append(errs, fmt.Errorf("phase %s: no results", r.name))
		}
	}
	return errors.Join(errs...)
}
