#include "framebuffer_allocator.h"

#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace libcamera;

namespace picam {

// Plane layouts of the formats whose planes share one buffer. libcamera keeps
// its PixelFormatInfo private, so app-allocated buffers need their own table.
int planeLayout(const StreamConfiguration &cfg, std::vector<PlaneLayout> &out, picam_error *err)
{
	const PixelFormat &pf = cfg.pixelFormat;
	unsigned int stride = cfg.stride, h = cfg.size.height, total = cfg.frameSize;
	out.clear();
	if (stride == 0 || total == 0)
		return fail(err, -EINVAL, "stream %s: no stride or frame size to lay planes out",
			    cfg.toString().c_str());
	unsigned int y = stride * h;
	if (pf == formats::NV12 || pf == formats::NV21 || pf == formats::NV16 || pf == formats::NV61) {
		if (y >= total)
			return fail(err, -EINVAL, "stream %s: frame size %u too small", cfg.toString().c_str(), total);
		out = { { 0, y }, { y, total - y } };
	} else if (pf == formats::YUV420 || pf == formats::YVU420 || pf == formats::YUV422 ||
		   pf == formats::YVU422) {
		bool half = pf == formats::YUV420 || pf == formats::YVU420;
		unsigned int cb = (stride / 2) * (half ? (h + 1) / 2 : h);
		if (y + 2 * cb > total)
			return fail(err, -EINVAL, "stream %s: frame size %u too small", cfg.toString().c_str(), total);
		out = { { 0, y }, { y, cb }, { y + cb, cb } };
	} else {
		out = { { 0, total } };
	}
	return 0;
}

static size_t pageAlign(size_t n)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t p = page > 0 ? size_t(page) : 4096;
	return (n + p - 1) / p * p;
}

// Builds the stream's FrameBuffers over one fd each, planes at their offsets.
static int buildBuffers(const StreamConfiguration &cfg, picam_stream_buffers &sb,
			const std::function<int(size_t, int &, picam_error *)> &makeFd, picam_error *err)
{
	std::vector<PlaneLayout> layout;
	int ret = planeLayout(cfg, layout, err);
	if (ret < 0)
		return ret;
	size_t size = pageAlign(cfg.frameSize);
	for (unsigned int i = 0; i < cfg.bufferCount; i++) {
		int fd = -1;
		ret = makeFd(size, fd, err);
		if (ret < 0) {
			sb.owned.clear();
			return ret;
		}
		SharedFD shared(std::move(fd)); // takes ownership
		std::vector<FrameBuffer::Plane> planes;
		for (const PlaneLayout &l : layout) {
			FrameBuffer::Plane p;
			p.fd = shared;
			p.offset = l.offset;
			p.length = l.length;
			planes.push_back(p);
		}
		sb.owned.push_back(std::make_unique<FrameBuffer>(planes, i));
	}
	return 0;
}

static int memfdBuffers(const picam_camera *c, int stream, picam_stream_buffers &sb, picam_error *err)
{
	const StreamConfiguration &cfg = c->configs[stream];
	return buildBuffers(cfg, sb, [&](size_t size, int &fd, picam_error *e) -> int {
		fd = memfd_create("picamgo-frame", MFD_CLOEXEC);
		if (fd < 0)
			return fail(e, -errno, "memfd allocator: memfd_create: %s", strerror(errno));
		if (ftruncate(fd, off_t(size)) < 0) {
			int saved = errno;
			close(fd);
			return fail(e, -saved, "memfd allocator: %zu bytes: %s", size, strerror(saved));
		}
		return 0;
	}, err);
}

static int dmaHeapBuffers(const picam_camera *c, int stream, picam_stream_buffers &sb, picam_error *err)
{
	// The Raspberry Pi's cached heap first, as Picamera2 does, then the usual ones.
	static const char *heaps[] = { "/dev/dma_heap/vidbuf_cached", "/dev/dma_heap/linux,cma",
				       "/dev/dma_heap/reserved", "/dev/dma_heap/system" };
	int heap = -1;
	const char *name = nullptr;
	for (const char *h : heaps) {
		heap = open(h, O_RDWR | O_CLOEXEC);
		if (heap >= 0) {
			name = h;
			break;
		}
	}
	if (heap < 0)
		return fail(err, -ENODEV, "dma-heap allocator: no heap under /dev/dma_heap can be opened");
	const StreamConfiguration &cfg = c->configs[stream];
	int ret = buildBuffers(cfg, sb, [&](size_t size, int &fd, picam_error *e) -> int {
		struct dma_heap_allocation_data alloc = {};
		alloc.len = size;
		alloc.fd_flags = O_RDWR | O_CLOEXEC;
		if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &alloc) < 0)
			return fail(e, -errno, "dma-heap allocator: %zu bytes from %s: %s", size, name,
				    strerror(errno));
		fd = int(alloc.fd);
		return 0;
	}, err);
	close(heap);
	return ret;
}

