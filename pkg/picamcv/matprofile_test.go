//go:build matprofile

package picamcv

import (
	"strings"

	"gocv.io/x/gocv"
)

// matCount is how many gocv Mats are open (gocv's Mat profile).
func matCount() int { return gocv.MatProfile.Count() }

// matReport lists where the open Mats were made.
func matReport() string {
	var b strings.Builder
	gocv.MatProfile.WriteTo(&b, 1)
	return b.String()
}
