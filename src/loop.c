/*
 * loop.c - event loop: qb_loop drives three sources of ours (an epoll set
 * holding every socket, a timerfd in front of a timer heap, signals).
 * See loop.h for why sockets and timers are not libqb sources each.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <qb/qbloop.h>

#include "log.h"
#include "loop.h"

#define EPOLL_BATCH 256
#define TIMER_BATCH 1024

static qb_loop_t *qb;
static int epfd = -1;
static int tfd = -1;
static int sfd = -1;		/* signalfd; -1 until the first loop_signal_add() */
static sigset_t sfd_mask;
static uint64_t tfd_armed_ms;	/* 0: disarmed */
static void (*after_dispatch)(void);

static struct loop_timer **heap;
static size_t heap_len, heap_cap;

uint64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
run_after_dispatch(void)
{
	if (after_dispatch != NULL)
		after_dispatch();
}

void
loop_set_after_dispatch(void (*cb)(void))
{
	after_dispatch = cb;
}

/* ---- timer heap (min-heap on expire_ms) ---- */

static void
heap_swap(size_t a, size_t b)
{
	struct loop_timer *t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->heap_index = a;
	heap[b]->heap_index = b;
}

static void
heap_up(size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (heap[p]->expire_ms <= heap[i]->expire_ms)
			break;
		heap_swap(i, p);
		i = p;
	}
}

static void
heap_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < heap_len && heap[l]->expire_ms < heap[m]->expire_ms)
			m = l;
		if (r < heap_len && heap[r]->expire_ms < heap[m]->expire_ms)
			m = r;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
}

static void
heap_remove(size_t i)
{
	struct loop_timer *t = heap[i];

	heap_len--;
	if (i != heap_len) {
		heap[i] = heap[heap_len];
		heap[i]->heap_index = i;
		heap_down(i);
		heap_up(i);
	}
	t->heap_index = SIZE_MAX;
}

/*
 * Point the timerfd at the earliest deadline.  Re-arming a dead-peer timer
 * on every message only ever moves deadlines later, so the timerfd is
 * reprogrammed only when the earliest deadline moves earlier: a timerfd
 * that fires too early finds nothing due and is set again, which costs one
 * wake-up instead of one syscall per message.
 */
static void
tfd_update(void)
{
	struct itimerspec its;
	uint64_t when;

	if (heap_len == 0)
		return;
	when = heap[0]->expire_ms;
	if (tfd_armed_ms != 0 && tfd_armed_ms <= when)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(when / 1000);
	its.it_value.tv_nsec = (long)(when % 1000) * 1000000L;
	if (when == 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) {
		log_msg(LOG_CRIT, "timerfd_settime failed: %s", strerror(errno));
		return;
	}
	tfd_armed_ms = when;
}

void
loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *data)
{
	t->expire_ms = 0;
	t->heap_index = SIZE_MAX;
	t->cb = cb;
	t->data = data;
}

int
loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_index != SIZE_MAX;
}

int
loop_timer_arm(struct loop_timer *t, uint64_t ms)
{
	uint64_t expire = loop_now_ms() + ms;

	if (loop_timer_armed(t)) {
		t->expire_ms = expire;
		heap_down(t->heap_index);
		heap_up(t->heap_index);
		tfd_update();
		return 0;
	}
	if (heap_len == heap_cap) {
		size_t ncap = heap_cap ? heap_cap * 2 : 64;
		struct loop_timer **n = realloc(heap, ncap * sizeof(*n));

		if (n == NULL)
			return -1;
		heap = n;
		heap_cap = ncap;
	}
	t->expire_ms = expire;
	t->heap_index = heap_len;
	heap[heap_len++] = t;
	heap_up(t->heap_index);
	tfd_update();
	return 0;
}

void
loop_timer_disarm(struct loop_timer *t)
{
	if (!loop_timer_armed(t))
		return;
	heap_remove(t->heap_index);
	tfd_update();
}

static int32_t
timerfd_dispatch_cb(int32_t fd, int32_t revents, void *data)
{
	uint64_t ticks, now;
	int n = 0;

	(void)revents;
	(void)data;
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_msg(LOG_DEBUG, "timerfd read: %s", strerror(errno));
	tfd_armed_ms = 0;	/* it fired; force a re-arm below */
	now = loop_now_ms();
	while (heap_len > 0 && heap[0]->expire_ms <= now && n++ < TIMER_BATCH) {
		struct loop_timer *t = heap[0];

		heap_remove(0);
		t->cb(t);
	}
	tfd_update();
	if (heap_len > 0 && heap[0]->expire_ms <= now) {
		/* Batch cut short: make the timerfd fire again at once. */
		struct itimerspec its = { .it_value = { .tv_sec = 0, .tv_nsec = 1 } };

		timerfd_settime(tfd, 0, &its, NULL);
		tfd_armed_ms = 0;
	}
	run_after_dispatch();
	return 0;
}

