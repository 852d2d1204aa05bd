/*
 * ratelimit.h - failures per peer address, in fixed windows: a peer with
 * max_failures failures within one window is refused until the window
 * ends.  A fixed table: when it is full, the entry whose window started
 * longest ago is reused, so memory stays bounded whatever the number of
 * peers (a peer that floods from many addresses can push others out, but
 * each of its own addresses is still limited).  Pure; time is passed in.
 */
#ifndef QNETD_ENROLL_RATELIMIT_H
#define QNETD_ENROLL_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_KEY_MAX 64

struct ratelimit;

/* NULL when out of memory.  slots >= 1, window_ms >= 1. */
struct ratelimit *ratelimit_new(size_t slots, unsigned max_failures, uint64_t window_ms);
void ratelimit_free(struct ratelimit *rl);

/* 1 when peer (an address string, cut to RATELIMIT_KEY_MAX - 1) is refused now, else 0. */
int ratelimit_blocked(struct ratelimit *rl, const char *peer, uint64_t now_ms);

/* Count one failure of peer at now_ms. */
void ratelimit_fail(struct ratelimit *rl, const char *peer, uint64_t now_ms);

#endif
