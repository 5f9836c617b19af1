// Compiles ../shim/camera_manager.cpp into this package: cgo builds only files in the package directory.
#include "../shim/camera_manager.cpp"
