/*
 * vote_keeper.h - the vote memory in the running daemon: the state
 * directory, loading at start, the algorithms' memory env, and the loop
 * timers that write the file (coalesced, never on the vote path) or keep
 * its stamp fresh, and end the grace after a restart.  docs/admin.md
 * "Vote memory" and docs/compat.md describe what it does.
 */
#ifndef QNETD_VOTE_KEEPER_H
#define QNETD_VOTE_KEEPER_H

#include <stddef.h>

#include "base/settings.h"
#include "extras/vote_memory.h"

/* This process's file in the state directory (a worker adds ".<n>"). */
#define VOTE_KEEPER_FILE "vote-memory"
/* How often the file is written (if changed) or its stamp refreshed. */
#define VOTE_KEEPER_TICK_MS 1000
/* After a failed write: keeps a broken disk from filling the log. */
#define VOTE_KEEPER_RETRY_MS 30000

/*
 * Start after the loop and the cluster registry, before the listener.
 * Creates s->state_dir (mode 0700) if missing, loads every process's file
 * in it (VOTE_KEEPER_FILE and VOTE_KEEPER_FILE.<worker>) with want (NULL:
 * every cluster; a worker passes the clusters it owns), writes its own
 * file_name from then on, and installs the algorithms' memory.
 * Never fails start-up: without a usable directory the daemon runs
 * without memory (logged).  s->state_dir "" turns it off.
 */
void vote_keeper_init(const struct qnetd_settings *s, const char *file_name,
    vote_memory_want_fn want, void *arg);

/*
 * Load one more file of the state directory (another worker's), with
 * want.  The number of records taken, or -1 (logged).
 */
long vote_keeper_load(const char *file_name, vote_memory_want_fn want, void *arg);

/* vote_keeper_load for every process's file.  Records taken, or -1. */
long vote_keeper_load_all(vote_memory_want_fn want, void *arg);

/* Clean stop: write what changed, stamp, fsync; uninstall.  Idempotent. */
void vote_keeper_fini(void);

#endif
