// jpeg.c: JPEG through TurboJPEG's 2 API (libjpeg-turbo 2.1, as in
// Debian bookworm and trixie), straight from 4:2:0 planes.
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <turbojpeg.h>

struct pv_jpeg {
	tjhandle tj;
	uint8_t *u, *v; // NV12's chroma, deinterleaved
	size_t uvcap;
};

int pv_jpeg_open(pv_jpeg **out, char *err, size_t errlen) {
	pv_begin();
	*out = NULL;
	pv_jpeg *j = calloc(1, sizeof *j);
	if (j == NULL)
		return pv_fail(-ENOMEM, err, errlen, "jpeg");
	j->tj = tjInitCompress();
	if (j->tj == NULL) {
		free(j);
		return pv_fail(-ENOMEM, err, errlen, "jpeg: tjInitCompress: %s", tjGetErrorStr2(NULL));
	}
	pv_live_jpegs++;
	*out = j;
	return 0;
}

void pv_jpeg_close(pv_jpeg *j) {
	if (j == NULL)
		return;
	tjDestroy(j->tj);
	free(j->u);
	free(j->v);
	free(j);
	pv_live_jpegs--;
}

size_t pv_jpeg_bound(int width, int height) {
	unsigned long n = tjBufSize(width, height, TJSAMP_420);
	return n == (unsigned long)-1 ? 0 : n;
}

static int64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

long pv_jpeg_compress_timed(pv_jpeg *j, int pix_fmt, int width, int height, const uint8_t *const planes[3],
                            const int strides[3], int quality, uint8_t *dst, size_t dstcap, int64_t *split_ns,
                            int64_t *tj_ns, char *err, size_t errlen) {
	pv_begin();
	if (width <= 0 || height <= 0 || width % 2 || height % 2)
		return pv_fail(-EINVAL, err, errlen, "jpeg: size %dx%d (want even and positive)", width, height);
	if (quality < 1 || quality > 100)
		return pv_fail(-EINVAL, err, errlen, "jpeg: quality %d (want 1..100)", quality);
	if (dstcap < pv_jpeg_bound(width, height))
		return pv_fail(-ENOSPC, err, errlen, "jpeg: output buffer of %zu bytes", dstcap);
	int64_t t0 = now_ns();
	const unsigned char *src[3] = {planes[0], planes[1], planes[2]};
	int st[3] = {strides[0], strides[1], strides[2]};
	int cw = width / 2, ch = height / 2;
	if (pix_fmt == PV_NV12) {
		size_t need = (size_t)cw * ch;
		if (j->uvcap < need) {
			free(j->u);
			free(j->v);
			j->u = malloc(need);
			j->v = malloc(need);
			j->uvcap = j->u && j->v ? need : 0;
			if (j->uvcap == 0)
				return pv_fail(-ENOMEM, err, errlen, "jpeg");
		}
		for (int y = 0; y < ch; y++) {
			const uint8_t *s = planes[1] + (size_t)y * strides[1];
			uint8_t *u = j->u + (size_t)y * cw, *v = j->v + (size_t)y * cw;
			for (int x = 0; x < cw; x++) {
				u[x] = s[2 * x];
				v[x] = s[2 * x + 1];
			}
		}
		src[1] = j->u;
		src[2] = j->v;
		st[1] = st[2] = cw;
	}
	int64_t t1 = now_ns();
	unsigned char *buf = dst;
	unsigned long size = dstcap;
	if (tjCompressFromYUVPlanes(j->tj, src, width, st, height, TJSAMP_420, &buf, &size, quality,
	                            TJFLAG_NOREALLOC) != 0)
		return pv_fail(-EIO, err, errlen, "jpeg: tjCompressFromYUVPlanes: %s", tjGetErrorStr2(j->tj));
	if (split_ns != NULL)
		*split_ns = t1 - t0;
	if (tj_ns != NULL)
		*tj_ns = now_ns() - t1;
	return (long)size;
}

long pv_jpeg_compress(pv_jpeg *j, int pix_fmt, int width, int height, const uint8_t *const planes[3],
                      const int strides[3], int quality, uint8_t *dst, size_t dstcap, char *err, size_t errlen) {
	return pv_jpeg_compress_timed(j, pix_fmt, width, height, planes, strides, quality, dst, dstcap, NULL, NULL,
	                              err, errlen);
}
