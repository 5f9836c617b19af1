// cxxloop: a plain C++ libcamera capture loop, the baseline for benchmarking
// picamgo's Go binding against libcamera used directly.
//
// What it measures: how fast one camera cycles requests when the application
// does the minimum per frame. It captures from libcamera's *virtual* pipeline
// (no pacing: a frame is produced as soon as a request is queued, so the rate is
// bounded only by frame generation plus the application's requeue path). After
// 100 warm-up frames it measures N frames and reports frames per second (wall
// clock, steady_clock) and process CPU time per frame (CLOCK_PROCESS_CPUTIME_ID,
// all threads: libcamera's and ours).
//
// Modes:
//   thread  (default; the fair comparison with the Go loop) the requestCompleted
//           handler, which runs on libcamera's thread, only pushes the Request*
//           onto a mutex+condvar queue; the main thread pops it, touches the frame
//           (first Y byte through a long-lived read-only mapping, plus the
//           request's sequence), reuses the request and queues it again.
//   handler the handler touches the frame and requeues directly on libcamera's
//           thread (the fastest an application can go); main just waits.
//
// Buffers: the virtual pipeline cannot allocate here (no dma-heap/udmabuf), so,
// like the Go side, it builds its own: one memfd per buffer, ftruncate'd to the
// page-aligned NV12 frame size, two planes on it (Y at 0, UV at stride*height),
// mapped once (PROT_READ, MAP_SHARED) for the whole run, one Request per buffer.
//
// Checks: every request completes with RequestComplete, request sequences
// strictly increase, the camera delivers exactly the asked size, and the
// set of open fds is the same at exit as at start (a warning on stderr
// otherwise, naming the new fds).
// Any violation prints to stderr and exits 1.
//
// Usage: loop [-c camera-index[,index...]] [-s WxH[,WxH...]] [-n frames[,frames...]] [-b buffers] [-m thread|handler]
//        defaults: camera 0, 640x480, 2000 frames, 4 buffers, thread.
// Several cameras (-c 0,1 -s 640x480,1280x720 -n 4000,1100) run at once in one process,
// each on a thread of its own, as a multi-camera C++ program would: one
// output line per camera, with camera= and cameras=.
// Output (one line on stdout):
//   cxxloop mode=thread size=640x480 buffers=4 frames=2000 fps=4512.3 cpu_us_per_frame=210.4 wall_s=0.443 libcamera=0.7.1
//
// -b sets how many buffers/requests circulate; the virtual pipeline's validate()
// reports bufferCount 4 whatever is asked, but nothing limits what is queued.
//
// Build and run (libcamera >= 0.4; C++20, as libcamera itself is from 0.7.1),
// in the test root (`.ci/testroot.sh run 0.7|0.4 sh -c '...'`):
//   g++ -O2 -std=c++20 libcamera/testdata/cxxloop/loop.cpp $(pkg-config --cflags --libs libcamera) -lpthread -o /tmp/loop
//   LIBCAMERA_PIPELINES_MATCH_LIST=virtual LIBCAMERA_LOG_LEVELS='*:ERROR' /tmp/loop -s 64x48 -n 20000
// It lives under testdata/ so the go tool ignores it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <getopt.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libcamera/libcamera.h>
#include <libcamera/version.h>

using namespace libcamera;

