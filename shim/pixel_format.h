// PixelFormat names, through libcamera's own tables.
#pragma once
#include "internal.h"
