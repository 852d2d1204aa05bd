/*
 * worker.h - one worker process of a multi-process daemon
 * (docs/workers.md): it owns its clusters entirely (NSS and TLS,
 * sessions, algorithms, timers), takes its clients from the parent over
 * its channel, gives back one whose PREINIT names another worker's
 * cluster, and answers the parent's queries for the tool and /metrics.
 */
#ifndef QNETD_WORKER_H
#define QNETD_WORKER_H

#include "base/settings.h"

/* 1 when this process was started as a worker. */
int worker_is_worker(void);

/*
 * This worker's index (0 .. N-1), the same across its restarts: for
 * per-worker files (the vote memory's vote-memory.<worker>).  -1 when
 * this process is not a worker (workers=1, or the parent).
 */
int worker_index(void);

/* The worker's whole life.  EXIT_SUCCESS or EXIT_FAILURE. */
int worker_run(struct qnetd_settings *s);

#endif
