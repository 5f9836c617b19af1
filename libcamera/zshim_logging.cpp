// Compiles ../shim/logging.cpp into this package: cgo builds only files in the package directory.
#include "../shim/logging.cpp"
