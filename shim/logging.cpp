#include "logging.h"

#include <iostream>

using namespace libcamera;

extern "C" {

int picam_log_set_level(const char *category, const char *level, picam_error *err)
{
	return picam::guarded(err, "log level", [&]() -> int {
		static const char *levels[] = { "DEBUG", "INFO", "WARN", "ERROR", "FATAL" };
		if (!category || !*category)
			return picam::fail(err, -EINVAL, "log level: empty category");
		bool ok = false;
		for (const char *l : levels)
			ok = ok || (level && std::strcmp(level, l) == 0);
		if (!ok)
			return picam::fail(err, -EINVAL, "log level %s: want DEBUG, INFO, WARN, ERROR or FATAL",
					   level ? level : "(null)");
		logSetLevel(category, level);
		return 0;
	});
}

int picam_log_set_file(const char *path, int color, picam_error *err)
{
	return picam::guarded(err, "log file", [&]() -> int {
		int ret = (path && *path) ? logSetFile(path, color != 0) : logSetStream(&std::cerr, color != 0);
		if (ret < 0)
			return picam::fail(err, ret, "log file %s: %s", path ? path : "stderr", strerror(-ret));
		return 0;
	});
}

int picam_log_enable(int enabled, picam_error *err)
{
	return picam::guarded(err, "log enable", [&]() -> int {
		int ret = enabled ? logSetStream(&std::cerr, false) : logSetTarget(LoggingTargetNone);
		if (ret < 0)
			return picam::fail(err, ret, "log enable: %s", strerror(-ret));
		return 0;
	});
}

} // extern "C"
