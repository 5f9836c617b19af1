// Compiles ../shim/request.cpp into this package: cgo builds only files in the package directory.
#include "../shim/request.cpp"