namespace {

constexpr unsigned kWarmup = 100;

#define STR2(x) #x
#define STR(x) STR2(x)
constexpr const char *kLibcameraVersion =
	STR(LIBCAMERA_VERSION_MAJOR) "." STR(LIBCAMERA_VERSION_MINOR) "." STR(LIBCAMERA_VERSION_PATCH);

volatile uint64_t sink; // frame touches accumulate here so they are not optimised away

// Open fds as "N -> target" (the fd used to read the directory excluded).
std::set<std::string> openFds()
{
	std::set<std::string> fds;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return fds;
	const std::string self = std::to_string(dirfd(d));
	while (struct dirent *e = readdir(d)) {
		if (e->d_name[0] == '.' || e->d_name == self)
			continue;
		char target[256];
		std::string link = std::string("/proc/self/fd/") + e->d_name;
		ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = 0;
		fds.insert(std::string(e->d_name) + " -> " + target);
	}
	closedir(d);
	return fds;
}

// Warns on stderr about fds open now that were not open at start.
void checkFdLeaks(const std::set<std::string> &before)
{
	std::vector<std::string> leaked;
	for (const std::string &fd : openFds())
		if (!before.count(fd))
			leaked.push_back(fd);
#if LIBCAMERA_VERSION_MAJOR == 0 && LIBCAMERA_VERSION_MINOR <= 4
	// libcamera 0.4 keeps one eventfd open for the rest of the process after
	// the first CameraManager start/stop (it does not grow with more cycles,
	// and 0.7 does not do it): libcamera's, not a leak of this loop.
	for (auto it = leaked.begin(); it != leaked.end(); ++it) {
		if (it->ends_with("-> anon_inode:[eventfd]")) {
			leaked.erase(it);
			break;
		}
	}
#endif
	if (leaked.empty())
		return;
	fprintf(stderr, "cxxloop: warning: %zu fd(s) open at exit that were not at start (leak?):", leaked.size());
	for (const std::string &fd : leaked)
		fprintf(stderr, " [%s]", fd.c_str());
	fprintf(stderr, "\n");
}

double cpuSeconds()
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct Mapping {
	const uint8_t *addr = nullptr;
	size_t length = 0;
};

class Loop
{
public:
	Loop(std::shared_ptr<Camera> camera, Stream *stream, bool handlerMode, unsigned frames)
		: camera_(std::move(camera)), stream_(stream), handlerMode_(handlerMode),
		  target_(kWarmup + frames)
	{
	}

	std::shared_ptr<Camera> camera_;
	Stream *stream_;
	std::vector<Mapping> maps_; // indexed by FrameBuffer cookie
	const bool handlerMode_;
	const uint64_t target_; // warm-up + measured frames

	// Set before Camera::stop(): late completions (cancelled on 0.6+) are ignored.
	std::atomic<bool> stopping_{ false };

	// Thread mode: completion queue. Handler mode: done_/error_ signalling.
	std::mutex mu_;
	std::condition_variable cv_;
	std::deque<Request *> queue_;
	bool done_ = false;
	std::string error_;

	// Per-frame state, touched by one thread only (main in thread mode,
	// libcamera's in handler mode).
	uint64_t count_ = 0;
	bool haveSeq_ = false;
	uint32_t lastSeq_ = 0;
	std::chrono::steady_clock::time_point wall0_, wall1_;
	double cpu0_ = 0, cpu1_ = 0;

	void requestCompleted(Request *request)
	{
		if (!handlerMode_) {
			{
				std::lock_guard<std::mutex> lock(mu_);
				queue_.push_back(request);
			}
			cv_.notify_one();
			return;
		}
		if (stopping_.load(std::memory_order_relaxed))
			return;
		std::string err;
		bool finished = false;
		if (!process(request, err, finished)) {
			stopping_ = true; // stop requeueing the other requests
			std::lock_guard<std::mutex> lock(mu_);
			if (error_.empty())
				error_ = err;
			done_ = true;
			cv_.notify_one();
			return;
		}
		if (finished) {
			std::lock_guard<std::mutex> lock(mu_);
			done_ = true;
			cv_.notify_one();
		}
	}

