// CameraConfiguration and StreamConfiguration: generate, edit, validate.
#pragma once
#include "internal.h"
