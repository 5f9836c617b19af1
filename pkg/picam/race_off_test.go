//go:build !race

package picam

// raceEnabled: see race_on_test.go.
const raceEnabled = false
