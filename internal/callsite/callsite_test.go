package callsite

import (
	"runtime"
	"strings"
	"testing"
)

func record() []uintptr {
	pcs := make([]uintptr, 8)
	return pcs[:runtime.Callers(1, pcs)]
}

func TestDescribe(t *testing.T) {
	pcs := record()
	got := Describe(pcs, "github.com/picamgo/picamgo/internal/callsite")
	// record and this test are both in the package, but the test file counts as outside.
	if !strings.HasPrefix(got, "callsite_test.go:") || !strings.Contains(got, "callsite.TestDescribe") {
		t.Errorf("Describe = %q", got)
	}
	if got := Describe(nil, "x"); got != "(unknown)" {
		t.Errorf("Describe(nil) = %q", got)
	}
}
