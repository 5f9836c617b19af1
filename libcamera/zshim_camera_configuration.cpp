// Compiles ../shim/camera_configuration.cpp into this package: cgo builds only files in the package directory.
#include "../shim/camera_configuration.cpp"
