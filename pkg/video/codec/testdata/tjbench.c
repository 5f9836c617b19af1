// tjbench.c: TurboJPEG timed alone in C, for comparison with the binding
// (BenchmarkJPEG1080p): the same 1080p NV12 bars frame, its chroma
// deinterleaved, compressed at quality 85, median of N calls.
//
//	cc -O3 -o /tmp/tjbench testdata/tjbench.c -lturbojpeg && /tmp/tjbench 60
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <turbojpeg.h>

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv) {
	const int w = 1920, h = 1080, n = argc > 1 ? atoi(argv[1]) : 60;
	// The bars, BT.601 limited range, as pkg/video/internal/bars draws frame 0.
	static const unsigned char Y[8] = {235, 210, 170, 145, 106, 81, 41, 16};
	static const unsigned char U[8] = {128, 16, 166, 54, 202, 90, 240, 128};
	static const unsigned char V[8] = {128, 146, 16, 34, 222, 240, 110, 128};
	unsigned char *y = malloc(w * h), *uv = malloc(w * h / 2), *u = malloc(w * h / 4), *v = malloc(w * h / 4);
	for (int r = 0; r < h; r++)
		for (int x = 0; x < w; x++)
			y[r * w + x] = Y[((x + 1) % w) / (w / 8)];
	for (int r = 0; r < h / 2; r++)
		for (int x = 0; x < w; x += 2) {
			int bar = ((x + 1) % w) / (w / 8);
			uv[r * w + x] = U[bar];
			uv[r * w + x + 1] = V[bar];
		}
	tjhandle tj = tjInitCompress();
	unsigned long cap = tjBufSize(w, h, TJSAMP_420);
	unsigned char *out = malloc(cap);
	double *t = malloc(n * sizeof *t);
	unsigned long size = 0;
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		for (int r = 0; r < h / 2; r++)
			for (int x = 0; x < w / 2; x++) {
				u[r * w / 2 + x] = uv[r * w + 2 * x];
				v[r * w / 2 + x] = uv[r * w + 2 * x + 1];
			}
		const unsigned char *planes[3] = {y, u, v};
		int strides[3] = {w, w / 2, w / 2};
		size = cap;
		if (tjCompressFromYUVPlanes(tj, planes, w, strides, h, TJSAMP_420, &out, &size, 85, TJFLAG_NOREALLOC)) {
			fprintf(stderr, "%s\n", tjGetErrorStr2(tj));
			return 1;
		}
		t[i] = now_ms() - t0;
	}
	qsort(t, n, sizeof *t, cmp);
	printf("tjbench: 1920x1080 NV12 bars, q85, %d calls: median %.3f ms, %lu bytes\n", n, t[n / 2], size);
	return 0;
}
