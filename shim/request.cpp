#include "request.h"

using namespace libcamera;

static void detachBuffers(picam_request *r)
{
	picam_camera *c = r->camera;
	for (auto [s, b] : r->buffers)
		if (size_t(s) < c->buffers.size() && size_t(b) < c->buffers[s].users.size() &&
		    c->buffers[s].users[b] == r)
			c->buffers[s].users[b] = nullptr;
	r->buffers.clear();
}

int picam_request_free_locked(picam_request *r, picam_error *err)
{
	RequestState st = r->state.load();
	if (st == RequestState::Queued)
		return picam::fail(err, -EBUSY, "free request: it is queued; stop the camera first");
	if (st == RequestState::Completing)
		return picam::fail(err, -EINPROGRESS, "free request: its completion is still being handed over");
	picam_camera *c = r->camera;
	picam::syncForCpu(r, false);
	detachBuffers(r);
	auto it = std::find(c->requests.begin(), c->requests.end(), r);
	if (it != c->requests.end()) {
		*it = c->requests.back();
		c->requests.pop_back();
	}
	delete r;
	return 0;
}

// What queueing needs of the camera and the request, with the camera's mu held.
static int checkQueueable(picam_request *r, picam_error *err)
{
	picam_camera *c = r->camera;
	if (c->state != CameraState::Running)
		return picam::fail(err, -EACCES, "queue request %s: camera is not running", c->id.c_str());
	if (r->state.load() == RequestState::Queued)
		return picam::fail(err, -EBUSY, "queue request: it is already queued");
	if (r->buffers.empty())
		return picam::fail(err, -EINVAL, "queue request: it has no buffers");
	return 0;
}

// Queues a pending request with its decoded controls, with the camera's mu held.
static int queueLocked(picam_request *r, const ControlList &controls, picam_error *err)
{
	picam_camera *c = r->camera;
	for (const auto &[id, value] : controls)
		r->request->controls().set(id, value);
#if PICAM_LC_VERSION < 500
	// libcamera 0.4 leaves a new FrameBuffer's metadata uninitialised and its
	// virtual pipeline never writes it, while completion cancels the request
	// when a buffer's status reads FrameCancelled: garbage cancelled about one
	// run in eight. Pipelines that do write the metadata overwrite this.
	// metadata() is const only to keep applications from writing it; the
	// object itself is not const.
	for (const auto &[stream, fb] : r->request->buffers())
		const_cast<FrameMetadata &>(fb->metadata()).status = FrameMetadata::FrameSuccess;
#endif
	picam::syncForCpu(r, false);
	// Queued before libcamera sees it: completion may come before queueRequest returns.
	r->state.store(RequestState::Queued);
	c->queued.fetch_add(1);
	int ret = c->camera->queueRequest(r->request.get());
	if (ret < 0) {
		r->state.store(RequestState::Idle);
		c->queued.fetch_sub(1);
		return picam::fail(err, ret, "queue request %s: %s", c->id.c_str(), strerror(-ret));
	}
	return 0;
}

