// common.h: what the C files of pkg/video/codec share (not part of the ABI).
#ifndef PICAMGO_VIDEO_COMMON_H
#define PICAMGO_VIDEO_COMMON_H

#include "codec.h"

extern _Atomic int64_t pv_live_encoders, pv_live_muxers, pv_live_jpegs;


void pv_init(void);
// Starts a call: forgets what FFmpeg logged before on this thread.
void pv_begin(void);
// Writes "fmt: <text of code> (<what FFmpeg logged>)" into err; returns code.
int pv_fail(int code, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void pv_log_level(int level);

#endif
