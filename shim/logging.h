// libcamera's logging: levels per category, file or stderr, or off.
#pragma once
#include "internal.h"
