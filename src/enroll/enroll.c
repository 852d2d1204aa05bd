/*
 * enroll.c - enroll_process(): a token and a certificate request in, the
 * cluster's certificate out.  Everything that reads or changes the
 * state happens under the CA lock, so the service and
 * corosync-qnetd-certutil -s never interleave.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/ca_issue.h"
#include "enroll/ca_lock.h"
#include "enroll/cert_info.h"
#include "enroll/csr.h"
#include "enroll/enroll.h"
#include "enroll/registry.h"
#include "enroll/token.h"
#include "enroll/token_store.h"

static const char *const result_names[] = {
	[ENROLL_OK] = "ok",
	[ENROLL_BAD_TOKEN] = "bad token",
	[ENROLL_TOKEN_EXPIRED] = "token expired",
	[ENROLL_TOKEN_WITHDRAWN] = "token withdrawn",
	[ENROLL_TOKEN_USED] = "token already used with another key",
	[ENROLL_WRONG_CLUSTER] = "request is for another cluster",
	[ENROLL_BAD_REQUEST] = "bad certificate request",
	[ENROLL_WEAK_KEY] = "weak or unsupported key",
	[ENROLL_INTERNAL] = "internal error",
};

const char *
enroll_result_str(enum enroll_result r)
{
	if ((unsigned)r >= sizeof(result_names) / sizeof(result_names[0]))
		return ("unknown");
	return (result_names[r]);
}

/* The state of one call, released by state_release(). */
struct enroll_state {
	struct token_store tokens;
	struct registry reg;
	struct csr req;
	int lock_fd;
};

static void
state_release(struct enroll_state *st)
{
	token_store_free(&st->tokens);
	registry_free(&st->reg);
	csr_free(&st->req);
	ca_lock_release(st->lock_fd);
}

/* The certificate issued earlier for this token and key, read back from disk. */
static enum enroll_result
same_again(const struct enroll_ctx *ctx, const struct token_rec *tok, const char *serial,
    uint8_t **cert_der, size_t *cert_len, char *reason, size_t reason_len)
{
	char path[4096], *data;
	struct cert_info info;
	size_t len;

	if (ca_issue_cert_path(ctx->nssdb_dir, tok->cluster, path, sizeof(path)) != 0 ||
	    state_file_read(path, 65536, &data, &len) != 0) {
		snprintf(reason, reason_len, "certificate of cluster %s not found", tok->cluster);
		return (ENROLL_INTERNAL);
	}
	if (cert_info_from_der((const uint8_t *)data, len, &info) != 0 ||
	    strcmp(info.serial, serial) != 0) {
		free(data);
		snprintf(reason, reason_len,
		    "token already used; the certificate it gave (serial %s) has since been replaced",
		    serial);
		return (ENROLL_TOKEN_USED);
	}
	*cert_der = (uint8_t *)data;
	*cert_len = len;
	snprintf(reason, reason_len, "same certificate again (serial %s)", serial);
	return (ENROLL_OK);
}

static int
revoked(struct registry *reg, const char *serial)
{
	struct registry_rec *rec = registry_find_serial(reg, serial);

	return (rec != NULL && rec->revoked_at != 0);
}

/* Token checks, in the order a client learns least: secret, withdrawn, expiry, use. */
static enum enroll_result
check_token(const struct enroll_ctx *ctx, struct enroll_state *st, const struct token_text *tt,
    struct token_rec **tok, char *serial, char *reason, size_t reason_len)
{
	*tok = token_store_find(&st->tokens, tt->id);
	if (*tok == NULL) {
		snprintf(reason, reason_len, "unknown token");
		return (ENROLL_BAD_TOKEN);
	}
	switch (token_check(*tok, tt, ctx->now, st->req.spki_sha256, serial)) {
	case TOKEN_CHECK_OK:
		return (ENROLL_OK);
	case TOKEN_CHECK_BAD:
		snprintf(reason, reason_len, "wrong token secret");
		return (ENROLL_BAD_TOKEN);
	case TOKEN_CHECK_WITHDRAWN:
		snprintf(reason, reason_len, "token %s was withdrawn", tt->id);
		return (ENROLL_TOKEN_WITHDRAWN);
	case TOKEN_CHECK_EXPIRED:
		snprintf(reason, reason_len, "token %s expired", tt->id);
		return (ENROLL_TOKEN_EXPIRED);
	case TOKEN_CHECK_USED_OTHER_KEY:
		snprintf(reason, reason_len, "token %s was already used with another key", tt->id);
		return (ENROLL_TOKEN_USED);
	case TOKEN_CHECK_USED_SAME_KEY:
		return (ENROLL_TOKEN_USED); /* the caller hands out the same certificate */
	}
	return (ENROLL_INTERNAL);
}

