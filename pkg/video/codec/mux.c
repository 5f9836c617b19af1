// mux.c: containers through libavformat (MP4, Matroska, MPEG-TS, ...),
// written to a file or, through an AVIOContext, to a Go io.Writer.
#include "common.h"

#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/mem.h>

// The Go side of a custom AVIOContext (export.go).
extern int pvGoWrite(uintptr_t h, uint8_t *buf, int size);
extern int64_t pvGoSeek(uintptr_t h, int64_t offset, int whence);

struct pv_mux {
	AVFormatContext *fmt;
	AVStream *st;
	AVPacket *pkt;
	AVIOContext *avio; // custom, or NULL for a file libavformat opened
	uintptr_t writer;
	int header;        // the header was written
};

static const AVRational us = {1, 1000000};

// FFmpeg 7 (libavformat 61) made the written buffer const.
#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define PV_AVIO_CONST const
#else
#define PV_AVIO_CONST
#endif

static int write_cb(void *opaque, PV_AVIO_CONST uint8_t *buf, int size) {
	return pvGoWrite(((pv_mux *)opaque)->writer, (uint8_t *)buf, size);
}

static int64_t seek_cb(void *opaque, int64_t offset, int whence) {
	return pvGoSeek(((pv_mux *)opaque)->writer, offset, whence);
}

static void mux_free(pv_mux *m) {
	if (m->fmt != NULL) {
		if (m->avio == NULL && m->fmt->pb != NULL && !(m->fmt->oformat->flags & AVFMT_NOFILE))
			avio_closep(&m->fmt->pb);
		avformat_free_context(m->fmt);
	}
	if (m->avio != NULL) {
		av_freep(&m->avio->buffer);
		avio_context_free(&m->avio);
	}
	av_packet_free(&m->pkt);
	av_free(m);
	pv_live_muxers--;
}

