//go:build !asan

package picam

// asanEnabled: see asan_on_test.go.
const asanEnabled = false
