/*
 * loop.c - event loop: one epoll set holding every socket, a timer heap
 * whose earliest deadline is the epoll_wait timeout, signals through a
 * signalfd in the same set.  See loop.h for why this is not qb_loop.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "net/loop.h"

#define EPOLL_BATCH 256
#define TIMER_BATCH 1024

static int epfd = -1;
static int sfd = -1; /* signalfd; -1 until the first loop_signal_add() */
static sigset_t sfd_mask;
static struct loop_watch sfd_watch;
static int sfd_ready; /* the signalfd was readable in this batch */
static int stop_requested;
static void (*after_dispatch)(void);

static struct loop_timer **heap;
static size_t heap_len, heap_cap;

uint64_t
loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
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
	return (t->heap_index != SIZE_MAX);
}

int
loop_timer_arm(struct loop_timer *t, uint64_t ms)
{
	uint64_t expire = loop_now_ms() + ms;

	if (loop_timer_armed(t)) {
		t->expire_ms = expire;
		heap_down(t->heap_index);
		heap_up(t->heap_index);
		return (0);
	}
	if (heap_len == heap_cap) {
		size_t ncap = heap_cap ? heap_cap * 2 : 64;
		struct loop_timer **n = realloc(heap, ncap * sizeof(*n));

		if (n == NULL)
			return (-1);
		heap = n;
		heap_cap = ncap;
	}
	t->expire_ms = expire;
	t->heap_index = heap_len;
	heap[heap_len++] = t;
	heap_up(t->heap_index);
	return (0);
}

void
loop_timer_disarm(struct loop_timer *t)
{
	if (!loop_timer_armed(t))
		return;
	heap_remove(t->heap_index);
}

/* Run the timers that are due (at most TIMER_BATCH).  1 if more are due. */
static int
run_timers(void)
{
	uint64_t now = loop_now_ms();
	int n = 0;

	while (heap_len > 0 && heap[0]->expire_ms <= now) {
		struct loop_timer *t = heap[0];

		if (n++ == TIMER_BATCH)
			return (1);
		heap_remove(0);
		t->cb(t);
	}
	return (0);
}

/* epoll_wait timeout: until the earliest timer, -1 without one. */
static int
wait_timeout(int more_due)
{
	uint64_t now, when;

	if (more_due)
		return (0);
	if (heap_len == 0)
		return (-1);
	now = loop_now_ms();
	when = heap[0]->expire_ms;
	if (when <= now)
		return (0);
	return (when - now > INT_MAX ? INT_MAX : (int)(when - now));
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
		return (-1);
	w->events = events;
	w->added = 1;
	return (0);
}

int
loop_watch_mod(struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (!w->added)
		return (-1);
	if (w->events == events)
		return (0);
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, w->fd, &ev) != 0)
		return (-1);
	w->events = events;
	return (0);
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

/* In the event batch: only note it; the handlers run after the batch. */
static void
sfd_watch_cb(struct loop_watch *w, uint32_t revents)
{
	(void)w;
	(void)revents;
	sfd_ready = 1;
}

static void
run_signals(void)
{
	struct signalfd_siginfo si;

	sfd_ready = 0;
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo > 0 && si.ssi_signo < 65 && sig_table[si.ssi_signo].cb != NULL)
			sig_table[si.ssi_signo].cb((int)si.ssi_signo);
	}
}

int
loop_signal_add(int sig, void (*cb)(int sig))
{
	int fd;

	if (sig <= 0 || sig >= 65)
		return (-1);
	if (sfd == -1)
		sigemptyset(&sfd_mask);
	if (sigaddset(&sfd_mask, sig) != 0 || sigprocmask(SIG_BLOCK, &sfd_mask, NULL) != 0)
		return (-1);
	fd = signalfd(sfd, &sfd_mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return (-1);
	if (sfd == -1) {
		loop_watch_init(&sfd_watch, fd, sfd_watch_cb, NULL);
		if (loop_watch_add(&sfd_watch, EPOLLIN) != 0) {
			close(fd);
			return (-1);
		}
		sfd = fd;
	}
	sig_table[sig].cb = cb;
	return (0);
}

/* ---- lifecycle ---- */

/* The routine-line summary of log.c, timed here: logging sits below the loop. */
static struct loop_timer log_summary_timer;

static void
log_summary_cb(struct loop_timer *t)
{
	(void)t;
	log_routine_summary();
}

static void
log_summary_arm(uint64_t delay_ms)
{
	if (!loop_timer_armed(&log_summary_timer))
		loop_timer_arm(&log_summary_timer, delay_ms);
}

int
loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		log_msg(LOG_CRIT, "Can't create epoll set: %s", strerror(errno));
		return (-1);
	}
	loop_timer_init(&log_summary_timer, log_summary_cb, NULL);
	log_set_summary_timer(log_summary_arm);
	return (0);
}

void
loop_fini(void)
{
	log_set_summary_timer(NULL);
	if (sfd >= 0) {
		loop_watch_del(&sfd_watch);
		close(sfd);
		sigprocmask(SIG_UNBLOCK, &sfd_mask, NULL);
	}
	if (epfd >= 0)
		close(epfd);
	epfd = sfd = -1;
	memset(sig_table, 0, sizeof(sig_table));
	/* Timers still armed become disarmed (and may be armed again after a new loop_init). */
	while (heap_len > 0)
		heap[--heap_len]->heap_index = SIZE_MAX;
	free(heap);
	heap = NULL;
	heap_len = heap_cap = 0;
}

/*
 * One turn: wait for socket events (or the earliest timer), dispatch the
 * batch, then signals, then the after-dispatch hook (reaping, flushing),
 * then the timers that are due, then the hook again.  Nothing is freed
 * while the batch still holds pointers to watches: frees happen only in
 * the hook, between batches.
 */
int
loop_run(void)
{
	struct epoll_event evs[EPOLL_BATCH];
	int more;

	stop_requested = 0;
	more = run_timers();
	run_after_dispatch();
	while (!stop_requested) {
		int n, i;

		n = epoll_wait(epfd, evs, EPOLL_BATCH, wait_timeout(more));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_CRIT, "epoll_wait failed: %s", strerror(errno));
			return (-1);
		}
		for (i = 0; i < n; i++) {
			struct loop_watch *w = evs[i].data.ptr;

			/* Removed earlier in this batch: still allocated, must not run. */
			if (!w->added)
				continue;
			w->cb(w, evs[i].events);
		}
		if (sfd_ready)
			run_signals();
		if (n > 0)
			run_after_dispatch();
		if (stop_requested)
			break;
		if (heap_len > 0 && heap[0]->expire_ms <= loop_now_ms()) {
			more = run_timers();
			run_after_dispatch();
		} else {
			more = 0;
		}
	}
	return (0);
}

void
loop_stop(void)
{
	stop_requested = 1;
}
