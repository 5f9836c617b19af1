// Compiles ../shim/pixel_format.cpp into this package: cgo builds only files in the package directory.
#include "../shim/pixel_format.cpp"
