/*
 * loop.h - the daemon's event loop.
 *
 * libqb's qb_loop drives the process (qb_loop_run),
 * but libqb keeps its poll and timer sources in arrays that it scans on
 * every add.  With tens of thousands of clients that makes each accept and
 * each timer re-arm O(n).  So every socket here lives in one epoll set of
 * our own, registered with qb_loop as a single source, and every timer in
 * one binary heap behind one timerfd, also a single source.  Each event
 * then costs O(1) (O(log n) for timer re-arms) whatever the client count.
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
	uint64_t expire_ms;	/* monotonic */
	size_t heap_index;	/* SIZE_MAX when not armed */
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
