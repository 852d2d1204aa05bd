/*
 * ca_issue.c - sign and record one certificate, all files or none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enroll/ca_issue.h"
#include "enroll/ca_lock.h"
#include "enroll/ca_sign.h"

enum { TMP_SERIAL, TMP_CERT, TMP_REGISTRY, TMP_TOKENS, TMP_COUNT };

int
ca_issue_cert_path(const char *nssdb_dir, const char *cluster, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/cluster-%s.crt", nssdb_dir, cluster) >= size)
		return (-1);
	return (0);
}

/* Mode of a new certificate file: what certutil -o would get, 0666 less the umask. */
static mode_t
cert_mode(void)
{
	mode_t mask = umask(022);

	umask(mask);
	return (0666 & ~mask);
}

static void
fill_record(struct registry_rec *rec, const struct cert_info *info, const char *cluster,
    const struct ca_issue_ctx *ctx)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->serial, sizeof(rec->serial), "%s", info->serial);
	snprintf(rec->cluster, sizeof(rec->cluster), "%s", cluster);
	snprintf(rec->sha256, sizeof(rec->sha256), "%s", info->sha256);
	rec->not_after = info->not_after;
	rec->issued_at = (int64_t)ctx->now;
	snprintf(rec->path, sizeof(rec->path), "%s", ctx->path);
}

/* Prepares every file; on failure discards the ones already prepared. */
static int
prepare_all(const struct ca_issue_ctx *ctx, const char *cluster, const uint8_t *der, size_t len,
    struct registry *reg, struct token_store *tokens, struct state_file_tmp *tmp, int *ready)
{
	char path[4096];
	int i;

	if (ca_issue_cert_path(ctx->nssdb_dir, cluster, path, sizeof(path)) != 0) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (state_file_prepare(&tmp[TMP_CERT], path, der, len, cert_mode(), 0) != 0)
		goto fail;
	ready[TMP_CERT] = 1;
	if (registry_prepare(reg, ctx->state_dir, &tmp[TMP_REGISTRY]) != 0)
		goto fail;
	ready[TMP_REGISTRY] = 1;
	if (tokens != NULL) {
		if (token_store_prepare(tokens, ctx->state_dir, &tmp[TMP_TOKENS]) != 0)
			goto fail;
		ready[TMP_TOKENS] = 1;
	}
	return (0);
fail:
	for (i = TMP_CERT; i < TMP_COUNT; i++) {
		if (ready[i])
			state_file_discard(&tmp[i]);
		ready[i] = 0;
	}
	return (-1);
}

static int
commit_all(struct state_file_tmp *tmp, int *ready)
{
	int i, rc = 0;

	for (i = 0; i < TMP_COUNT; i++) {
		if (ready[i] && rc == 0)
			rc = state_file_commit(&tmp[i]);
		else if (ready[i])
			state_file_discard(&tmp[i]);
	}
	return (rc);
}

int
ca_issue(const struct ca_issue_ctx *ctx, const struct csr *req, const char *cluster,
    struct registry *reg, struct token_store *tokens, struct token_rec *tok, uint8_t **der,
    size_t *len, struct registry_rec *out, char *reason, size_t reason_len)
{
	struct state_file_tmp tmp[TMP_COUNT];
	int ready[TMP_COUNT] = { 0 };
	struct cert_info info;
	unsigned long serial;

	*der = NULL;
	if (ca_serial_next(ctx->nssdb_dir, &serial, &tmp[TMP_SERIAL]) != 0) {
		snprintf(reason, reason_len, "serial number file: %s", strerror(errno));
		return (-1);
	}
	ready[TMP_SERIAL] = 1;
	if (ca_sign(ctx->ca_nickname, req, cluster, serial, ctx->now, der, len, reason,
	        reason_len) != 0)
		goto fail;
	if (cert_info_from_der(*der, *len, &info) != 0) {
		snprintf(reason, reason_len, "cannot read back the signed certificate");
		goto fail;
	}
	fill_record(out, &info, cluster, ctx);
	if (registry_add(reg, out) != 0) {
		snprintf(reason, reason_len, "registry full or out of memory");
		goto fail;
	}
	if (tok != NULL)
		token_mark_used(tok, req->spki_sha256, info.serial);
	if (prepare_all(ctx, cluster, *der, *len, reg, tokens, tmp, ready) != 0) {
		snprintf(reason, reason_len, "cannot write the state files: %s", strerror(errno));
		reg->n--;
		goto fail;
	}
	if (commit_all(tmp, ready) != 0) {
		snprintf(reason, reason_len, "cannot rename the state files: %s", strerror(errno));
		free(*der);
		*der = NULL;
		return (-1);
	}
	return (0);
fail:
	state_file_discard(&tmp[TMP_SERIAL]);
	free(*der);
	*der = NULL;
	return (-1);
}
