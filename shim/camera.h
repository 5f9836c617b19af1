// Camera: acquire/release, configure, start/stop and request completion,
// with libcamera's state machine checked here so a wrong call is an error.
#pragma once
#include "internal.h"