/* ---- socket watches ---- */

void
loop_watch_init(struct loop_watch *w, int fd, loop_watch_cb cb, void *data)
{
	w->fd = fd;
	w->events = 0;
	w->cb = cb;
	w->data = data;
	w->added = 0;
}

int
loop_watch_add(struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, w->fd, &ev) != 0)
		return -1;
	w->events = events;
	w->added = 1;
	return 0;
}

int
loop_watch_mod(struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (!w->added)
		return -1;
	if (w->events == events)
		return 0;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev) != 0)
		return -1;
	w->events = events;
	return 0;
}

void
loop_watch_del(struct loop_watch *w)
{
	if (!w->added)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->added = 0;
	w->events = 0;
}

static int32_t
epoll_dispatch_cb(int32_t fd, int32_t revents, void *data)
{
	struct epoll_event evs[EPOLL_BATCH];
	int n, i;

	(void)revents;
	(void)data;
	n = epoll_wait(fd, evs, EPOLL_BATCH, 0);
	for (i = 0; i < n; i++) {
		struct loop_watch *w = evs[i].data.ptr;

		/* A watch removed earlier in this batch is still allocated
		 * (frees happen only in after_dispatch), but must not run. */
		if (!w->added)
			continue;
		w->cb(w, evs[i].events);
	}
	run_after_dispatch();
	return 0;
}

/* ---- signals ---- */

/*
 * A signalfd in the loop rather than qb_loop_signal_add(): libqb
 * allocates a job for each delivered signal and drops the signal (and
 * asserts in its own logging) when that allocation fails, so a SIGTERM
 * under memory pressure was lost.  Reading a signalfd needs no memory.
 */
struct sig_entry {
	void (*cb)(int sig);
};

static struct sig_entry sig_table[65];

static int32_t
signalfd_dispatch_cb(int32_t fd, int32_t revents, void *data)
{
	struct signalfd_siginfo si;

	(void)revents;
	(void)data;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo > 0 && si.ssi_signo < 65 && sig_table[si.ssi_signo].cb != NULL)
			sig_table[si.ssi_signo].cb((int)si.ssi_signo);
	}
	run_after_dispatch();
	return 0;
}

int
loop_signal_add(int sig, void (*cb)(int sig))
{
	int fd;

	if (sig <= 0 || sig >= 65)
		return -1;
	if (sfd == -1)
		sigemptyset(&sfd_mask);
	if (sigaddset(&sfd_mask, sig) != 0 || sigprocmask(SIG_BLOCK, &sfd_mask, NULL) != 0)
		return -1;
	fd = signalfd(sfd, &sfd_mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (sfd == -1) {
		if (qb_loop_poll_add(qb, QB_LOOP_HIGH, fd, POLLIN, NULL, signalfd_dispatch_cb) != 0) {
			close(fd);
			return -1;
		}
		sfd = fd;
	}
	sig_table[sig].cb = cb;
	return 0;
}

/* ---- lifecycle ---- */

int
loop_init(void)
{
	qb = qb_loop_create();
	if (qb == NULL) {
		log_msg(LOG_CRIT, "Can't create main loop");
		return -1;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (epfd < 0 || tfd < 0) {
		log_msg(LOG_CRIT, "Can't create epoll/timerfd: %s", strerror(errno));
		return -1;
	}
	if (qb_loop_poll_add(qb, QB_LOOP_MED, epfd, POLLIN, NULL, epoll_dispatch_cb) != 0 ||
	    qb_loop_poll_add(qb, QB_LOOP_HIGH, tfd, POLLIN, NULL, timerfd_dispatch_cb) != 0) {
		log_msg(LOG_CRIT, "Can't add sources to the main loop");
		return -1;
	}
	return 0;
}

void
loop_fini(void)
{
	if (qb != NULL) {
		if (epfd >= 0)
			qb_loop_poll_del(qb, epfd);
		if (tfd >= 0)
			qb_loop_poll_del(qb, tfd);
		if (sfd >= 0)
			qb_loop_poll_del(qb, sfd);
		qb_loop_destroy(qb);
		qb = NULL;
	}
	if (epfd >= 0)
		close(epfd);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0) {
		close(sfd);
		sigprocmask(SIG_UNBLOCK, &sfd_mask, NULL);
	}
	epfd = tfd = sfd = -1;
	memset(sig_table, 0, sizeof(sig_table));
	/* Timers still armed become disarmed (and may be armed again after a new loop_init). */
	while (heap_len > 0)
		heap[--heap_len]->heap_index = SIZE_MAX;
	free(heap);
	heap = NULL;
	heap_len = heap_cap = 0;
}

int
loop_run(void)
{
	qb_loop_run(qb);
	return 0;
}

void
loop_stop(void)
{
	qb_loop_stop(qb);
}