int pv_mux_open(const pv_mux_params *p, pv_mux **out, char *err, size_t errlen) {
	pv_begin();
	*out = NULL;
	pv_mux *m = av_mallocz(sizeof *m);
	if (m == NULL)
		return pv_fail(AVERROR(ENOMEM), err, errlen, "mux");
	pv_live_muxers++;
	m->writer = p->writer;
	const char *what = p->path != NULL ? p->path : (p->format != NULL ? p->format : "?");
	int r = avformat_alloc_output_context2(&m->fmt, NULL, p->format, p->path);
	if (r < 0 || m->fmt == NULL) { // EINVAL: no muxer of that name or for that extension
		mux_free(m);
		return pv_fail(AVERROR_MUXER_NOT_FOUND, err, errlen, "mux %s: no container for it", what);
	}
	m->pkt = av_packet_alloc();
	m->st = avformat_new_stream(m->fmt, NULL);
	if (m->pkt == NULL || m->st == NULL) {
		mux_free(m);
		return pv_fail(AVERROR(ENOMEM), err, errlen, "mux %s", what);
	}
	AVCodecParameters *par = m->st->codecpar;
	par->codec_type = AVMEDIA_TYPE_VIDEO;
	par->codec_id = p->codec == PV_CODEC_MJPEG ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_H264;
	par->width = p->width;
	par->height = p->height;
	par->format = p->codec == PV_CODEC_MJPEG ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
	par->color_range = p->color_range;
	par->color_space = p->color_space;
	par->color_primaries = p->color_primaries;
	par->color_trc = p->color_trc;
	if (p->extradata_size > 0) {
		par->extradata = av_mallocz(p->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
		if (par->extradata == NULL) {
			mux_free(m);
			return pv_fail(AVERROR(ENOMEM), err, errlen, "mux %s", what);
		}
		memcpy(par->extradata, p->extradata, p->extradata_size);
		par->extradata_size = p->extradata_size;
	}
	m->st->time_base = us;
	m->st->avg_frame_rate = (AVRational){p->fps_num, p->fps_den};
	if (avformat_query_codec(m->fmt->oformat, par->codec_id, FF_COMPLIANCE_NORMAL) == 0) {
		mux_free(m);
		return pv_fail(AVERROR(EINVAL), err, errlen, "mux %s: %s cannot hold %s", what, m->fmt->oformat->name,
		               avcodec_get_name(par->codec_id));
	}
	if (!(m->fmt->oformat->flags & AVFMT_NOFILE)) {
		if (p->path != NULL) {
			if ((r = avio_open(&m->fmt->pb, p->path, AVIO_FLAG_WRITE)) < 0) {
				mux_free(m);
				return pv_fail(r, err, errlen, "mux: open %s", p->path);
			}
		} else {
			const int size = 64 * 1024;
			uint8_t *buf = av_malloc(size);
			m->avio = buf ? avio_alloc_context(buf, size, 1, m, NULL, write_cb, p->seekable ? seek_cb : NULL) : NULL;
			if (m->avio == NULL) {
				av_free(buf);
				mux_free(m);
				return pv_fail(AVERROR(ENOMEM), err, errlen, "mux %s", what);
			}
			m->avio->seekable = p->seekable ? AVIO_SEEKABLE_NORMAL : 0;
			m->fmt->pb = m->avio;
			m->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
		}
	}
	AVDictionary *opts = NULL;
	if (p->options != NULL && *p->options &&
	    (r = av_dict_parse_string(&opts, p->options, "=", ":", 0)) < 0) {
		mux_free(m);
		return pv_fail(r, err, errlen, "mux %s: options %s", what, p->options);
	}
	r = avformat_write_header(m->fmt, &opts);
	AVDictionaryEntry *left = av_dict_get(opts, "", NULL, AV_DICT_IGNORE_SUFFIX);
	char unknown[64] = "";
	if (left != NULL)
		snprintf(unknown, sizeof unknown, "%s", left->key);
	av_dict_free(&opts);
	if (r < 0) {
		mux_free(m);
		return pv_fail(r, err, errlen, "mux %s: header", what);
	}
	m->header = 1;
	if (unknown[0]) {
		pv_mux_close(m, NULL, 0);
		return pv_fail(AVERROR_OPTION_NOT_FOUND, err, errlen, "mux %s: unknown option %s", what, unknown);
	}
	*out = m;
	return 0;
}

int pv_mux_write(pv_mux *m, const uint8_t *data, int size, int64_t pts, int64_t dts, int64_t duration, int key,
                 char *err, size_t errlen) {
	pv_begin();
	AVPacket *pkt = m->pkt;
	av_packet_unref(pkt);
	int r = av_new_packet(pkt, size);
	if (r < 0)
		return pv_fail(r, err, errlen, "mux: packet");
	memcpy(pkt->data, data, size);
	pkt->pts = pts;
	pkt->dts = dts;
	pkt->duration = duration;
	pkt->flags = key ? AV_PKT_FLAG_KEY : 0;
	pkt->stream_index = m->st->index;
	av_packet_rescale_ts(pkt, us, m->st->time_base);
	r = av_interleaved_write_frame(m->fmt, pkt);
	if (r < 0)
		return pv_fail(r, err, errlen, "mux %s: write", m->fmt->oformat->name);
	if (m->fmt->pb != NULL && m->fmt->pb->error < 0)
		return pv_fail(m->fmt->pb->error, err, errlen, "mux %s: write", m->fmt->oformat->name);
	return 0;
}

int pv_mux_close(pv_mux *m, char *err, size_t errlen) {
	pv_begin();
	int r = 0;
	if (m->header) {
		r = av_write_trailer(m->fmt);
		if (r >= 0 && m->fmt->pb != NULL) {
			avio_flush(m->fmt->pb);
			if (m->fmt->pb->error < 0)
				r = m->fmt->pb->error;
		}
	}
	if (r < 0)
		pv_fail(r, err, errlen, "mux %s: trailer", m->fmt->oformat->name);
	if (m->avio == NULL && m->fmt->pb != NULL && !(m->fmt->oformat->flags & AVFMT_NOFILE)) {
		int c = avio_closep(&m->fmt->pb);
		if (r >= 0 && c < 0)
			r = pv_fail(c, err, errlen, "mux: close");
	}
	mux_free(m);
	return r;
}
