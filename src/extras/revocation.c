/*
 * revocation.c - load <state_dir>/revoked, enforce it on live
 * connections (see revocation.h).
 */
#include <stdio.h>

#include "base/log.h"
#include "enroll/revoked.h"
#include "extras/events.h"
#include "extras/revocation.h"
#include "net/conn.h"
#include "net/tls_cert.h"

/* Malformed lines logged one by one per load; the rest are counted. */
#define WARN_LINES_MAX 20

struct load_ctx {
	const char *path;
	size_t skipped;
};

static void
warn_cb(void *arg, size_t line, const char *why)
{
	struct load_ctx *ctx = arg;

	if (++ctx->skipped <= WARN_LINES_MAX)
		log_msg(LOG_WARNING, "Revoked list %s line %zu: %s; line skipped", ctx->path, line,
		    why);
}

/* Read the file.  The new list, or NULL after logging why. */
static struct revoked_list *
load(const struct qnetd_settings *s)
{
	char path[4096], err[512];
	struct load_ctx ctx = { path, 0 };
	struct revoked_list *l;

	if (s->state_dir[0] == '\0') {
		/* -S state_dir= (empty): no state directory, so no list. */
		log_msg(LOG_DEBUG, "No state_dir: no certificate is revoked");
		return (revoked_parse("", 0, NULL, NULL));
	}
	if (snprintf(path, sizeof(path), "%s/revoked", s->state_dir) >= (int)sizeof(path)) {
		log_msg(LOG_ERR, "Revoked list: state_dir is too long");
		return (NULL);
	}
	switch (revoked_load_file(path, REVOKED_MAX_FILE, warn_cb, &ctx, &l, err, sizeof(err))) {
	case REVOKED_LOAD_ERROR:
		log_msg(LOG_ERR, "Can't load the revoked list: %s", err);
		return (NULL);
	case REVOKED_LOAD_MISSING:
		log_msg(LOG_DEBUG, "No revoked list at %s: no certificate is revoked", path);
		return (l);
	case REVOKED_LOAD_TRUNCATED:
		log_msg(LOG_ERR,
		    "Revoked list %s is larger than %u bytes: only the lines in its first %u "
		    "bytes are enforced",
		    path, REVOKED_MAX_FILE, REVOKED_MAX_FILE);
		break;
	case REVOKED_LOAD_OK:
		break;
	}
	if (ctx.skipped > WARN_LINES_MAX)
		log_msg(LOG_WARNING, "Revoked list %s: %zu malformed line(s) skipped in all", path,
		    ctx.skipped);
	log_msg(LOG_NOTICE, "Revoked list %s: %zu certificate(s) revoked", path, revoked_count(l));
	return (l);
}

void
revocation_init(const struct qnetd_settings *s)
{
	if (s->tls == TLV_TLS_UNSUPPORTED)
		return;
	/* Unreadable: logged, and nothing is revoked (a vote arbiter keeps serving). */
	tls_cert_set_revoked(load(s));
}

/* Close c when its client certificate is listed now. */
static void
enforce(struct conn *c)
{
	char cluster[256], listed[REVOKED_MAX_CLUSTER + 1];
	struct tls_cert_facts f;

	if (client_closing(&c->client) || c->ssl == NULL || c->transport != CONN_TLS ||
	    tls_peer_facts(c->ssl, &f) != 0 || !tls_cert_revoked(&f, listed, sizeof(listed)))
		return;
	if (c->client.cluster_name != NULL)
		snprintf(cluster, sizeof(cluster), "%.*s", (int)c->client.cluster_name_len,
		    c->client.cluster_name);
	else
		snprintf(cluster, sizeof(cluster), "%s", listed);
	if (client_initialised(&c->client))
		log_client(LOG_WARNING, &c->client,
		    "Certificate serial %s of cluster %s node %u is revoked: closing the connection",
		    f.serial_hex, cluster, (unsigned)c->client.node_id);
	else
		log_client(LOG_WARNING, &c->client,
		    "Certificate serial %s of cluster %s (no INIT yet) is revoked: closing the "
		    "connection",
		    f.serial_hex, cluster);
	events_cert_revoked(&c->client, f.serial_hex, 0);
	conn_schedule_close(c, "certificate revoked");
}

int
revocation_reload(const struct qnetd_settings *s)
{
	struct revoked_list *l;
	struct conn *c;
	size_t n;

	if (s->tls == TLV_TLS_UNSUPPORTED)
		return (0);
	l = load(s);
	if (l == NULL) {
		log_msg(LOG_ERR, "Reload: keeping the previous revoked list");
		return (-1);
	}
	n = revoked_count(l);
	tls_cert_set_revoked(l);
	if (n == 0)
		return (0);
	TAILQ_FOREACH(c, &conn_all, entries)
		enforce(c);
	return (0);
}

void
revocation_fini(void)
{
	tls_cert_set_revoked(NULL);
}
