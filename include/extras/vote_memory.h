/*
 * vote_memory.h - the vote memory's store and file (docs/compat.md,
 * "Restart during a standing split"): per cluster, the partition that
 * holds the vote, so that a restarted daemon hands it back to the
 * algorithms for a short grace.  No event loop here: callers pass the
 * clocks, which keeps it testable (vote_keeper.c runs it in the daemon).
 *
 * One file per process ("vote-memory", or "vote-memory.<worker>"), text,
 * mode 0600, replaced atomically (temporary file, fsync, rename) and
 * stamped in place while the daemon runs.  The file is untrusted input:
 * bounded, and a malformed file is logged and ignored as a whole.
 */
#ifndef QNETD_VOTE_MEMORY_H
#define QNETD_VOTE_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "algo/algo.h"

/* A memory counts when the daemon ran at most this many heartbeats ago. */
#define VOTE_MEMORY_FRESH_HB 3
/* The grace after a restart, in heartbeat intervals (at most two). */
#define VOTE_MEMORY_GRACE_HB 2
/* A stamp this far in the future (clock stepped back) is not trusted. */
#define VOTE_MEMORY_FUTURE_MS 1000
/* Bounds of the file (it is read whole). */
#define VOTE_MEMORY_MAX_FILE (64u * 1024 * 1024)
#define VOTE_MEMORY_MAX_NAME 65535u /* bytes: a cluster name TLV */
#define VOTE_MEMORY_MAX_IDS 65536u  /* node ids per record */
#define VOTE_MEMORY_MIN_HB 1u       /* ms; the daemon's own -S limits apply earlier */
#define VOTE_MEMORY_MAX_HB 3600000u

struct vote_memory;

/* Keep cluster (name bytes, len) when loading?  1 yes, 0 no. */
typedef int (*vote_memory_want_fn)(const char *name, size_t len, void *arg);

/* An empty store writing to path (copied).  NULL on out of memory. */
struct vote_memory *vote_memory_new(const char *path);
/* Frees everything; closes the file (no write). */
void vote_memory_free(struct vote_memory *vm);

/*
 * Read the file at path (any process's file): each record that want
 * accepts (NULL: all) and whose stamp is fresh at now_wall_ms becomes
 * remembered, its grace ending VOTE_MEMORY_GRACE_HB heartbeats after
 * now_mono_ms, and is carried into this store's own file.  Returns the
 * number of records taken, 0 when the file does not exist, or -1 when
 * it cannot be read or is malformed (logged; nothing taken).
 */
long vote_memory_load(struct vote_memory *vm, const char *path, vote_memory_want_fn want, void *arg,
    uint64_t now_wall_ms, uint64_t now_mono_ms);

/*
 * 1 with *out (ids owned by the store, valid until the next call that
 * changes it) while the record of cluster (name, len) was loaded for
 * algorithm and its grace runs at now_mono_ms; else 0.
 */
int vote_memory_recall(const struct vote_memory *vm, const char *name, size_t len,
    uint32_t algorithm, uint64_t now_mono_ms, struct algo_recall *out);

/*
 * The partition holding cluster's vote is ids (ascending, distinct;
 * n == 0: none), for algorithm, clients' heartbeat hb_ms.  Marks the
 * store dirty only when that changes what the file says.  0, or -1 on
 * out of memory (the old value stays).
 */
int vote_memory_note(struct vote_memory *vm, const char *name, size_t len, uint32_t algorithm,
    uint32_t hb_ms, const uint32_t *ids, size_t n);

/* 1 when the file no longer says what the store holds. */
int vote_memory_dirty(const struct vote_memory *vm);

/*
 * Write the whole file (temporary file, fsync, rename, fsync of the
 * directory), stamped now_wall_ms.  0, or -1 after logging (the store
 * stays dirty).
 */
int vote_memory_save(struct vote_memory *vm, uint64_t now_wall_ms);

/*
 * Refresh the stamp of the file written last, in place; with sync, also
 * fsync it.  Saves instead when nothing was written yet.  0 or -1.
 */
int vote_memory_stamp(struct vote_memory *vm, uint64_t now_wall_ms, int sync);

/*
 * The parts of vote_memory_save, for a writer that does the disk work
 * elsewhere (vote_writer.c):
 * - format: the whole file stamped now_wall_ms into *buf (malloc'd, the
 *   caller frees it); the store counts as written (not dirty) from now
 *   on.  0, or -1 on out of memory.
 * - mark_dirty: the write failed after all; the next format carries it.
 * - file_write: buf to path through path.tmp (0600, fsync, rename, fsync
 *   of the directory); *fd: the new file, open, for stamping.  0 or an
 *   errno value.  Neither logs nor touches a store: any thread may call it.
 * - file_stamp: the stamp of the file open on fd, in place; with sync,
 *   fsync.  0 or an errno value.  Any thread.
 */
int vote_memory_format(struct vote_memory *vm, uint64_t now_wall_ms, char **buf, size_t *len);
void vote_memory_mark_dirty(struct vote_memory *vm);
int vote_memory_file_write(const char *path, const char *buf, size_t len, int *fd);
int vote_memory_file_stamp(int fd, uint64_t now_wall_ms, int sync);

/* The earliest grace end (monotonic ms) of a remembered record; 0: none. */
uint64_t vote_memory_next_grace_end(const struct vote_memory *vm);

/*
 * End the graces due at now_mono_ms (the algorithms' own timers decide
 * again; nothing is re-run here).  A record loaded and never noted
 * since whose cluster present() says is absent is forgotten too: such a
 * memory no longer says anything about the cluster.  Returns the
 * number of graces ended.
 */
size_t vote_memory_end_graces(struct vote_memory *vm, uint64_t now_mono_ms,
    vote_memory_want_fn present, void *arg);

/* Records held (remembered or noted), for logs and tests. */
size_t vote_memory_count(const struct vote_memory *vm);

#endif
