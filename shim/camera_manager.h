// The process's one CameraManager, shared and reference counted: libcamera
// aborts on a second one, and cameras must go before it stops.
#pragma once
#include "internal.h"
