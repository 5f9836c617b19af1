// Compiles ../shim/controls.cpp into this package: cgo builds only files in the package directory.
#include "../shim/controls.cpp"