static int libcameraBuffers(picam_camera *c, int stream, picam_stream_buffers & /* libcamera's allocator keeps the buffers */, picam_error *err)
{
	if (!c->allocator)
		c->allocator = std::make_unique<FrameBufferAllocator>(c->camera);
	Stream *s = c->streams[stream];
	int ret = c->allocator->allocate(s);
	if (ret < 0)
		return fail(err, ret, "libcamera allocator: %s", strerror(-ret));
	if (ret == 0)
		return fail(err, -ENOMEM, "libcamera allocator: no buffers");
	const auto &bufs = c->allocator->buffers(s);
	for (size_t i = 0; i < bufs.size(); i++) {
		auto &&planes = bufs[i]->planes();
		if (planes.empty() || planes.size() > PICAM_MAX_PLANES) {
			c->allocator->free(s);
			return fail(err, -EINVAL, "libcamera allocator: buffer with %zu planes", planes.size());
		}
		bufs[i]->setCookie(i);
	}
	return 0;
}

void syncForCpu(picam_request *r, bool begin)
{
	if (r->cpuAccess == begin)
		return;
	r->cpuAccess = begin;
	picam_camera *c = r->camera;
	struct dma_buf_sync sync = {};
	sync.flags = (begin ? DMA_BUF_SYNC_START : DMA_BUF_SYNC_END) | DMA_BUF_SYNC_RW;
	for (auto [s, b] : r->buffers) {
		const picam_stream_buffers &sb = c->buffers[s];
		if (sb.allocator != PICAM_ALLOCATOR_LIBCAMERA && sb.allocator != PICAM_ALLOCATOR_DMA_HEAP)
			continue;
		int last = -1;
		for (const auto &plane : sb.buffers[b]->planes()) {
			int fd = plane.fd.get();
			if (fd == last)
				continue;
			last = fd;
			// Best effort, as Picamera2 does: a failure leaves caches as they were.
			while (ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) < 0 && errno == EINTR) {
			}
		}
	}
}

} // namespace picam

static const char *allocatorName(int a)
{
	switch (a) {
	case PICAM_ALLOCATOR_LIBCAMERA: return "libcamera";
	case PICAM_ALLOCATOR_DMA_HEAP: return "dma-heap";
	case PICAM_ALLOCATOR_MEMFD: return "memfd";
	}
	return "auto";
}

static int checkStream(picam_camera *c, int stream, picam_error *err)
{
	if (!c)
		return picam::fail(err, -EINVAL, "buffers: no camera");
	if (stream < 0 || size_t(stream) >= c->streams.size())
		return picam::fail(err, -EINVAL, "buffers %s: no stream %d (%zu configured)", c->id.c_str(),
				   stream, c->streams.size());
	return 0;
}

int picam_camera_free_buffers_locked(picam_camera *c, int stream, picam_error *err)
{
	int ret = checkStream(c, stream, err);
	if (ret < 0)
		return ret;
	picam_stream_buffers &sb = c->buffers[stream];
	for (picam_request *user : sb.users)
		if (user)
			return picam::fail(err, -EBUSY, "free buffers %s: stream %d buffers are in a request",
					   c->id.c_str(), stream);
	if (sb.allocator == PICAM_ALLOCATOR_LIBCAMERA && c->allocator)
		c->allocator->free(c->streams[stream]);
	sb = picam_stream_buffers{};
	return 0;
}

