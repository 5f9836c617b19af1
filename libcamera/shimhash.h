// The hash of the shim's sources this package is built from: written by
// .ci/shimhash.sh after a shim edit, so that Go's build cache, which sees
// only this directory, rebuilds the shim (see TestShimHash).
#define PICAMGO_SHIM_SOURCES "ad4802ff134fe85a"
