// Requests: created per camera, given buffers, queued with controls, and
// reported back through the camera's completion callback.
#pragma once
#include "internal.h"
