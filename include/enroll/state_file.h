/*
 * state_file.h - small files of the enrollment state: bounded reads and
 * atomic replacement (temporary file, fsync, rename) with a chosen mode
 * and the owner of the directory they live in.
 */
#ifndef QNETD_ENROLL_STATE_FILE_H
#define QNETD_ENROLL_STATE_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Largest state file read (tokens, registry, revoked, serial, certificate). */
#define STATE_FILE_MAX (4u * 1024 * 1024)

/*
 * Reads all of path, at most max bytes, into a NUL-terminated buffer
 * (*data, caller frees; *len excludes the NUL).  0 on success; -1 with
 * errno set otherwise (ENOENT when missing, EFBIG when larger than max).
 */
int state_file_read(const char *path, size_t max, char **data, size_t *len);

/*
 * A file written beside its final path and renamed over it only by
 * state_file_commit(), so a reader never sees half of it and a failure
 * leaves the old file as it was.
 */
struct state_file_tmp {
	char path[4096];
	char tmp[4096];
};

/*
 * Writes data to a temporary file next to path with mode (owner: the
 * directory's when run as root, else the caller).  When keep_old is set
 * and path exists, its mode and owner are kept instead.  0 on success
 * (t then names the temporary file); -1 with errno, nothing left behind.
 */
int state_file_prepare(struct state_file_tmp *t, const char *path, const void *data, size_t len,
    mode_t mode, int keep_old);

/* Renames the prepared file into place.  0 or -1 with errno. */
int state_file_commit(struct state_file_tmp *t);

/* Removes a prepared, uncommitted file. */
void state_file_discard(struct state_file_tmp *t);

/* prepare + commit in one step.  0 or -1 with errno. */
int state_file_write(const char *path, const void *data, size_t len, mode_t mode, int keep_old);

/*
 * Creates dir (mode 0700) when missing; when run as root, a new directory
 * is given to the user coroqnetd if that user exists, so the enrollment
 * service can use it.  0 or -1 with errno.
 */
int state_file_ensure_dir(const char *dir);

#endif
