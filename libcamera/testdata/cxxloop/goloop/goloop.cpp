// The C++ loop, unchanged, with its main renamed so that a Go program can call it.
extern "C" int cxxloop_main(int argc, char **argv);
#define main cxxloop_main
#include "../loop.cpp"
