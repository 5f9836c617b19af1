// cshim.cpp: the parts of the C ABI that belong to no libcamera class:
// errors, byte buffers and versions. The per-class parts live in shim/.
#include <cstdio>

#include "shim/internal.h"

namespace picam {

int fail(picam_error *err, int code, const char *fmt, ...)
{
	if (err) {
		err->code = code;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

void clear(picam_error *err)
{
	if (err) {
		err->code = 0;
		err->message[0] = '\0';
	}
}

} // namespace picam

extern "C" {

picam_bytes *picam_bytes_new(void)
{
	return new (std::nothrow) picam_bytes();
}

const uint8_t *picam_bytes_data(const picam_bytes *b)
{
	return b && !b->data.empty() ? b->data.data() : nullptr;
}

size_t picam_bytes_len(const picam_bytes *b)
{
	return b ? b->data.size() : 0;
}

void picam_bytes_free(picam_bytes *b)
{
	delete b;
}

const char *picam_libcamera_version(void)
{
	try {
		return libcamera::CameraManager::version().c_str();
	} catch (...) {
		return "";
	}
}

#define PICAM_STR2(x) #x
#define PICAM_STR(x) PICAM_STR2(x)

const char *picam_libcamera_build_version(void)
{
	return PICAM_STR(LIBCAMERA_VERSION_MAJOR) "." PICAM_STR(LIBCAMERA_VERSION_MINOR) "." PICAM_STR(
		LIBCAMERA_VERSION_PATCH);
}

} // extern "C"
