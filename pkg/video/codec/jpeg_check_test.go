package codec

import (
	"image"
	"testing"

	"github.com/picamgo/picamgo/pkg/video/internal/bars"
)

// checkJPEGBars checks that a decoded JPEG is frame n of the bars.
func checkJPEGBars(t *testing.T, m image.Image, n int) {
	t.Helper()
	if err := bars.CheckImage(m, n); err != nil {
		t.Error(err)
	}
}
