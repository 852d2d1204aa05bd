/*
 * loop.h - the daemon's event loop.
 *
 * Not libqb's qb_loop: it keeps its poll and timer sources in arrays that
 * it scans on every add, so with tens of thousands of clients each accept
 * and each timer re-arm would be O(n); and driving one epoll set of ours
 * as a single qb_loop source cost two epoll_wait calls and a timerfd
 * re-arm per wake-up.  So every socket lives in one epoll set, every timer
 * in one binary heap whose earliest deadline is the epoll_wait timeout,
 * and signals arrive through a signalfd in the same set.  Each event
 * costs O(1) (O(log n) for a timer arm) whatever the client count.
 * libqb is still the logging library (log.c).
 */
#ifndef QNETD_LOOP_H
#define QNETD_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop_watch;
typedef void (*loop_watch_cb)(struct loop_watch *w, uint32_t revents);

/* A file descriptor watched for EPOLLIN / EPOLLOUT (level-triggered). */
struct loop_watch {
	int fd;
	uint32_t events;
	loop_watch_cb cb;
	void *data;
	int added;
};

struct loop_timer;
typedef void (*loop_timer_cb)(struct loop_timer *t);

/* A one-shot timer; re-arm it from its callback to repeat. */
struct loop_timer {
	uint64_t expire_ms; /* monotonic */
	size_t heap_index;  /* SIZE_MAX when not armed */
	loop_timer_cb cb;
	void *data;
};

/* 0, or -1 with a log line.  Must be called before anything else here. */
int loop_init(void);
void loop_fini(void);

/* Run until loop_stop(); returns 0. */
int loop_run(void);
void loop_stop(void);

/* Monotonic milliseconds. */
uint64_t loop_now_ms(void);

void loop_watch_init(struct loop_watch *w, int fd, loop_watch_cb cb, void *data);
/* Start watching w->fd for events (EPOLLIN|EPOLLOUT subset).  0 or -1 (errno). */
int loop_watch_add(struct loop_watch *w, uint32_t events);
/* Change the interest set; cheap when unchanged.  0 or -1. */
int loop_watch_mod(struct loop_watch *w, uint32_t events);
/* Stop watching (before closing the fd).  Safe if not added. */
void loop_watch_del(struct loop_watch *w);

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *data);
/* Arm (or re-arm) to fire after ms milliseconds.  0, or -1 on out of memory. */
int loop_timer_arm(struct loop_timer *t, uint64_t ms);
void loop_timer_disarm(struct loop_timer *t);
int loop_timer_armed(const struct loop_timer *t);

/* Deliver sig through the loop (a signalfd; never in signal context).  0 or -1. */
int loop_signal_add(int sig, void (*cb)(int sig));

/*
 * Called after each batch of socket events and after expired timers: the
 * one safe point where connections marked for closing are reaped.
 */
void loop_set_after_dispatch(void (*cb)(void));

#endif
