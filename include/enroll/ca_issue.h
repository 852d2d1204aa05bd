/*
 * ca_issue.h - one signing as one change of the CA's files: the next
 * serial, the certificate (fixed profile, ca_sign.h) written to
 * <nssdb>/cluster-NAME.crt, its registry line and, for the service, the
 * token marked used.  Every file is prepared first and renamed into place
 * only when all are ready, so a failure changes nothing.  The caller
 * holds the CA lock (ca_lock.h) and has loaded the registry (and tokens).
 */
#ifndef QNETD_ENROLL_CA_ISSUE_H
#define QNETD_ENROLL_CA_ISSUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "enroll/csr.h"
#include "enroll/registry.h"
#include "enroll/token_store.h"

struct ca_issue_ctx {
	const char *nssdb_dir;
	const char *state_dir;
	const char *ca_nickname;
	time_t now;
	const char *path; /* "certutil" or "service": the registry's path column */
};

/*
 * Signs req for cluster and records it in reg (and, when tok is not NULL,
 * marks tok used in tokens).  0 with *der (caller frees with free()),
 * *len and the new registry record in *out; -1 with reason, nothing on
 * disk changed.
 */
int ca_issue(const struct ca_issue_ctx *ctx, const struct csr *req, const char *cluster,
    struct registry *reg, struct token_store *tokens, struct token_rec *tok, uint8_t **der,
    size_t *len, struct registry_rec *out, char *reason, size_t reason_len);

/* "<nssdb_dir>/cluster-<cluster>.crt" into buf.  0 or -1 when it does not fit. */
int ca_issue_cert_path(const char *nssdb_dir, const char *cluster, char *buf, size_t size);

#endif
