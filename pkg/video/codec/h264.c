// h264.c: H.264 through libavcodec (libx264, h264_v4l2m2m, ...), fed
// NV12 or YUV420 planes that are copied into the encoder's own frame.
#include "common.h"

#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>

struct pv_h264 {
	AVCodecContext *ctx;
	AVFrame *frame;
	AVPacket *pkt;
	int64_t frame_us; // nominal frame interval, for packets without a duration
	int taken;        // a frame was taken and not sent yet
};

static const AVRational us = {1, 1000000};

void pv_h264_close(pv_h264 *e) {
	if (e == NULL)
		return;
	avcodec_free_context(&e->ctx);
	av_frame_free(&e->frame);
	av_packet_free(&e->pkt);
	av_free(e);
	pv_live_encoders--;
}

int pv_h264_open(const pv_h264_params *p, pv_h264 **out, char *err, size_t errlen) {
	pv_begin();
	*out = NULL;
	const AVCodec *codec = avcodec_find_encoder_by_name(p->codec);
	if (codec == NULL)
		return pv_fail(AVERROR_ENCODER_NOT_FOUND, err, errlen, "h264: encoder %s", p->codec);
	if (p->width <= 0 || p->height <= 0 || p->width % 2 || p->height % 2)
		return pv_fail(AVERROR(EINVAL), err, errlen, "h264: size %dx%d (want even and positive)", p->width, p->height);
	if (p->fps_num <= 0 || p->fps_den <= 0)
		return pv_fail(AVERROR(EINVAL), err, errlen, "h264: frame rate %d/%d", p->fps_num, p->fps_den);
	pv_h264 *e = av_mallocz(sizeof *e);
	if (e == NULL)
		return pv_fail(AVERROR(ENOMEM), err, errlen, "h264");
	pv_live_encoders++;
	e->ctx = avcodec_alloc_context3(codec);
	e->frame = av_frame_alloc();
	e->pkt = av_packet_alloc();
	if (e->ctx == NULL || e->frame == NULL || e->pkt == NULL) {
		pv_h264_close(e);
		return pv_fail(AVERROR(ENOMEM), err, errlen, "h264");
	}
	AVCodecContext *c = e->ctx;
	c->width = p->width;
	c->height = p->height;
	c->pix_fmt = p->pix_fmt == PV_NV12 ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P;
	// Timestamps are the sensor's, in microseconds: variable frame
	// intervals (a dropped frame) stay exact.
	c->time_base = us;
	c->framerate = (AVRational){p->fps_num, p->fps_den};
	e->frame_us = av_rescale_q(1, av_inv_q(c->framerate), us);
	if (p->gop > 0)
		c->gop_size = p->gop;
	if (p->threads > 0)
		c->thread_count = p->threads;
	c->color_range = p->color_range;
	c->colorspace = p->color_space;
	c->color_primaries = p->color_primaries;
	c->color_trc = p->color_trc;
	int is_x264 = strcmp(codec->name, "libx264") == 0;
	if (p->bitrate > 0) {
		c->bit_rate = p->bitrate;
		if (is_x264) { // a VBV cap keeps the rate near the target
			c->rc_max_rate = p->bitrate;
			c->rc_buffer_size = (int)(p->bitrate < INT32_MAX / 2 ? p->bitrate * 2 : INT32_MAX);
		}
	} else if (p->crf > 0) {
		if (av_opt_set_double(c->priv_data, "crf", p->crf, 0) < 0) {
			pv_h264_close(e);
			return pv_fail(AVERROR(EINVAL), err, errlen, "h264: %s has no quality (crf) setting; give a bitrate", codec->name);
		}
	} else if (p->qp > 0) {
		if (av_opt_set_int(c->priv_data, "qp", p->qp, 0) < 0) {
			c->flags |= AV_CODEC_FLAG_QSCALE;
			c->global_quality = FF_QP2LAMBDA * p->qp;
		}
	}
	int r = 0;
	if (p->preset != NULL && *p->preset && (r = av_opt_set(c->priv_data, "preset", p->preset, 0)) < 0) {
		pv_h264_close(e);
		return pv_fail(r, err, errlen, "h264: %s preset %s", codec->name, p->preset);
	}
	if (p->tune != NULL && *p->tune && (r = av_opt_set(c->priv_data, "tune", p->tune, 0)) < 0) {
		pv_h264_close(e);
		return pv_fail(r, err, errlen, "h264: %s tune %s", codec->name, p->tune);
	}
	if (p->profile != NULL && *p->profile && (r = av_opt_set(c->priv_data, "profile", p->profile, 0)) < 0) {
		pv_h264_close(e);
		return pv_fail(r, err, errlen, "h264: %s profile %s", codec->name, p->profile);
	}
	if (is_x264) {
		// Every keyframe an IDR, so that any keyframe starts a playable
		// file (circular output, segments, late clients).
		av_opt_set_int(c->priv_data, "forced-idr", 1, 0);
		if (p->repeat_headers)
			av_opt_set(c->priv_data, "x264-params", "repeat-headers=1", 0);
	}
	if ((r = avcodec_open2(c, codec, NULL)) < 0) {
		pv_h264_close(e);
		return pv_fail(r, err, errlen, "h264: open %s", codec->name);
	}
	e->frame->format = c->pix_fmt;
	e->frame->width = c->width;
	e->frame->height = c->height;
	if ((r = av_frame_get_buffer(e->frame, 0)) < 0) {
		pv_h264_close(e);
		return pv_fail(r, err, errlen, "h264: frame buffer");
	}
	*out = e;
	return 0;
}

