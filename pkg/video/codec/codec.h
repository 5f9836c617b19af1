// codec.h: the C layer of pkg/video/codec, over FFmpeg (libavcodec,
// libavformat, libavutil) and TurboJPEG. Plain C types and opaque handles;
// every call that can fail returns a negative error (an AVERROR, which is
// -errno for system errors, or PV_E*) and writes a message into err
// (errlen bytes, always terminated), with what FFmpeg logged during the
// call appended. Builds unchanged against FFmpeg 5.1 and 7.1.
#ifndef PICAMGO_VIDEO_CODEC_H
#define PICAMGO_VIDEO_CODEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Errors of this layer besides FFmpeg's.
#define PV_EAGAIN (-11) // AVERROR(EAGAIN): no packet yet
#define PV_EOF (-541478725) // AVERROR_EOF: flushed

// Pixel formats of input frames.
enum { PV_NV12 = 0, PV_YUV420 = 1 };

// What is alive: FFmpeg and TurboJPEG objects this layer holds, for leak
// checks.
typedef struct {
	int64_t encoders;
	int64_t muxers;
	int64_t jpegs;
} pv_live;
void pv_live_counts(pv_live *out);

// --- H.264 (libavcodec) ---

typedef struct pv_h264 pv_h264;

typedef struct {
	const char *codec;   // "libx264", "h264_v4l2m2m", ...
	int width, height;
	int pix_fmt;         // PV_NV12 or PV_YUV420
	int64_t bitrate;     // bits/s; 0: quality mode
	int crf;             // libx264 CRF (1..51), used when > 0 and bitrate is 0
	int qp;              // constant QP, used when > 0 and bitrate and crf are 0
	const char *preset;  // libx264 preset, "" for the codec's default
	const char *tune;    // libx264 tune, "" for none
	const char *profile; // "baseline", "main", "high", "" for the codec's choice
	int gop;             // frames between keyframes; 0: codec default
	int repeat_headers;  // SPS/PPS before every keyframe
	int fps_num, fps_den; // nominal frame rate
	int threads;         // 0: auto
	// colour description written to the stream's VUI (AVColor* values; 0 unspecified)
	int color_range, color_space, color_primaries, color_trc;
} pv_h264_params;

int pv_h264_open(const pv_h264_params *p, pv_h264 **out, char *err, size_t errlen);
// The encoder's name as opened.
const char *pv_h264_name(const pv_h264 *e);
// Copies one frame (planes with their strides) into the encoder's own
// frame: the caller's buffer is free once this returns.
int pv_h264_take(pv_h264 *e, const uint8_t *const planes[3], const int strides[3], int64_t pts_us,
                 int force_key, char *err, size_t errlen);
// Sends the frame taken last, or (flush != 0) ends the stream.
int pv_h264_send(pv_h264 *e, int flush, char *err, size_t errlen);

typedef struct {
	const uint8_t *data; // valid until the next receive or close
	int size;
	int64_t pts, dts, duration; // microseconds
	int key;
} pv_packet;
// Receives one packet: 0, PV_EAGAIN (send more), PV_EOF (flushed) or an error.
int pv_h264_receive(pv_h264 *e, pv_packet *pkt, char *err, size_t errlen);
void pv_h264_close(pv_h264 *e);

// An H.264 encoder on a thread of its own (h264_worker.c): the thread
// lowers its nice value by nice (0: as it is), opens the encoder with p and
// writes to the eventfd *efd (the caller's to close, after
// pv_h264_worker_close); pv_h264_worker_opened then says how the open went.
// Each pv_h264_worker_submit is one send (or flush) and the packets it gave,
// signalled the same way and read with pv_h264_worker_result and
// pv_h264_worker_packet (valid until the next submit). pv_h264_take is
// called between jobs, on the caller's thread.
typedef struct pv_h264_worker pv_h264_worker;
int pv_h264_worker_start(const pv_h264_params *p, int nice, pv_h264_worker **out, int *efd, char *err, size_t errlen);
int pv_h264_worker_opened(pv_h264_worker *w, pv_h264 **out, char *err, size_t errlen);
void pv_h264_worker_submit(pv_h264_worker *w, int flush);
int pv_h264_worker_result(pv_h264_worker *w, int *npackets, char *err, size_t errlen);
void pv_h264_worker_packet(pv_h264_worker *w, int i, pv_packet *out);
// Closes the encoder on its thread and ends the thread.
void pv_h264_worker_close(pv_h264_worker *w);

// --- JPEG (TurboJPEG 2 API) ---

typedef struct pv_jpeg pv_jpeg;
int pv_jpeg_open(pv_jpeg **out, char *err, size_t errlen);
// Largest JPEG of a frame of this size (4:2:0).
size_t pv_jpeg_bound(int width, int height);
// Compresses a 4:2:0 frame (NV12: Y and interleaved CbCr; YUV420: Y, Cb,
// Cr) into dst (dstcap bytes, at least pv_jpeg_bound). NV12's chroma is
// deinterleaved into scratch planes first. Returns the JPEG's size.
long pv_jpeg_compress(pv_jpeg *j, int pix_fmt, int width, int height, const uint8_t *const planes[3],
                      const int strides[3], int quality, uint8_t *dst, size_t dstcap, char *err,
                      size_t errlen);
// The same, timing the deinterleave and the TurboJPEG call (nanoseconds),
// for benchmarks.
long pv_jpeg_compress_timed(pv_jpeg *j, int pix_fmt, int width, int height, const uint8_t *const planes[3],
                            const int strides[3], int quality, uint8_t *dst, size_t dstcap,
                            int64_t *split_ns, int64_t *tj_ns, char *err, size_t errlen);
void pv_jpeg_close(pv_jpeg *j);

// --- Containers (libavformat) ---

typedef struct pv_mux pv_mux;

enum { PV_CODEC_H264 = 0, PV_CODEC_MJPEG = 1 };

typedef struct {
	const char *format;   // libavformat muxer name ("mp4", "matroska", "mpegts"), or NULL: from path
	const char *path;     // file to write, or NULL: through the write callback
	uintptr_t writer;     // the Go writer's handle when path is NULL
	int seekable;         // the writer can seek
	int codec;            // PV_CODEC_*
	int width, height;
	const uint8_t *extradata; // H.264: Annex B SPS and PPS
	int extradata_size;
	int fps_num, fps_den;
	const char *options;  // muxer options, "key=value:key=value", or NULL
	int color_range, color_space, color_primaries, color_trc;
} pv_mux_params;

int pv_mux_open(const pv_mux_params *p, pv_mux **out, char *err, size_t errlen);
// Writes one packet, timestamps in microseconds.
int pv_mux_write(pv_mux *m, const uint8_t *data, int size, int64_t pts, int64_t dts, int64_t duration,
                 int key, char *err, size_t errlen);
// Writes the trailer and closes the file; frees m whatever happens.
int pv_mux_close(pv_mux *m, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
