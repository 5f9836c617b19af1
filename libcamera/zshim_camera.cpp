// Compiles ../shim/camera.cpp into this package: cgo builds only files in the package directory.
#include "../shim/camera.cpp"
