#include "camera.h"

using namespace libcamera;

static const char *stateName(CameraState s)
{
	switch (s) {
	case CameraState::Available: return "available";
	case CameraState::Acquired: return "acquired";
	case CameraState::Configured: return "configured";
	case CameraState::Running: return "running";
	}
	return "?";
}

int picam_camera::streamIndex(const Stream *s) const
{
	for (size_t i = 0; i < streams.size(); i++)
		if (streams[i] == s)
			return int(i);
	return -1;
}

[[maybe_unused]] static uint32_t frameStatus(FrameMetadata::Status s)
{
	switch (s) {
	case FrameMetadata::FrameSuccess: return PICAM_FRAME_SUCCESS;
	case FrameMetadata::FrameError: return PICAM_FRAME_ERROR;
	case FrameMetadata::FrameCancelled: return PICAM_FRAME_CANCELLED;
#if PICAM_LC_VERSION >= 502
	case FrameMetadata::FrameStartup: return PICAM_FRAME_STARTUP;
#endif
	default: return PICAM_FRAME_UNKNOWN;
	}
}

// Copies what Go needs from a completed request into its record. It may
// throw (bad_alloc while the metadata buffer grows): requestCompleted
// catches that.
void picam_camera::fillCompletion(picam_request *r, Request *request)
{
	picam_completion &c = r->completion;
	c.status = request->status() == Request::RequestCancelled ? PICAM_REQUEST_CANCELLED
		   : request->status() == Request::RequestComplete ? PICAM_REQUEST_COMPLETE
								    : PICAM_REQUEST_PENDING;
	c.sequence = request->sequence();
	const ControlList &md = request->metadata();
	auto ts = md.get(controls::SensorTimestamp);
	c.sensor_timestamp = ts ? uint64_t(*ts) : 0;

	uint32_t n = 0;
	for (const auto &[stream, fb] : request->buffers()) {
		if (n == PICAM_MAX_STREAMS)
			break;
		picam_buffer_result &b = c.buffers[n++];
		b.stream = streamIndex(stream);
		b.buffer = int32_t(fb->cookie());
		auto &&planes = fb->planes();
		b.num_planes = std::min<uint32_t>(planes.size(), PICAM_MAX_PLANES);
#if PICAM_LC_VERSION >= 500
		// libcamera fills the buffer's own metadata from 0.5 on.
		const FrameMetadata &fm = fb->metadata();
		b.status = frameStatus(fm.status);
		b.sequence = fm.sequence;
		b.timestamp = fm.timestamp;
		auto fmPlanes = fm.planes();
		for (uint32_t i = 0; i < b.num_planes; i++)
			b.bytes_used[i] = i < fmPlanes.size() ? fmPlanes[i].bytesused : 0;
		b.has_metadata = 1;
#else
		// 0.4.0's virtual pipeline never writes it (libcamera bug 245): derive
		// it from the request so callers see the same fields on every version.
		b.status = c.status == PICAM_REQUEST_COMPLETE ? PICAM_FRAME_SUCCESS : PICAM_FRAME_CANCELLED;
		b.sequence = c.sequence;
		b.timestamp = c.sensor_timestamp;
		for (uint32_t i = 0; i < b.num_planes; i++)
			b.bytes_used[i] = planes[i].length;
		b.has_metadata = 0;
#endif
	}
	c.num_buffers = n;

	if (failNext.load(std::memory_order_relaxed) > 0 && failNext.fetch_sub(1) > 0)
		throw std::bad_alloc(); // picam_camera_fail_completions: as if the buffer could not grow
	r->metadata.clear();
	picam::Writer w(r->metadata);
	picam::encodeList(w, md);
	c.metadata = r->metadata.data();
	c.metadata_len = uint32_t(r->metadata.size());
	c.metadata_count = uint32_t(md.size());
}

// On libcamera's thread. Copies what Go needs into the request's own record
// (no allocation once the metadata buffer has grown) and hands Go the
// request's handle.
// It takes no lock: stop() holds the camera's lock while this runs.
//
// No exception may leave it: it would end libcamera's thread (and the
// process) in std::terminate. A copy that fails still completes the request
// for Go, as cancelled, with the error in the record's error field and no
// metadata, so that the Go side gives its buffers back and counts a dropped
// frame instead of waiting for a request that never comes back.
void picam_camera::requestCompleted(Request *request) noexcept
{
	auto *r = reinterpret_cast<picam_request *>(request->cookie());
	if (!r || r->camera != this)
		return; // another handle's request on the same camera

	picam_completion &c = r->completion;
	c.cookie = r->cookie;
	c.error = 0;
	try {
		fillCompletion(r, request);
	} catch (const std::bad_alloc &) {
		c.error = -ENOMEM;
	} catch (...) {
		c.error = -EIO;
	}
	if (c.error) {
		c.status = PICAM_REQUEST_CANCELLED;
		c.metadata = nullptr;
		c.metadata_len = 0;
		c.metadata_count = 0;
	}
	try {
		picam::syncForCpu(r, true);
	} catch (...) {
		// Best effort, as syncForCpu's ioctls are: caches stay as they were.
	}
	r->state.store(RequestState::Completing, std::memory_order_release);
	queued.fetch_sub(1, std::memory_order_acq_rel);
	if (fn)
		fn(r->handle, &c);
	// Unless Go already reused or requeued it (it may, once received).
	RequestState completing = RequestState::Completing;
	r->state.compare_exchange_strong(completing, RequestState::Completed, std::memory_order_acq_rel);
}