static enum enroll_result
load_state(const struct enroll_ctx *ctx, struct enroll_state *st, char *reason, size_t reason_len)
{
	st->lock_fd = ca_lock_acquire(ctx->state_dir);
	if (st->lock_fd < 0) {
		snprintf(reason, reason_len, "cannot lock %s/%s: %s", ctx->state_dir, CA_LOCK_FILE,
		    strerror(errno));
		return (ENROLL_INTERNAL);
	}
	if (token_store_load(ctx->state_dir, &st->tokens) != 0 ||
	    registry_load(ctx->state_dir, ctx->nssdb_dir, &st->reg) != 0) {
		snprintf(reason, reason_len, "cannot read the state in %s: %s", ctx->state_dir,
		    strerror(errno));
		return (ENROLL_INTERNAL);
	}
	return (ENROLL_OK);
}

static enum enroll_result
check_request(const uint8_t *csr_der, size_t csr_len, struct enroll_state *st, char *reason,
    size_t reason_len)
{
	switch (csr_parse(csr_der, csr_len, &st->req, reason, reason_len)) {
	case CSR_OK:
		return (ENROLL_OK);
	case CSR_WEAK_KEY:
		return (ENROLL_WEAK_KEY);
	case CSR_BAD:
		break;
	}
	return (ENROLL_BAD_REQUEST);
}

/* Past the checks: sign, or hand out the same certificate again. */
static enum enroll_result
issue(const struct enroll_ctx *ctx, struct enroll_state *st, struct token_rec *tok,
    uint8_t **cert_der, size_t *cert_len, char *reason, size_t reason_len)
{
	struct ca_issue_ctx ic = { ctx->nssdb_dir, ctx->state_dir, ctx->ca_nickname, ctx->now,
		"service" };
	struct registry_rec rec;
	char subject[512];

	if (!csr_subject_is(&st->req, tok->cluster)) {
		csr_subject_text(&st->req, subject, sizeof(subject));
		snprintf(reason, reason_len, "request subject \"%s\" is not CN=%s", subject,
		    tok->cluster);
		return (ENROLL_WRONG_CLUSTER);
	}
	if (ca_issue(&ic, &st->req, tok->cluster, &st->reg, &st->tokens, tok, cert_der, cert_len,
	        &rec, reason, reason_len) != 0)
		return (ENROLL_INTERNAL);
	snprintf(reason, reason_len, "signed certificate serial %s for cluster %s", rec.serial,
	    tok->cluster);
	return (ENROLL_OK);
}

enum enroll_result
enroll_process(const struct enroll_ctx *ctx, const char *token_text, const uint8_t *csr_der,
    size_t csr_len, uint8_t **cert_der, size_t *cert_len, char *reason, size_t reason_len)
{
	struct enroll_state st = { .lock_fd = -1 };
	struct token_rec *tok = NULL;
	struct token_text tt;
	char serial[CERT_SERIAL_HEX_MAX] = "";
	enum enroll_result r;

	*cert_der = NULL;
	*cert_len = 0;
	if (token_text == NULL || token_parse(token_text, &tt) != 0) {
		snprintf(reason, reason_len, "malformed token");
		return (ENROLL_BAD_TOKEN);
	}
	r = check_request(csr_der, csr_len, &st, reason, reason_len);
	if (r == ENROLL_OK)
		r = load_state(ctx, &st, reason, reason_len);
	if (r == ENROLL_OK)
		r = check_token(ctx, &st, &tt, &tok, serial, reason, reason_len);
	if (r == ENROLL_TOKEN_USED && serial[0] != '\0' && revoked(&st.reg, serial)) {
		snprintf(reason, reason_len, "token %s was used for certificate %s, since revoked",
		    tt.id, serial);
	} else if (r == ENROLL_TOKEN_USED && serial[0] != '\0')
		r = same_again(ctx, tok, serial, cert_der, cert_len, reason, reason_len);
	else if (r == ENROLL_OK)
		r = issue(ctx, &st, tok, cert_der, cert_len, reason, reason_len);
	memset(&tt, 0, sizeof(tt));
	state_release(&st);
	return (r);
}
