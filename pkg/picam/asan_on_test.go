//go:build asan

package picam

// asanEnabled: built with go test -asan (make test-asan), which sets the
// asan build tag. Instrumented builds allocate where plain ones do not, so
// allocation counts are not the library's there.
const asanEnabled = true
