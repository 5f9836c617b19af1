// common.c: errors with what FFmpeg logged, and live object counts.
#include "common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/error.h>
#include <libavutil/log.h>

_Atomic int64_t pv_live_encoders, pv_live_muxers, pv_live_jpegs;

void pv_live_counts(pv_live *out) {
	out->encoders = pv_live_encoders;
	out->muxers = pv_live_muxers;
	out->jpegs = pv_live_jpegs;
}

// FFmpeg logs the reason for many failures (h264_v4l2m2m: "Could not find
// a valid device") but returns a generic code. The calls of this layer run
// on one thread each, so what was logged on the calling thread during a
// call belongs to it: kept here, appended to the call's error message.
static _Thread_local char tls_log[512];
static _Thread_local size_t tls_len;
static _Atomic int print_level = -8; // AV_LOG_QUIET: FFmpeg prints nothing unless asked

static void log_callback(void *avcl, int level, const char *fmt, va_list vl) {
	if (level <= print_level) {
		va_list copy;
		va_copy(copy, vl);
		av_log_default_callback(avcl, level, fmt, copy);
		va_end(copy);
	}
	if (level > AV_LOG_WARNING)
		return;
	char line[256];
	int prefix = 1;
	av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &prefix);
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = 0;
	if (n == 0 || tls_len + n + 3 >= sizeof tls_log)
		return;
	if (tls_len > 0) {
		memcpy(tls_log + tls_len, "; ", 2);
		tls_len += 2;
	}
	memcpy(tls_log + tls_len, line, n + 1);
	tls_len += n;
}

void pv_init(void) {
	static _Atomic int done;
	if (done)
		return;
	done = 1;
	av_log_set_callback(log_callback);
}

void pv_log_level(int level) { print_level = level; }

void pv_begin(void) {
	pv_init();
	tls_len = 0;
	tls_log[0] = 0;
}

int pv_fail(int code, char *err, size_t errlen, const char *fmt, ...) {
	if (err == NULL || errlen == 0)
		return code;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	size_t used = (size_t)n < errlen ? (size_t)n : errlen - 1;
	if (code < 0 && used + 3 < errlen) {
		char buf[128];
		av_strerror(code, buf, sizeof buf);
		used += snprintf(err + used, errlen - used, ": %s", buf);
		if (used >= errlen)
			used = errlen - 1;
	}
	if (tls_len > 0 && used + 4 < errlen)
		snprintf(err + used, errlen - used, " (%s)", tls_log);
	return code;
}
