/*
 * workers.h - the parent of a multi-process daemon (-S workers=N, N > 1;
 * docs/workers.md): it starts N worker processes (this same program,
 * executed again), restarts one that dies, passes each accepted client
 * to the worker that owns its cluster, and answers the tool for all.
 */
#ifndef QNETD_WORKERS_H
#define QNETD_WORKERS_H

#include <stddef.h>
#include <stdint.h>

#include "base/keyed_hash.h"
#include "base/settings.h"
#include "daemon/worker_chan.h"

/* The command line, kept for starting workers.  Call first thing in main(). */
void workers_save_argv(int argc, char *argv[]);

/*
 * The parent's whole life once the lock is held: workers, listener, IPC,
 * main loop, and stopping them all.  EXIT_SUCCESS or EXIT_FAILURE.
 */
int workers_run(struct qnetd_settings *s);

/*
 * Where a client a worker gives back (a PREINIT naming another worker's
 * cluster) goes: the parent sets the router here (h, bytes, fd as for
 * workers_pass).  Without one such a client is closed.
 */
typedef void (*workers_reroute_fn)(struct wchan_hdr *h, const uint8_t *bytes, size_t len, int fd);
void workers_set_reroute(workers_reroute_fn fn);

/*
 * Pass a client (fd, owned from here on) and the bytes already read to
 * worker idx: at once, or queued while its channel is full or it is being
 * restarted.  h describes the client; its type is set here.
 */
void workers_pass(unsigned idx, struct wchan_hdr *h, const uint8_t *bytes, size_t len, int fd);

/* Clients held by every worker plus those on their way to one (for -m). */
size_t workers_client_estimate(void);

#define WORKERS_QUERY_TIMEOUT_MS 5000
#define WORKERS_START_TIMEOUT_MS 30000
#define WORKERS_STOP_TIMEOUT_MS 10000

/*
 * Start n workers and wait until each is serving.  0, or -1 after
 * logging (a worker that failed to start says why in its own log lines).
 */
int workers_start(unsigned n);
/* SIGTERM every worker, wait (SIGKILL after WORKERS_STOP_TIMEOUT_MS), free all. */
void workers_stop(void);
/* SIGCHLD: collect dead workers, log, schedule their restart. */
void workers_reap(void);
void workers_signal_all(int sig);
/* Worker restarts since the start. */
unsigned long workers_restarts(void);

/*
 * Ask every worker (QUERY with arg and payload) and wait, at most
 * WORKERS_QUERY_TIMEOUT_MS, for every answer: counts and cluster blocks
 * into agg, metrics text into metrics[worker index] (either may be NULL).
 * 0, or -1 when a worker is missing or did not answer (agg->why says which).
 */
struct ipc_agg;
struct wbuf;
int workers_gather(uint32_t arg, const void *payload, size_t len, struct ipc_agg *agg,
    struct wbuf *metrics);

/* Number of workers, and the routing key (parent side). */
unsigned workers_count(void);
const struct keyed_hash_key *workers_key(void);

#endif