extern "C" {

int picam_camera_open(picam_manager *m, int index, picam_completion_fn fn, picam_camera **out,
		      picam_error *err)
{
	return picam::guarded(err, "open camera", [&]() -> int {
		if (!m || !out)
			return picam::fail(err, -EINVAL, "open camera: missing argument");
		auto cams = m->cm->cameras();
		if (index < 0 || size_t(index) >= cams.size())
			return picam::fail(err, -ENODEV, "open camera: no camera at index %d (%zu cameras)",
					   index, cams.size());
		int ret;
		if (!picam::managerRef(err, &ret))
			return ret;
		auto *c = new picam_camera();
		c->camera = cams[index];
		c->id = c->camera->id();
		c->fn = fn;
		*out = c; // connected to requestCompleted once acquired (see picam_camera_acquire)
		return 0;
	});
}

const char *picam_camera_id(picam_camera *c)
{
	return c ? c->id.c_str() : "";
}

int picam_camera_stream_count(picam_camera *c)
{
	return picam::guarded(nullptr, "stream count",
			      [&]() -> int { return c ? int(c->camera->streams().size()) : -EINVAL; });
}

int picam_camera_properties(picam_camera *c, picam_bytes *out, picam_error *err)
{
	return picam::guarded(err, "camera properties", [&]() -> int {
		if (!c || !out)
			return picam::fail(err, -EINVAL, "camera properties: missing argument");
		out->data.clear();
		picam::Writer w(out->data);
		picam::encodeList(w, c->camera->properties());
		return 0;
	});
}

int picam_camera_controls(picam_camera *c, picam_bytes *out, picam_error *err)
{
	return picam::guarded(err, "camera controls", [&]() -> int {
		if (!c || !out)
			return picam::fail(err, -EINVAL, "camera controls: missing argument");
		out->data.clear();
		picam::Writer w(out->data);
		const ControlInfoMap &infos = c->camera->controls();
		w.put<uint32_t>(infos.size());
		for (const auto &[id, info] : infos) {
			picam::encodeControlId(w, id, 0);
			picam::encodeValue(w, info.min());
			picam::encodeValue(w, info.max());
			picam::encodeValue(w, info.def());
			w.put<uint32_t>(info.values().size());
			for (const ControlValue &v : info.values())
				picam::encodeValue(w, v);
		}
		return 0;
	});
}

int picam_camera_acquire(picam_camera *c, picam_error *err)
{
	return picam::guarded(err, "acquire", [&]() -> int {
		if (!c)
			return picam::fail(err, -EINVAL, "acquire: no camera");
		std::lock_guard<std::mutex> lock(c->mu);
		if (c->state != CameraState::Available)
			return picam::fail(err, -EBUSY, "acquire %s: already acquired by this handle", c->id.c_str());
		int ret = c->camera->acquire();
		if (ret < 0)
			return picam::fail(err, ret, "acquire %s: %s", c->id.c_str(),
					   ret == -EBUSY ? "camera is in use" : strerror(-ret));
		c->state = CameraState::Acquired;
		// Connected once per camera for the manager's life, never
		// disconnected: see picam::listen.
		picam::listen(c->camera.get());
		return 0;
	});
}

// Drops everything configure built: requests first (they hold buffers), then
// buffers. With mu held and the camera stopped.
static int dropConfiguration(picam_camera *c, picam_error *err)
{
	for (auto *r : c->requests)
		if (r->state.load() == RequestState::Queued)
			return picam::fail(err, -EBUSY, "%s: a request is still queued", c->id.c_str());
	while (!c->requests.empty())
		if (picam_request_free_locked(c->requests.back(), err) < 0)
			return err ? err->code : -EBUSY;
	for (size_t s = 0; s < c->buffers.size(); s++)
		picam_camera_free_buffers_locked(c, int(s), err);
	c->allocator.reset();
	c->buffers.clear();
	c->streams.clear();
	c->configs.clear();
	picam::clear(err);
	return 0;
}

int picam_camera_release(picam_camera *c, picam_error *err)
{
	return picam::guarded(err, "release", [&]() -> int {
		if (!c)
			return picam::fail(err, -EINVAL, "release: no camera");
		std::lock_guard<std::mutex> lock(c->mu);
		if (c->state == CameraState::Available)
			return 0;
		if (c->state == CameraState::Running)
			return picam::fail(err, -EBUSY, "release %s: camera is running; stop it first",
					   c->id.c_str());
		if (!c->requests.empty())
			return picam::fail(err, -EBUSY, "release %s: free its requests first", c->id.c_str());
		int ret = dropConfiguration(c, err);
		if (ret < 0)
			return ret;
		ret = c->camera->release();
		if (ret < 0)
			return picam::fail(err, ret, "release %s: %s", c->id.c_str(), strerror(-ret));
		c->state = CameraState::Available;
		return 0;
	});
}

int picam_camera_configure(picam_camera *c, picam_config *cfg, picam_error *err)
{
	return picam::guarded(err, "configure", [&]() -> int {
		if (!c || !cfg || !cfg->config)
			return picam::fail(err, -EINVAL, "configure: missing argument");
		if (cfg->camera != c)
			return picam::fail(err, -EINVAL, "configure %s: configuration belongs to another camera",
					   c->id.c_str());
		std::lock_guard<std::mutex> lock(c->mu);
		if (c->state != CameraState::Acquired && c->state != CameraState::Configured)
			return picam::fail(err, -EACCES, "configure %s: camera is %s; it must be acquired and stopped",
					   c->id.c_str(), stateName(c->state));
		if (!c->requests.empty())
			return picam::fail(err, -EBUSY, "configure %s: free its requests first", c->id.c_str());
		if (cfg->config->empty())
			return picam::fail(err, -EINVAL, "configure %s: configuration has no streams", c->id.c_str());
		auto status = cfg->config->validate();
		if (status == CameraConfiguration::Invalid)
			return picam::fail(err, -EINVAL, "configure %s: configuration is invalid", c->id.c_str());
		if (status == CameraConfiguration::Adjusted)
			return picam::fail(err, -EINVAL,
					   "configure %s: configuration was adjusted by validation; review and validate it again",
					   c->id.c_str());
		int ret = dropConfiguration(c, err);
		if (ret < 0)
			return ret;
		ret = c->camera->configure(cfg->config.get());
		if (ret < 0) {
			c->state = CameraState::Acquired;
			return picam::fail(err, ret, "configure %s: %s", c->id.c_str(), strerror(-ret));
		}
		for (const StreamConfiguration &sc : *cfg->config) {
			c->streams.push_back(sc.stream());
			c->configs.push_back(sc);
		}
		c->buffers.resize(c->streams.size());
		c->state = CameraState::Configured;
		return 0;
	});
}

int picam_camera_start(picam_camera *c, const uint8_t *controls, size_t len, picam_error *err)
{
	return picam::guarded(err, "start", [&]() -> int {
		if (!c)
			return picam::fail(err, -EINVAL, "start: no camera");
		std::lock_guard<std::mutex> lock(c->mu);
		if (c->state != CameraState::Configured)
			return picam::fail(err, -EACCES, "start %s: camera is %s; it must be configured and stopped",
					   c->id.c_str(), stateName(c->state));
		ControlList list(c->camera->controls());
		int ret = picam::decodeControls(c->camera->controls(), controls, len, list, err);
		if (ret < 0)
			return ret;
		ret = c->camera->start(list.empty() ? nullptr : &list);
		if (ret < 0)
			return picam::fail(err, ret, "start %s: %s", c->id.c_str(), strerror(-ret));
		c->state = CameraState::Running;
		return 0;
	});
}

static int stopLocked(picam_camera *c, picam_error *err)
{
	if (c->state != CameraState::Running)
		return 0;
	// Queued requests come back (cancelled, or completed on 0.4) through
	// requestCompleted on libcamera's thread before stop() returns.
	int ret = c->camera->stop();
	if (ret < 0)
		return picam::fail(err, ret, "stop %s: %s", c->id.c_str(), strerror(-ret));
	c->state = CameraState::Configured;
	return 0;
}

int picam_camera_stop(picam_camera *c, picam_error *err)
{
	return picam::guarded(err, "stop", [&]() -> int {
		if (!c)
			return picam::fail(err, -EINVAL, "stop: no camera");
		std::lock_guard<std::mutex> lock(c->mu);
		return stopLocked(c, err);
	});
}

void picam_camera_free(picam_camera *c)
{
	if (!c)
		return;
	// Each step guarded on its own, so that an exception in one does not
	// skip the next. If stopping threw, libcamera may
	// still complete requests into c: then c (and its share of the
	// manager) is leaked rather than freed under libcamera's feet. A stop
	// that returns an error (a camera gone) is freed as before.
	int stopped = picam::guarded(nullptr, "free camera", [&]() -> int {
		std::lock_guard<std::mutex> lock(c->mu);
		stopLocked(c, nullptr);
		if (c->state != CameraState::Available) {
			dropConfiguration(c, nullptr);
			c->camera->release();
			c->state = CameraState::Available;
		} else {
			while (!c->requests.empty())
				if (picam_request_free_locked(c->requests.back(), nullptr) < 0)
					break;
		}
		return 0;
	});
	if (stopped < 0)
		return;
	picam::guarded(nullptr, "free camera", [&]() -> int {
		c->camera.reset();
		delete c;
		return 0;
	});
	picam::managerUnref();
}

int picam_camera_fail_completions(picam_camera *c, int n)
{
	if (!c || n < 0)
		return -EINVAL;
	c->failNext.store(n);
	return 0;
}

} // extern "C"
