// Compiles ../cshim.cpp into this package: cgo builds only files in the package directory.
#include "../cshim.cpp"
