// Compiles ../shim/framebuffer_allocator.cpp into this package: cgo builds only files in the package directory.
#include "../shim/framebuffer_allocator.cpp"
