/*
 * listener.h - the TCP listening socket: bind per -l/-p/-4/-6, accept in
 * bounded batches, enforce -m, pause on descriptor exhaustion (acceptor.h).
 */
#ifndef QNETD_LISTENER_H
#define QNETD_LISTENER_H

#include "base/settings.h"

struct conn;

/*
 * A client connection was accepted: set up its session.  0, or -1 (out
 * of memory: the listener schedules the connection's close).  Given by
 * the daemon, so that this layer never calls the session layer above it.
 */
typedef int (*listener_accepted_fn)(struct conn *c);

/* Bind and listen; accepted is called for each new client.  0, or -1 after logging why. */
int listener_init(const struct qnetd_settings *s, listener_accepted_fn accepted);
void listener_fini(void);

/*
 * Workers (docs/workers.md): hand every accepted socket (non-blocking,
 * close-on-exec; the hook owns it) to hook instead of serving it here;
 * -m is then the hook's to apply.  NULL (the default): serve here.
 */
typedef void (*listener_accept_hook_fn)(int fd, const char *addr);
void listener_set_accept_hook(listener_accept_hook_fn hook);

/* "address:port" as corosync-qnetd-tool -s shows it ("*:5403" for the wildcard). */
const char *listener_display_addr(void);

/* 1 while the listening socket is open and watched (health check). */
int listener_is_open(void);

#endif
