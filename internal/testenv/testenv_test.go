package testenv

import (
	"os"
	"strings"
	"testing"
)

func TestStackKey(t *testing.T) {
	g := "goroutine 42 [chan receive, 3 minutes]:\n" +
		"main.worker(0xc000010000, 0x2)\n\t/src/main.go:10 +0x25\n" +
		"created by main.main in goroutine 1\n\t/src/main.go:5 +0x1f"
	want := "chan receive\n  main.worker\n  created by main.main in goroutine 1"
	if got := stackKey(g); got != want {
		t.Errorf("stackKey = %q, want %q", got, want)
	}
}

// A new fd and a new goroutine show in a report, by target and by stack.
func TestCheckLeaksReport(t *testing.T) {
	var env Env
	before := env.Settle()
	snap := TakeSnapshot()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stop := make(chan struct{})
	defer close(stop)
	started := make(chan struct{})
	go func() { close(started); <-stop }()
	<-started
	now := env.Count()
	if now.FDs != before.FDs+1 || now.Goroutines != before.Goroutines+1 {
		t.Errorf("counts %v after opening a file and starting a goroutine, before %v", now, before)
	}
	report := TakeSnapshot().Since(snap)
	if !strings.Contains(report, "+1 fd: "+os.DevNull) || !strings.Contains(report, "TestCheckLeaksReport.func") {
		t.Errorf("report %q", report)
	}
}
