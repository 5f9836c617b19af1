#include "camera_manager.h"

using namespace libcamera;

namespace picam {

static std::mutex managerMu;
static int managerRefs;
static CameraManager *manager;

CameraManager *managerRef(picam_error *err, int *ret)
{
	std::lock_guard<std::mutex> lock(managerMu);
	if (!manager) {
		auto cm = std::make_unique<CameraManager>();
		int r = cm->start();
		if (r < 0) {
			*ret = fail(err, r, "camera manager: start failed: %s", strerror(-r));
			return nullptr;
		}
		manager = cm.release();
	}
	managerRefs++;
	*ret = 0;
	return manager;
}

void managerUnref() noexcept
{
	try {
		std::lock_guard<std::mutex> lock(managerMu);
		if (managerRefs <= 0)
			return;
		if (--managerRefs == 0) {
			CameraManager *cm = manager;
			manager = nullptr;
			cm->stop();
			delete cm;
		}
	} catch (...) {
		// Nothing to report it to: the manager stays (stopped or not),
		// which only costs memory; a later managerRef starts a new one.
	}
}

} // namespace picam

extern "C" {

int picam_manager_open(picam_manager **out, picam_error *err)
{
	return picam::guarded(err, "camera manager", [&]() -> int {
		if (!out)
			return picam::fail(err, -EINVAL, "camera manager: no output handle");
		int ret;
		CameraManager *cm = picam::managerRef(err, &ret);
		if (!cm)
			return ret;
		*out = new picam_manager{ cm };
		return 0;
	});
}

void picam_manager_close(picam_manager *m)
{
	if (!m)
		return;
	delete m;
	picam::managerUnref();
}

int picam_manager_camera_count(picam_manager *m)
{
	return picam::guarded(nullptr, "camera count", [&]() -> int {
		return m ? int(m->cm->cameras().size()) : -EINVAL;
	});
}

} // extern "C"
