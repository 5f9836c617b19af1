#include "camera_manager.h"

#include <set>

using namespace libcamera;

namespace picam {

static std::mutex managerMu;
static int managerRefs;
static CameraManager *manager;
// The cameras whose requestCompleted routeCompletion listens to: each is
// connected once and stays connected while the manager lives. libcamera's
// Signal copies its slots and calls them outside its lock, so a disconnect
// racing an emission (one camera stopping while libcamera's thread still
// completes on it) frees a slot that is about to run: a segfault on
// libcamera's thread, seen with two cameras cycling under -race.
static std::set<Camera *> listened;

// On libcamera's thread: every request the shim made carries its
// picam_request as cookie, which names the handle that waits for it.
static void routeCompletion(Request *request)
{
	auto *r = reinterpret_cast<picam_request *>(request->cookie());
	if (r && r->camera)
		r->camera->requestCompleted(request);
}

void listen(Camera *camera)
{
	std::lock_guard<std::mutex> lock(managerMu);
	if (listened.insert(camera).second)
		camera->requestCompleted.connect(&routeCompletion);
}

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
			// The cameras go with the manager, and their Signals with them.
			listened.clear();
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
