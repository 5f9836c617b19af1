// Buffers for a stream from one of three allocators: libcamera's
// FrameBufferAllocator, a dma-heap (as Picamera2 uses on the Pi 5), or memfd
// (the only one libcamera's virtual camera can use without dma-buf devices).
#pragma once
#include "internal.h"
