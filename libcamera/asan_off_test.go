//go:build !asan

package libcamera

// asanEnabled: see asan_on_test.go.
const asanEnabled = false
