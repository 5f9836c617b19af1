//go:build race

package picam

// raceEnabled: built with -race. The race detector's shadow memory and
// metadata grow the process's RSS (measured: +21 MB over 10^5 frames with
// the Go heap constant, -0.4 MB without -race), so RSS is judged without it.
const raceEnabled = true