	// Checks and touches one completed request and requeues it while frames
	// are still wanted. Returns false with err set on a violation; sets
	// finished when the last measured frame has been seen.
	bool process(Request *request, std::string &err, bool &finished)
	{
		if (count_ >= target_)
			return true; // in flight when the target was reached: leave it
		if (request->status() != Request::RequestComplete) {
			err = "request " + std::to_string(request->cookie()) + " completed with status " +
			      std::to_string(request->status()) + " (want RequestComplete)";
			return false;
		}
		uint32_t seq = request->sequence();
		if (haveSeq_ && seq <= lastSeq_) {
			err = "request sequence " + std::to_string(seq) + " after " +
			      std::to_string(lastSeq_) + " (must strictly increase)";
			return false;
		}
		haveSeq_ = true;
		lastSeq_ = seq;

		FrameBuffer *fb = request->findBuffer(stream_);
		if (!fb) {
			err = "completed request has no buffer for the stream";
			return false;
		}
		sink = sink + maps_[fb->cookie()].addr[0] + seq;

		count_++;
		if (count_ == kWarmup) {
			wall0_ = std::chrono::steady_clock::now();
			cpu0_ = cpuSeconds();
		} else if (count_ == target_) {
			wall1_ = std::chrono::steady_clock::now();
			cpu1_ = cpuSeconds();
			finished = true;
			return true;
		}

		request->reuse(Request::ReuseBuffers);
		int ret = camera_->queueRequest(request);
		if (ret < 0) {
			err = "queueRequest: " + std::string(strerror(-ret));
			return false;
		}
		return true;
	}

	// Main thread of thread mode: pop, check, touch, requeue until done.
	bool runThreadMode(std::string &err)
	{
		for (;;) {
			Request *request;
			{
				std::unique_lock<std::mutex> lock(mu_);
				cv_.wait(lock, [this] { return !queue_.empty(); });
				request = queue_.front();
				queue_.pop_front();
			}
			bool finished = false;
			if (!process(request, err, finished))
				return false;
			if (finished)
				return true;
		}
	}

	bool waitHandlerMode(std::string &err)
	{
		std::unique_lock<std::mutex> lock(mu_);
		cv_.wait(lock, [this] { return done_; });
		err = error_;
		return error_.empty();
	}
};

[[noreturn]] void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-c index[,index...]] [-s WxH[,WxH...]] [-n frames[,frames...]] [-b buffers] [-m thread|handler]\n",
		argv0);
	exit(2);
}

// One camera's resources and loop, set up, run and torn down in order.
struct Rig {
	unsigned index, width, height, frames;
	std::shared_ptr<Camera> camera;
	std::unique_ptr<CameraConfiguration> config;
	std::vector<std::unique_ptr<FrameBuffer>> buffers;
	std::vector<Mapping> maps;
	std::vector<std::unique_ptr<Request>> requests;
	std::unique_ptr<Loop> loop;
	bool acquired = false, started = false, connected = false;
	bool ok = false;
	std::string err;