const char *pv_h264_name(const pv_h264 *e) { return e->ctx->codec->name; }

static void copy_plane(uint8_t *dst, int dst_stride, const uint8_t *src, int src_stride, int bytes, int rows) {
	if (dst_stride == src_stride && src_stride == bytes) {
		memcpy(dst, src, (size_t)bytes * rows);
		return;
	}
	for (int y = 0; y < rows; y++)
		memcpy(dst + (size_t)y * dst_stride, src + (size_t)y * src_stride, bytes);
}

int pv_h264_take(pv_h264 *e, const uint8_t *const planes[3], const int strides[3], int64_t pts_us, int force_key,
                 char *err, size_t errlen) {
	pv_begin();
	int r = av_frame_make_writable(e->frame); // the encoder may still hold the last one
	if (r < 0)
		return pv_fail(r, err, errlen, "h264: frame");
	AVFrame *f = e->frame;
	int w = f->width, h = f->height;
	copy_plane(f->data[0], f->linesize[0], planes[0], strides[0], w, h);
	if (f->format == AV_PIX_FMT_NV12) {
		copy_plane(f->data[1], f->linesize[1], planes[1], strides[1], w, h / 2);
	} else {
		copy_plane(f->data[1], f->linesize[1], planes[1], strides[1], w / 2, h / 2);
		copy_plane(f->data[2], f->linesize[2], planes[2], strides[2], w / 2, h / 2);
	}
	f->pts = pts_us;
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
	f->duration = e->frame_us;
#else
	f->pkt_duration = e->frame_us;
#endif
	f->pict_type = force_key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	e->taken = 1;
	return 0;
}

int pv_h264_send(pv_h264 *e, int flush, char *err, size_t errlen) {
	pv_begin();
	int r;
	if (flush) {
		r = avcodec_send_frame(e->ctx, NULL);
		if (r == AVERROR_EOF)
			r = 0; // flushed already
	} else {
		if (!e->taken)
			return pv_fail(AVERROR(EINVAL), err, errlen, "h264: send without a frame taken");
		e->taken = 0;
		r = avcodec_send_frame(e->ctx, e->frame);
	}
	if (r < 0)
		return pv_fail(r, err, errlen, "h264: encode");
	return 0;
}

int pv_h264_receive(pv_h264 *e, pv_packet *pkt, char *err, size_t errlen) {
	pv_begin();
	av_packet_unref(e->pkt);
	int r = avcodec_receive_packet(e->ctx, e->pkt);
	if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
		return r;
	if (r < 0)
		return pv_fail(r, err, errlen, "h264: encode");
	// libx264 leaves durations at 0 (FFmpeg 5.1 and 7.1 alike); the last
	// frame of an MP4 would get none.
	if (e->pkt->duration <= 0)
		e->pkt->duration = e->frame_us;
	pkt->data = e->pkt->data;
	pkt->size = e->pkt->size;
	pkt->pts = e->pkt->pts;
	pkt->dts = e->pkt->dts;
	pkt->duration = e->pkt->duration;
	pkt->key = (e->pkt->flags & AV_PKT_FLAG_KEY) != 0;
	return 0;
}
