// h264_worker.c: an H.264 encoder on a thread of its own. The encoder opens
// there, at a lowered priority that libx264's threads inherit, and each
// encode (avcodec_send_frame and the packets it gives) runs there; the
// caller posts a job and waits on an eventfd. A Go goroutine waits on that
// eventfd through Go's poller, holding no Go thread or processor: a
// 10-30 ms encode inside a cgo call would keep one of the program's
// processors (GOMAXPROCS) in a system call until the runtime's monitor
// took it back, and delay the program's other goroutines meanwhile.
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libavutil/error.h>

enum { JOB_NONE, JOB_SEND, JOB_FLUSH, JOB_QUIT };

struct pv_h264_worker {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int efd;
	int nice;
	pv_h264_params params;
	pv_h264 *e;
	int job;    // guarded by mu
	int result; // of the last job, read after its eventfd signal
	char err[512];
	// The packets of the last job, their data copied into data.
	pv_packet *pkts;
	int npkts, cappkts;
	uint8_t *data;
	size_t ndata, capdata;
};

static void signal_done(pv_h264_worker *w) {
	uint64_t one = 1;
	while (write(w->efd, &one, sizeof one) < 0 && errno == EINTR) {
	}
}

static int lower_priority(pv_h264_worker *w) {
	if (w->nice <= 0)
		return 0;
	pid_t tid = gettid();
	errno = 0;
	int cur = getpriority(PRIO_PROCESS, tid);
	if (cur == -1 && errno != 0)
		return pv_fail(-errno, w->err, sizeof w->err, "h264: encoder thread priority");
	int want = cur + w->nice > 19 ? 19 : cur + w->nice;
	if (setpriority(PRIO_PROCESS, tid, want) < 0)
		return pv_fail(-errno, w->err, sizeof w->err, "h264: lowering the encoder thread's priority to nice %d", want);
	return 0;
}

static int keep_packet(pv_h264_worker *w, const pv_packet *p) {
	if (w->npkts == w->cappkts) {
		int n = w->cappkts ? 2 * w->cappkts : 4;
		pv_packet *pk = realloc(w->pkts, n * sizeof *pk);
		if (pk == NULL)
			return AVERROR(ENOMEM);
		w->pkts = pk;
		w->cappkts = n;
	}
	if (w->ndata + p->size > w->capdata) {
		size_t n = 2 * (w->ndata + p->size);
		uint8_t *d = realloc(w->data, n);
		if (d == NULL)
			return AVERROR(ENOMEM);
		w->data = d;
		w->capdata = n;
	}
	memcpy(w->data + w->ndata, p->data, p->size);
	pv_packet *k = &w->pkts[w->npkts++];
	*k = *p;
	k->data = NULL; // w->data may move: set once all are in
	w->ndata += p->size;
	return 0;
}

// encode runs one job on the worker's thread: send (or flush), then keep
// every packet the encoder has ready.
static int encode(pv_h264_worker *w, int flush) {
	w->npkts = 0;
	w->ndata = 0;
	int r = pv_h264_send(w->e, flush, w->err, sizeof w->err);
	if (r < 0)
		return r;
	for (;;) {
		pv_packet p;
		r = pv_h264_receive(w->e, &p, w->err, sizeof w->err);
		if (r == PV_EAGAIN || r == PV_EOF)
			break;
		if (r < 0)
			return r;
		if ((r = keep_packet(w, &p)) < 0)
			return pv_fail(r, w->err, sizeof w->err, "h264: packet");
	}
	size_t off = 0;
	for (int i = 0; i < w->npkts; i++) {
		w->pkts[i].data = w->data + off;
		off += w->pkts[i].size;
	}
	return 0;
}

static void *worker_main(void *arg) {
	pv_h264_worker *w = arg;
	pv_begin();
	w->result = lower_priority(w);
	if (w->result == 0)
		w->result = pv_h264_open(&w->params, &w->e, w->err, sizeof w->err);
	signal_done(w);
	if (w->result < 0)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->job == JOB_NONE)
			pthread_cond_wait(&w->cv, &w->mu);
		int job = w->job;
		pthread_mutex_unlock(&w->mu);
		if (job == JOB_QUIT)
			break;
		w->result = encode(w, job == JOB_FLUSH);
		pthread_mutex_lock(&w->mu);
		if (w->job == job) // not a close posted meanwhile
			w->job = JOB_NONE;
		pthread_mutex_unlock(&w->mu);
		signal_done(w);
	}
	pv_h264_close(w->e); // joins libx264's threads
	w->e = NULL;
	return NULL;
}

int pv_h264_worker_start(const pv_h264_params *p, int nice, pv_h264_worker **out, int *efd, char *err, size_t errlen) {
	pv_begin();
	*out = NULL;
	pv_h264_worker *w = calloc(1, sizeof *w);
	if (w == NULL)
		return pv_fail(AVERROR(ENOMEM), err, errlen, "h264: worker");
	w->params = *p;
	w->nice = nice;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		int r = -errno;
		free(w);
		return pv_fail(r, err, errlen, "h264: eventfd");
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	int r = pthread_create(&w->th, NULL, worker_main, w);
	if (r != 0) {
		close(w->efd);
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return pv_fail(AVERROR(r), err, errlen, "h264: encoder thread");
	}
	*efd = w->efd;
	*out = w;
	return 0;
}

static int result(pv_h264_worker *w, char *err, size_t errlen) {
	pthread_mutex_lock(&w->mu); // orders the worker's writes before these reads
	int r = w->result;
	if (r < 0)
		snprintf(err, errlen, "%s", w->err);
	pthread_mutex_unlock(&w->mu);
	return r;
}

int pv_h264_worker_opened(pv_h264_worker *w, pv_h264 **out, char *err, size_t errlen) {
	int r = result(w, err, errlen);
	*out = r < 0 ? NULL : w->e;
	return r;
}

void pv_h264_worker_submit(pv_h264_worker *w, int flush) {
	pthread_mutex_lock(&w->mu);
	w->job = flush ? JOB_FLUSH : JOB_SEND;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int pv_h264_worker_result(pv_h264_worker *w, int *npackets, char *err, size_t errlen) {
	int r = result(w, err, errlen);
	*npackets = r < 0 ? 0 : w->npkts;
	return r;
}

void pv_h264_worker_packet(pv_h264_worker *w, int i, pv_packet *out) { *out = w->pkts[i]; }

void pv_h264_worker_close(pv_h264_worker *w) {
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->job = JOB_QUIT;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->pkts);
	free(w->data);
	free(w); // the eventfd is the caller's to close
}
