/*
 * revoked_write.h - the revoked file of the state directory, which the daemon
 * reads at start and on SIGHUP: one line per revoked certificate,
 *   <sha256hex(DER of the issuer Name)> <serial hex> <cluster>
 * Written only under the CA lock.
 */
#ifndef QNETD_ENROLL_REVOKED_WRITE_H
#define QNETD_ENROLL_REVOKED_WRITE_H

#include <stddef.h>

#include "enroll/state_file.h"

#define REVOKED_FILE "revoked"

struct revoked_entry {
	const char *issuer_sha256;
	const char *serial;
	const char *cluster;
};

/*
 * Prepares <state_dir>/revoked as its old content plus the n entries not
 * already listed (same issuer and serial), for state_file_commit().
 * 0 or -1 (errno).
 */
int revoked_prepare(const char *state_dir, const struct revoked_entry *add, size_t n,
    struct state_file_tmp *t);

#endif
