// Internal C++ side of the shim: handle structs and helpers shared by the
// per-class files. Nothing here is visible to Go.
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <libcamera/libcamera.h>
#include <libcamera/version.h>

#include "../cshim.h"

#define PICAM_LC_VERSION \
	(LIBCAMERA_VERSION_MAJOR * 10000 + LIBCAMERA_VERSION_MINOR * 100 + LIBCAMERA_VERSION_PATCH)
#if PICAM_LC_VERSION < 400
#error "picamgo needs libcamera 0.4 or newer (the virtual pipeline and ControlId details came in 0.4)"
#endif

namespace picam {

int fail(picam_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void clear(picam_error *err);

// Runs f and turns any C++ exception into an error code, so none crosses
// extern "C" into Go.
template <typename F>
int guarded(picam_error *err, const char *what, F &&f) noexcept
{
	try {
		clear(err);
		return f();
	} catch (const std::bad_alloc &) {
		return fail(err, -ENOMEM, "%s: out of memory", what);
	} catch (const std::exception &e) {
		return fail(err, -EIO, "%s: %s", what, e.what());
	} catch (...) {
		return fail(err, -EIO, "%s: unknown C++ exception", what);
	}
}

// Appends native-endian values to a byte vector (see cshim.h for the layouts).
class Writer
{
public:
	explicit Writer(std::vector<uint8_t> &buf) : buf_(buf) {}
	template <typename T> void put(T v)
	{
		const auto *p = reinterpret_cast<const uint8_t *>(&v);
		buf_.insert(buf_.end(), p, p + sizeof(T));
	}
	void bytes(const void *p, size_t n)
	{
		const auto *b = static_cast<const uint8_t *>(p);
		buf_.insert(buf_.end(), b, b + n);
	}
	void pad4()
	{
		while (buf_.size() % 4)
			buf_.push_back(0);
	}
	// Reserves a u32 to be filled in later (a count not known up front).
	size_t placeholder()
	{
		size_t at = buf_.size();
		put<uint32_t>(0);
		return at;
	}
	void patch(size_t at, uint32_t v) { std::memcpy(buf_.data() + at, &v, sizeof(v)); }
	std::vector<uint8_t> &buf() { return buf_; }

private:
	std::vector<uint8_t> &buf_;
};

class Reader
{
public:
	Reader(const uint8_t *p, size_t n) : p_(p), n_(n) {}
	template <typename T> bool get(T &v)
	{
		if (n_ - off_ < sizeof(T) || off_ > n_)
			return false;
		std::memcpy(&v, p_ + off_, sizeof(T));
		off_ += sizeof(T);
		return true;
	}
	const uint8_t *take(size_t n)
	{
		if (off_ > n_ || n_ - off_ < n)
			return nullptr;
		const uint8_t *at = p_ + off_;
		off_ += n;
		return at;
	}
	bool skipPad4()
	{
		size_t pad = (4 - off_ % 4) % 4;
		return take(pad) != nullptr || pad == 0;
	}
	bool done() const { return off_ == n_; }

private:
	const uint8_t *p_;
	size_t n_;
	size_t off_ = 0;
};

// controls.cpp
int toPicamType(libcamera::ControlType t);
void encodeValue(Writer &w, const libcamera::ControlValue &v);
void encodeList(Writer &w, const libcamera::ControlList &list);
void encodeControlId(Writer &w, const libcamera::ControlId *id, int kind);
// Decodes an encoded control list and checks every entry against what the
// camera accepts: unknown ids, wrong types and wrong array sizes are errors.
int decodeControls(const libcamera::ControlInfoMap &info, const uint8_t *data, size_t len,
		   libcamera::ControlList &out, picam_error *err);

// camera_manager.cpp
libcamera::CameraManager *managerRef(picam_error *err, int *ret);
// Never throws: it runs where no error can be reported (freeing).
void managerUnref() noexcept;
// Routes the camera's completed requests to the handles that made them,
// from now until the manager goes; safe to call again.
void listen(libcamera::Camera *camera);

// framebuffer_allocator.cpp
struct PlaneLayout {
	unsigned int offset;
	unsigned int length;
};
int planeLayout(const libcamera::StreamConfiguration &cfg, std::vector<PlaneLayout> &out,
		picam_error *err);
// Brackets CPU access to a request's dma-buf buffers (DMA_BUF_IOCTL_SYNC);
// memfd buffers need none.
void syncForCpu(picam_request *r, bool begin);

} // namespace picam

struct picam_bytes {
	std::vector<uint8_t> data;
};

struct picam_manager {
	libcamera::CameraManager *cm;
};

struct picam_config {
	std::unique_ptr<libcamera::CameraConfiguration> config;
	picam_camera *camera;
};

// The buffers of one stream, whoever allocated them.
struct picam_stream_buffers {
	int allocator = PICAM_ALLOCATOR_AUTO; // AUTO: none allocated
	std::vector<std::unique_ptr<libcamera::FrameBuffer>> owned; // dma-heap and memfd
	std::vector<libcamera::FrameBuffer *> buffers;               // what requests use
	std::vector<picam_request *> users;                           // per buffer, or null
};

// Completing: libcamera's thread is handing the request to Go; it may be
// reused and queued again (Go received it), but not freed until the hand-off
// returns, since the completion record Go reads lives in the request.
enum class RequestState { Idle, Queued, Completing, Completed };

struct picam_request {
	picam_camera *camera;
	std::unique_ptr<libcamera::Request> request;
	uint64_t cookie;
	void *handle; // the caller's, passed to the completion callback
	std::atomic<RequestState> state{ RequestState::Idle };
	std::vector<std::pair<int, int>> buffers; // (stream, buffer) attached
	picam_completion completion;
	std::vector<uint8_t> metadata; // keeps its capacity: no allocation per frame
	bool cpuAccess = false;        // dma-bufs synced for CPU access since completion
};

enum class CameraState { Available, Acquired, Configured, Running };

struct picam_camera {
	std::shared_ptr<libcamera::Camera> camera;
	std::string id;
	picam_completion_fn fn;

	// Serialises the state-changing calls, which libcamera does not.
	std::mutex mu;
	CameraState state = CameraState::Available;
	std::vector<libcamera::Stream *> streams;
	std::vector<libcamera::StreamConfiguration> configs;
	std::unique_ptr<libcamera::FrameBufferAllocator> allocator;
	std::vector<picam_stream_buffers> buffers;
	std::vector<picam_request *> requests; // live, in no order: freed with the camera
	std::atomic<int> queued{ 0 };
	std::atomic<int> failNext{ 0 }; // completions to fail (picam_camera_fail_completions)

	void requestCompleted(libcamera::Request *request) noexcept;
	void fillCompletion(picam_request *r, libcamera::Request *request);
	int streamIndex(const libcamera::Stream *s) const;
};

// Shared by camera.cpp and request.cpp, with mu held.
int picam_request_free_locked(picam_request *r, picam_error *err);
int picam_camera_free_buffers_locked(picam_camera *c, int stream, picam_error *err);