extern "C" {

int picam_camera_alloc_buffers(picam_camera *c, int stream, int allocator, picam_error *err)
{
	return picam::guarded(err, "allocate buffers", [&]() -> int {
		if (!c)
			return picam::fail(err, -EINVAL, "allocate buffers: no camera");
		std::lock_guard<std::mutex> lock(c->mu);
		int ret = checkStream(c, stream, err);
		if (ret < 0)
			return ret;
		if (c->state != CameraState::Configured)
			return picam::fail(err, -EACCES, "allocate buffers %s: camera must be configured and stopped",
					   c->id.c_str());
		picam_stream_buffers &sb = c->buffers[stream];
		if (sb.allocator != PICAM_ALLOCATOR_AUTO)
			return picam::fail(err, -EEXIST, "allocate buffers %s: stream %d already has buffers",
					   c->id.c_str(), stream);
		if (allocator < PICAM_ALLOCATOR_AUTO || allocator > PICAM_ALLOCATOR_MEMFD)
			return picam::fail(err, -EINVAL, "allocate buffers: unknown allocator %d", allocator);
		if (c->configs[stream].bufferCount == 0)
			return picam::fail(err, -EINVAL, "allocate buffers %s: stream %d has a buffer count of 0",
					   c->id.c_str(), stream);

		std::vector<int> order;
		if (allocator == PICAM_ALLOCATOR_AUTO)
			order = { PICAM_ALLOCATOR_LIBCAMERA, PICAM_ALLOCATOR_DMA_HEAP, PICAM_ALLOCATOR_MEMFD };
		else
			order = { allocator };
		std::string tried;
		for (int a : order) {
			picam_stream_buffers fresh;
			picam_error e{};
			switch (a) {
			case PICAM_ALLOCATOR_LIBCAMERA: ret = picam::libcameraBuffers(c, stream, fresh, &e); break;
			case PICAM_ALLOCATOR_DMA_HEAP: ret = picam::dmaHeapBuffers(c, stream, fresh, &e); break;
			default: ret = picam::memfdBuffers(c, stream, fresh, &e); break;
			}
			if (ret == 0) {
				if (a == PICAM_ALLOCATOR_LIBCAMERA) {
					for (const auto &b : c->allocator->buffers(c->streams[stream]))
						fresh.buffers.push_back(b.get());
				} else {
					for (const auto &b : fresh.owned)
						fresh.buffers.push_back(b.get());
				}
				fresh.allocator = a;
				fresh.users.assign(fresh.buffers.size(), nullptr);
				sb = std::move(fresh);
				return int(sb.buffers.size());
			}
			tried += (tried.empty() ? "" : "; ") + std::string(e.message);
		}
		return picam::fail(err, ret, "allocate buffers %s stream %d (%s): %s", c->id.c_str(), stream,
				   allocatorName(allocator), tried.c_str());
	});
}

int picam_camera_buffer_allocator(picam_camera *c, int stream)
{
	return picam::guarded(nullptr, "buffer allocator", [&]() -> int {
		if (!c)
			return -EINVAL;
		std::lock_guard<std::mutex> lock(c->mu);
		if (checkStream(c, stream, nullptr) < 0)
			return -EINVAL;
		return c->buffers[stream].allocator;
	});
}

int picam_camera_buffer_planes(picam_camera *c, int stream, int index, picam_plane *planes, int max,
			       picam_error *err)
{
	return picam::guarded(err, "buffer planes", [&]() -> int {
		if (!c)
			return picam::fail(err, -EINVAL, "buffer planes: no camera");
		std::lock_guard<std::mutex> lock(c->mu);
		int ret = checkStream(c, stream, err);
		if (ret < 0)
			return ret;
		picam_stream_buffers &sb = c->buffers[stream];
		if (index < 0 || size_t(index) >= sb.buffers.size())
			return picam::fail(err, -EINVAL, "buffer planes: stream %d has no buffer %d", stream, index);
		auto &&p = sb.buffers[index]->planes();
		int n = int(p.size());
		for (int i = 0; i < n && i < max; i++) {
			planes[i].fd = p[i].fd.get();
			planes[i].offset = p[i].offset;
			planes[i].length = p[i].length;
			planes[i].reserved = 0;
		}
		return n;
	});
}

int picam_camera_free_buffers(picam_camera *c, int stream, picam_error *err)
{
	return picam::guarded(err, "free buffers", [&]() -> int {
		if (!c)
			return picam::fail(err, -EINVAL, "free buffers: no camera");
		std::lock_guard<std::mutex> lock(c->mu);
		if (c->state == CameraState::Running)
			return picam::fail(err, -EBUSY, "free buffers %s: camera is running", c->id.c_str());
		return picam_camera_free_buffers_locked(c, stream, err);
	});
}

} // extern "C"
