//go:build !matprofile

package picamcv

// matCount is -1 without -tags matprofile (gocv's Mat profile).
func matCount() int { return -1 }

func matReport() string { return "" }