extern "C" {

int picam_request_create(picam_camera *c, uint64_t cookie, void *handle, picam_request **out,
			 picam_error *err)
{
	return picam::guarded(err, "create request", [&]() -> int {
		if (!c || !out)
			return picam::fail(err, -EINVAL, "create request: missing argument");
		std::lock_guard<std::mutex> lock(c->mu);
		if (c->state != CameraState::Configured && c->state != CameraState::Running)
			return picam::fail(err, -EACCES, "create request %s: camera is not configured", c->id.c_str());
		auto r = std::make_unique<picam_request>();
		r->camera = c;
		r->cookie = cookie;
		r->handle = handle;
		r->completion = picam_completion{};
		// libcamera's cookie carries our request, so completion finds it without a lookup.
		r->request = c->camera->createRequest(reinterpret_cast<uint64_t>(r.get()));
		if (!r->request)
			return picam::fail(err, -ENOMEM, "create request %s: libcamera returned none", c->id.c_str());
		c->requests.push_back(r.get());
		*out = r.release();
		return 0;
	});
}

int picam_request_free(picam_request *r, picam_error *err)
{
	return picam::guarded(err, "free request", [&]() -> int {
		if (!r)
			return 0;
		std::lock_guard<std::mutex> lock(r->camera->mu);
		return picam_request_free_locked(r, err);
	});
}

int picam_request_add_buffer(picam_request *r, int stream, int buffer, picam_error *err)
{
	return picam::guarded(err, "add buffer", [&]() -> int {
		if (!r)
			return picam::fail(err, -EINVAL, "add buffer: no request");
		picam_camera *c = r->camera;
		std::lock_guard<std::mutex> lock(c->mu);
		if (r->state.load() == RequestState::Queued)
			return picam::fail(err, -EBUSY, "add buffer: request is queued");
		if (stream < 0 || size_t(stream) >= c->streams.size())
			return picam::fail(err, -EINVAL, "add buffer: no stream %d (%zu configured)", stream,
					   c->streams.size());
		picam_stream_buffers &sb = c->buffers[stream];
		if (buffer < 0 || size_t(buffer) >= sb.buffers.size())
			return picam::fail(err, -EINVAL, "add buffer: stream %d has no buffer %d (%zu allocated)",
					   stream, buffer, sb.buffers.size());
		for (auto [s, b] : r->buffers)
			if (s == stream)
				return picam::fail(err, -EEXIST, "add buffer: request already has a buffer for stream %d",
						   stream);
		if (sb.users[buffer])
			return picam::fail(err, -EBUSY, "add buffer: stream %d buffer %d is in another request",
					   stream, buffer);
		int ret = r->request->addBuffer(c->streams[stream], sb.buffers[buffer]);
		if (ret < 0)
			return picam::fail(err, ret, "add buffer: %s", strerror(-ret));
		sb.users[buffer] = r;
		r->buffers.emplace_back(stream, buffer);
		return 0;
	});
}

int picam_request_reuse(picam_request *r, int keep_buffers, picam_error *err)
{
	return picam::guarded(err, "reuse request", [&]() -> int {
		if (!r)
			return picam::fail(err, -EINVAL, "reuse request: no request");
		std::lock_guard<std::mutex> lock(r->camera->mu);
		if (r->state.load() == RequestState::Queued)
			return picam::fail(err, -EBUSY, "reuse request: it is queued");
		r->request->reuse(keep_buffers ? Request::ReuseBuffers : Request::Default);
		if (!keep_buffers) {
			picam::syncForCpu(r, false);
			detachBuffers(r);
		}
		r->state.store(RequestState::Idle);
		return 0;
	});
}

int picam_request_queue(picam_request *r, const uint8_t *controls, size_t len, picam_error *err)
{
	return picam::guarded(err, "queue request", [&]() -> int {
		if (!r)
			return picam::fail(err, -EINVAL, "queue request: no request");
		picam_camera *c = r->camera;
		std::lock_guard<std::mutex> lock(c->mu);
		int ret = checkQueueable(r, err);
		if (ret < 0)
			return ret;
		RequestState st = r->state.load();
		if (st == RequestState::Completed || st == RequestState::Completing ||
		    r->request->status() != Request::RequestPending)
			return picam::fail(err, -EINVAL, "queue request: it has completed; reuse it first");
		ControlList list(c->camera->controls());
		if (len)
			ret = picam::decodeControls(c->camera->controls(), controls, len, list, err);
		if (ret < 0)
			return ret;
		return queueLocked(r, list, err);
	});
}

int picam_request_requeue(picam_request *r, const uint8_t *controls, size_t len, picam_error *err)
{
	return picam::guarded(err, "requeue request", [&]() -> int {
		if (!r)
			return picam::fail(err, -EINVAL, "requeue request: no request");
		picam_camera *c = r->camera;
		std::lock_guard<std::mutex> lock(c->mu);
		int ret = checkQueueable(r, err);
		if (ret < 0)
			return ret;
		// Decoded before the reuse, so that bad controls leave the request
		// as it was.
		ControlList list(c->camera->controls());
		if (len)
			ret = picam::decodeControls(c->camera->controls(), controls, len, list, err);
		if (ret < 0)
			return ret;
		r->request->reuse(Request::ReuseBuffers);
		r->state.store(RequestState::Idle);
		return queueLocked(r, list, err);
	});
}

} // extern "C"
