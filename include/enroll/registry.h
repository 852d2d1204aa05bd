/*
 * registry.h - every certificate the CA signed: the registry file of the
 * state directory, one line per certificate:
 *   <serial hex> <cluster> <sha256hex(cert DER)> <not_after> <issued_at> <path> <revoked_at>
 * path is certutil, service or import; revoked_at 0 when not revoked.
 * Read and written only under the CA lock.
 */
#ifndef QNETD_ENROLL_REGISTRY_H
#define QNETD_ENROLL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "enroll/cert_info.h"
#include "enroll/state_file.h"
#include "enroll/token.h"

#define REGISTRY_FILE "registry"
#define REGISTRY_MAX 100000

struct registry_rec {
	char serial[CERT_SERIAL_HEX_MAX];
	char cluster[TOKEN_CLUSTER_MAX + 1];
	char sha256[DIGEST_SHA256_HEX_LEN + 1];
	int64_t not_after;
	int64_t issued_at;
	char path[16];
	int64_t revoked_at;
};

struct registry {
	struct registry_rec *recs;
	size_t n;
	size_t cap;
	size_t bad;   /* malformed lines skipped */
	int imported; /* the file was missing: filled from the cluster-*.crt files */
};

/*
 * Loads <state_dir>/registry.  When the file is missing, the registry is
 * filled from the cluster-NAME.crt files of nssdb_dir (path "import",
 * issued_at their notBefore) and imported is set: the caller saves it.
 * A certificate file that cannot be read is skipped.  0 or -1 (errno).
 */
int registry_load(const char *state_dir, const char *nssdb_dir, struct registry *r);

/* Adds a copy of rec.  0, or -1 when full or out of memory. */
int registry_add(struct registry *r, const struct registry_rec *rec);

/* The number of unrevoked certificates of cluster. */
size_t registry_count_valid(const struct registry *r, const char *cluster);

/* The record with this serial (lowercase hex), or NULL. */
struct registry_rec *registry_find_serial(struct registry *r, const char *serial);

/* Writes the registry to a temporary file for state_file_commit().  0 or -1. */
int registry_prepare(const struct registry *r, const char *state_dir, struct state_file_tmp *t);

/* 1 when line is a valid registry line (stored in rec), else 0. */
int registry_rec_parse(const char *line, struct registry_rec *rec);

void registry_free(struct registry *r);

#endif
