#include "pixel_format.h"

using namespace libcamera;

extern "C" {

int picam_pixel_format_from_string(const char *name, uint32_t *fourcc, uint64_t *modifier,
				   picam_error *err)
{
	return picam::guarded(err, "pixel format", [&]() -> int {
		if (!name || !fourcc || !modifier)
			return picam::fail(err, -EINVAL, "pixel format: missing argument");
		PixelFormat pf = PixelFormat::fromString(name);
		if (!pf.isValid())
			return picam::fail(err, -EINVAL, "pixel format \"%s\" is unknown to libcamera", name);
		*fourcc = pf.fourcc();
		*modifier = pf.modifier();
		return 0;
	});
}

int picam_pixel_format_to_string(uint32_t fourcc, uint64_t modifier, char *buf, size_t len)
{
	return picam::guarded(nullptr, "pixel format", [&]() -> int {
		if (!buf || len == 0)
			return -EINVAL;
		std::string s = PixelFormat(fourcc, modifier).toString();
		std::snprintf(buf, len, "%s", s.c_str());
		return int(s.size());
	});
}

} // extern "C"
