/*
 * router.h - the parent's side of accepting clients (docs/workers.md):
 * read each new connection up to the end of its first message (PREINIT,
 * plain text by protocol), choose the worker that owns the cluster it
 * names, and pass the socket and those bytes on.  Applies -m across all
 * workers.
 */
#ifndef QNETD_ROUTER_H
#define QNETD_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "base/settings.h"
#include "daemon/worker_chan.h"

/* Start taking the listener's sockets.  0, or -1 after logging. */
int router_init(const struct qnetd_settings *s);
/* Free what was closed during the dispatch (the loop's after-dispatch point). */
void router_reap(void);

/* Close every connection still being read. */
void router_fini(void);

/*
 * Route a client whose first bytes (len, one message or its start) are
 * known: by the cluster name of a PREINIT, else spread by its sequence
 * number.  fd is owned from here on.  Also used for a client a worker
 * gives back after a PREINIT naming another worker's cluster.
 */
void router_route(struct wchan_hdr *h, const uint8_t *bytes, size_t len, int fd);

/* Connections accepted and still being read (not yet with a worker). */
size_t router_pending_count(void);

#endif
