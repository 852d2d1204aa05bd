/*
 * test_loop.c - the timer heap fires in deadline order, re-arm and
 * disarm work, and socket watches deliver readiness through the loop.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "net/loop.h"

#define NTIMERS 200

static struct loop_timer timers[NTIMERS];
static uint64_t fired_at[NTIMERS];
static int fired_order[NTIMERS];
static int nfired;
static int watch_hits;

static void
timer_cb(struct loop_timer *t)
{
	int i = (int)(t - timers);

	fired_at[i] = loop_now_ms();
	fired_order[nfired++] = i;
}

static struct loop_timer stopper;

static void
stop_cb(struct loop_timer *t)
{
	(void)t;
	loop_stop();
}

static void
watch_cb(struct loop_watch *w, uint32_t revents)
{
	char buf[16];

	if (revents & EPOLLIN) {
		watch_hits++;
		if (read(w->fd, buf, sizeof(buf)) <= 0)
			loop_watch_del(w);
	}
}

int
main(void)
{
	struct loop_watch w;
	int fds[2], i, disarmed = 7;
	uint64_t start;

	CHECK_EQ(loop_init(), 0);
	srand(42);
	start = loop_now_ms();
	for (i = 0; i < NTIMERS; i++) {
		loop_timer_init(&timers[i], timer_cb, NULL);
		CHECK_EQ(loop_timer_arm(&timers[i], (uint64_t)(rand() % 100)), 0);
	}
	/* re-arm half of them later, disarm one */
	for (i = 0; i < NTIMERS; i += 2)
		CHECK_EQ(loop_timer_arm(&timers[i], 100 + (uint64_t)(rand() % 50)), 0);
	loop_timer_disarm(&timers[disarmed]);
	CHECK(!loop_timer_armed(&timers[disarmed]));

	CHECK_EQ(pipe(fds), 0);
	loop_watch_init(&w, fds[0], watch_cb, NULL);
	CHECK_EQ(loop_watch_add(&w, EPOLLIN), 0);
	CHECK_EQ(write(fds[1], "x", 1), 1);

	loop_timer_init(&stopper, stop_cb, NULL);
	loop_timer_arm(&stopper, 300);
	loop_run();

	CHECK_EQ(nfired, NTIMERS - 1);
	for (i = 1; i < nfired; i++)
		CHECK(timers[fired_order[i - 1]].expire_ms <= timers[fired_order[i]].expire_ms);
	for (i = 0; i < NTIMERS; i++) {
		if (i == disarmed)
			continue;
		CHECK(fired_at[i] >= timers[i].expire_ms);
		CHECK(fired_at[i] - start < 1000);
	}
	CHECK_EQ(fired_at[disarmed], 0);
	CHECK_EQ(watch_hits, 1);
	loop_watch_del(&w);
	close(fds[0]);
	close(fds[1]);
	loop_fini();
	return check_exit("loop");
}
