package picam

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCaptureSites: a request held by the application is reported with
// the line that captured it, whether by a capture call, its asynchronous
// form (whose capture runs on the job's goroutine) or a Frames loop.
func TestCaptureSites(t *testing.T) {
	c, _ := startCamera(t, barsID, small, startOpts{})
	direct, err := c.CaptureRequest(ctxT(t)) // site: direct
	if err != nil {
		t.Fatal(err)
	}
	async, err := c.CaptureRequestAsync(ctxT(t)).Wait(ctxT(t)) // site: async
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.OpenFrameStream(ctxT(t), FrameStreamOptions{}) // site: stream
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := st.Next(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// The sites a StallError names.
	c.mu.Lock()
	sites := strings.Join(c.set.heldSites(), ", ")
	c.mu.Unlock()
	t.Log(sites)
	for _, want := range []string{"direct", "async", "stream"} {
		line := lineOf(t, "// site: "+want)
		if !regexp.MustCompile(`callsite_test\.go:` + line + ` picam\.TestCaptureSites`).MatchString(sites) {
			t.Errorf("the %s capture (callsite_test.go:%s) is not named in %v", want, line, sites)
		}
	}
	direct.Release()
	async.Release()
	streamed.Release()
}

// lineOf returns the line number of the line of this file holding marker.
func lineOf(t *testing.T, marker string) string {
	t.Helper()
	src, err := os.ReadFile("callsite_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(src), "\n") {
		if strings.Contains(line, marker) && !strings.Contains(line, "lineOf") {
			return strconv.Itoa(i + 1)
		}
	}
	t.Fatalf("no line holds %q", marker)
	return ""
}
