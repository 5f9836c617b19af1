package libcamera

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestShimHash: libcamera/shimhash.h holds the hash of the shim's sources.
// Go's build cache sees only this directory, so a shim edit without a new
// hash here would leave a plain go build or go test running the old shim.
func TestShimHash(t *testing.T) {
	shim, _ := filepath.Glob("../shim/*.h")
	cpp, _ := filepath.Glob("../shim/*.cpp")
	slices.Sort(shim)
	slices.Sort(cpp)
	files := append(append([]string{"../cshim.h", "../cshim.cpp"}, shim...), cpp...)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Skipf("shim sources not at hand (%v): a test binary run away from its source tree", err)
		}
		h.Write(b)
	}
	want := hex.EncodeToString(h.Sum(nil))[:16]
	header, err := os.ReadFile("shimhash.h")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(header), `#define PICAMGO_SHIM_SOURCES "`+want+`"`) {
		t.Fatalf("the shim's sources changed since libcamera/shimhash.h was written (their hash is %s), so "+
			"a plain go build or go test may run the old shim: run .ci/shimhash.sh (make does not need it)", want)
	}
}
