/*
 * event_hook.h - run the -S event_hook executable on daemon events,
 * asynchronously: one run at a time in event order, a bounded queue
 * (event_hook_queue; extra events are dropped and counted), a time limit
 * (event_hook_timeout, then SIGKILL), children reaped on SIGCHLD.  Nothing
 * here ever waits for a hook, so a slow hook cannot delay a vote.
 */
#ifndef QNETD_EVENT_HOOK_H
#define QNETD_EVENT_HOOK_H

#include <stddef.h>

#include "base/settings.h"

#define EVENT_HOOK_MAX_VARS 12

struct event_hook_var {
	const char *name;  /* "QNETD_CLUSTER" ... */
	const char *value; /* copied and reduced to printable ASCII */
};

/* 0, or -1 after logging.  A NULL s->event_hook makes every call a no-op. */
int event_hook_init(const struct qnetd_settings *s);
/* Kill a running hook, drop the queue. */
void event_hook_fini(void);

/* 1 when a hook is configured. */
int event_hook_enabled(void);

/* Queue event with up to EVENT_HOOK_MAX_VARS variables (QNETD_EVENT is added). */
void event_hook_emit(const char *event, const struct event_hook_var *vars, size_t nvars);

/* Events queued + running (tests, status). */
size_t event_hook_pending(void);

#endif
