// Controls, properties and metadata: libcamera's ControlList, ControlValue,
// ControlId and ControlInfoMap in the flat encoding of cshim.h.
#pragma once
#include "internal.h"