	// Acquires, configures and allocates; the loop is connected, not started.
	bool setup(CameraManager &cm, unsigned nbuf, bool handlerMode)
	{
		{
			auto cams = cm.cameras();
			if (index >= cams.size()) {
				err = "camera index " + std::to_string(index) + " out of range (" +
				      std::to_string(cams.size()) + " cameras)";
				return false;
			}
			camera = cams[index];
		}
		int r = camera->acquire();
		if (r < 0) {
			err = "acquire: " + std::string(strerror(-r));
			return false;
		}
		acquired = true;

		config = camera->generateConfiguration({ StreamRole::Viewfinder });
		if (!config || config->size() != 1) {
			err = "generateConfiguration(Viewfinder) failed";
			return false;
		}
		StreamConfiguration &cfg = config->at(0);
		cfg.size = Size(width, height);
		cfg.pixelFormat = formats::NV12;
		cfg.bufferCount = nbuf;
		if (config->validate() == CameraConfiguration::Invalid) {
			err = "configuration invalid";
			return false;
		}
		if (cfg.size != Size(width, height)) {
			err = "camera " + camera->id() + " has no " + std::to_string(width) + "x" +
			      std::to_string(height) + " mode (validate adjusted it to " + cfg.size.toString() + ")";
			return false;
		}
		if (cfg.pixelFormat != formats::NV12) {
			err = "camera delivers " + cfg.pixelFormat.toString() + ", this loop handles NV12 only";
			return false;
		}
		r = camera->configure(config.get());
		if (r < 0) {
			err = "configure: " + std::string(strerror(-r));
			return false;
		}

		Stream *stream = cfg.stream();
		const unsigned ySize = cfg.stride * cfg.size.height;
		const unsigned frameSize = cfg.frameSize;
		const long page = sysconf(_SC_PAGESIZE);
		const size_t mapSize = (frameSize + page - 1) / page * page;
		if (ySize == 0 || frameSize <= ySize) {
			err = "unexpected NV12 layout: stride " + std::to_string(cfg.stride) + " frameSize " +
			      std::to_string(frameSize);
			return false;
		}

		for (unsigned i = 0; i < nbuf; i++) {
			int fd = memfd_create("cxxloop", MFD_CLOEXEC);
			if (fd < 0) {
				err = "memfd_create: " + std::string(strerror(errno));
				return false;
			}
			if (ftruncate(fd, mapSize) < 0) {
				err = "ftruncate: " + std::string(strerror(errno));
				close(fd);
				return false;
			}
			SharedFD sfd(std::move(fd)); // takes ownership
			void *addr = mmap(nullptr, mapSize, PROT_READ, MAP_SHARED, sfd.get(), 0);
			if (addr == MAP_FAILED) {
				err = "mmap: " + std::string(strerror(errno));
				return false;
			}
			maps.push_back({ static_cast<const uint8_t *>(addr), mapSize });

			std::vector<FrameBuffer::Plane> planes(2);
			planes[0].fd = sfd;
			planes[0].offset = 0;
			planes[0].length = ySize;
			planes[1].fd = sfd;
			planes[1].offset = ySize;
			planes[1].length = frameSize - ySize;
			buffers.push_back(std::make_unique<FrameBuffer>(planes, i));

			std::unique_ptr<Request> request = camera->createRequest(i);
			if (!request) {
				err = "createRequest failed";
				return false;
			}
			r = request->addBuffer(stream, buffers.back().get());
			if (r < 0) {
				err = "addBuffer: " + std::string(strerror(-r));
				return false;
			}
			requests.push_back(std::move(request));
		}

		loop = std::make_unique<Loop>(camera, stream, handlerMode, frames);
		loop->maps_ = maps;
		camera->requestCompleted.connect(loop.get(), &Loop::requestCompleted);
		connected = true;
		return true;
	}

	bool start()
	{
		int r = camera->start();
		if (r < 0) {
			err = "start: " + std::string(strerror(-r));
			return false;
		}
		started = true;
		for (auto &request : requests) {
			r = camera->queueRequest(request.get());
			if (r < 0) {
				err = "queueRequest: " + std::string(strerror(-r));
				return false;
			}
		}
		return true;
	}

	bool run(bool handlerMode) { return handlerMode ? loop->waitHandlerMode(err) : loop->runThreadMode(err); }

	// Stop (in-flight requests complete or are cancelled), disconnect, then
	// requests, buffers and mappings, then the camera.
	void teardown()
	{
		if (loop)
			loop->stopping_ = true;
		if (started)
			camera->stop();
		if (connected)
			camera->requestCompleted.disconnect(loop.get());
		if (loop)
			loop->queue_.clear();
		requests.clear();
		for (const Mapping &m : maps)
			munmap(const_cast<uint8_t *>(m.addr), m.length);
		maps.clear();
		buffers.clear(); // closes the memfds
		config.reset();
		if (acquired)
			camera->release();
	}
};

// Splits "a,b,c" at commas.
std::vector<std::string> splitList(const std::string &s)
{
	std::vector<std::string> out;
	size_t at = 0;
	for (;;) {
		size_t comma = s.find(',', at);
		out.push_back(s.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
		if (comma == std::string::npos)
			return out;
		at = comma + 1;
	}
}

} // namespace

