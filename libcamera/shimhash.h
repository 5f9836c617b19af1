// The hash of the shim's sources this package is built from: written by
// .ci/shimhash.sh after a shim edit, so that Go's build cache, which sees
// only this directory, rebuilds the shim (see TestShimHash).
#define PICAMGO_SHIM_SOURCES "4738d4ff24dc77e0"
