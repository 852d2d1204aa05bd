/*
 * ratelimit.c - per-peer failure windows (see ratelimit.h).  A linear
 * scan: the table is small (hundreds of entries) and only touched once
 * per request, never per byte.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/ratelimit.h"

struct rl_entry {
	char key[RATELIMIT_KEY_MAX];
	uint64_t window_start;
	unsigned failures;
	int used;
};

struct ratelimit {
	struct rl_entry *e;
	size_t slots;
	unsigned max_failures;
	uint64_t window_ms;
};

struct ratelimit *
ratelimit_new(size_t slots, unsigned max_failures, uint64_t window_ms)
{
	struct ratelimit *rl;

	if (slots == 0 || window_ms == 0)
		return (NULL);
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return (NULL);
	rl->e = calloc(slots, sizeof(*rl->e));
	if (rl->e == NULL) {
		free(rl);
		return (NULL);
	}
	rl->slots = slots;
	rl->max_failures = max_failures;
	rl->window_ms = window_ms;
	return (rl);
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->e);
	free(rl);
}

static struct rl_entry *
lookup(struct ratelimit *rl, const char *peer)
{
	size_t i;

	for (i = 0; i < rl->slots; i++) {
		if (rl->e[i].used && strncmp(rl->e[i].key, peer, RATELIMIT_KEY_MAX - 1) == 0)
			return (&rl->e[i]);
	}
	return (NULL);
}

int
ratelimit_blocked(struct ratelimit *rl, const char *peer, uint64_t now_ms)
{
	struct rl_entry *e = lookup(rl, peer);

	if (e == NULL || now_ms - e->window_start >= rl->window_ms)
		return (0);
	return (e->failures >= rl->max_failures);
}

/* A free slot, else the one whose window started first. */
static struct rl_entry *
take_slot(struct ratelimit *rl)
{
	struct rl_entry *oldest = &rl->e[0];
	size_t i;

	for (i = 0; i < rl->slots; i++) {
		if (!rl->e[i].used)
			return (&rl->e[i]);
		if (rl->e[i].window_start < oldest->window_start)
			oldest = &rl->e[i];
	}
	return (oldest);
}

void
ratelimit_fail(struct ratelimit *rl, const char *peer, uint64_t now_ms)
{
	struct rl_entry *e = lookup(rl, peer);

	if (e == NULL) {
		e = take_slot(rl);
		memset(e, 0, sizeof(*e));
		strncpy(e->key, peer, RATELIMIT_KEY_MAX - 1);
		e->used = 1;
		e->window_start = now_ms;
	} else if (now_ms - e->window_start >= rl->window_ms) {
		e->window_start = now_ms;
		e->failures = 0;
	}
	if (e->failures < UINT_MAX)
		e->failures++;
}