int main(int argc, char **argv)
{
	std::string camList = "0", sizeList = "640x480", frameList = "2000";
	unsigned nbuf = 4;
	std::string mode = "thread";

	int opt;
	while ((opt = getopt(argc, argv, "c:s:n:b:m:h")) != -1) {
		switch (opt) {
		case 'c':
			camList = optarg;
			break;
		case 's':
			sizeList = optarg;
			break;
		case 'n':
			frameList = optarg;
			break;
		case 'b':
			nbuf = strtoul(optarg, nullptr, 10);
			break;
		case 'm':
			mode = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || nbuf == 0 || (mode != "thread" && mode != "handler"))
		usage(argv[0]);
	const bool handlerMode = mode == "handler";

	// One rig per camera: -c 0,1 -s 640x480,1280x720 -n 4000,1000 (one size
	// or frame count for all, or one each).
	std::vector<std::unique_ptr<Rig>> rigs;
	{
		std::vector<std::string> cams = splitList(camList), sizes = splitList(sizeList),
					 counts = splitList(frameList);
		if ((sizes.size() != 1 && sizes.size() != cams.size()) ||
		    (counts.size() != 1 && counts.size() != cams.size()))
			usage(argv[0]);
		for (size_t i = 0; i < cams.size(); i++) {
			auto rig = std::make_unique<Rig>();
			rig->index = strtoul(cams[i].c_str(), nullptr, 10);
			const std::string &size = sizes[sizes.size() == 1 ? 0 : i];
			if (sscanf(size.c_str(), "%ux%u", &rig->width, &rig->height) != 2 || !rig->width || !rig->height)
				usage(argv[0]);
			rig->frames = strtoul(counts[counts.size() == 1 ? 0 : i].c_str(), nullptr, 10);
			if (rig->frames == 0)
				usage(argv[0]);
			rigs.push_back(std::move(rig));
		}
	}

	const std::set<std::string> fdsAtStart = openFds();
	int rc = 0;
	{
		auto cm = std::make_unique<CameraManager>();
		int ret = cm->start();
		if (ret < 0) {
			fprintf(stderr, "cxxloop: CameraManager::start: %s\n", strerror(-ret));
			return 1;
		}
		bool ready = true;
		for (auto &rig : rigs)
			ready = ready && rig->setup(*cm, nbuf, handlerMode);
		for (auto &rig : rigs)
			ready = ready && rig->start();
		if (ready) {
			// One thread per camera, each running its own loop.
			std::vector<std::thread> threads;
			for (auto &rig : rigs)
				threads.emplace_back([&rig, handlerMode] { rig->ok = rig->run(handlerMode); });
			for (auto &t : threads)
				t.join();
		}
		for (auto &rig : rigs)
			rig->teardown();
		for (auto &rig : rigs) {
			if (ready && rig->ok) {
				const Loop &loop = *rig->loop;
				const double wall = std::chrono::duration<double>(loop.wall1_ - loop.wall0_).count();
				const double cpu = loop.cpu1_ - loop.cpu0_;
				printf("cxxloop mode=%s camera=%u cameras=%zu size=%ux%u buffers=%u frames=%u fps=%.1f cpu_us_per_frame=%.1f wall_s=%.3f libcamera=%s\n",
				       mode.c_str(), rig->index, rigs.size(), rig->width, rig->height, nbuf, rig->frames,
				       rig->frames / wall, cpu * 1e6 / rig->frames, wall, kLibcameraVersion);
			} else {
				rc = 1;
				fprintf(stderr, "cxxloop: camera %u: %s\n", rig->index,
					rig->err.empty() ? "not run (another camera failed)" : rig->err.c_str());
			}
			rig->loop.reset();
			rig->camera.reset(); // before the manager goes
		}
		rigs.clear();
		cm->stop();
	}

	checkFdLeaks(fdsAtStart);
	return rc;
}
