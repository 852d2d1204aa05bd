/*
 * status_json.c - the JSON status (see status_json.h, docs/json-schema.md).
 *
 * Every value a peer chose (cluster names) goes through
 * status_json_string(), which escapes and repairs UTF-8, so the document
 * is always valid JSON.  Field order is fixed; absent facts are null.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control/status_json.h"
#include "core/cluster.h"
#include "core/metrics_counters.h"
#include "net/listener.h"
#include "net/tls_cert.h"

static status_json_tls_fn tls_fn;
static status_json_conflicts_fn conflicts_fn;
static status_json_fingerprint_fn fingerprint_fn;
static status_json_cluster_cert_fn cluster_cert_fn;
static status_json_warnings_fn warnings_fn;

void
status_json_set_cert_fns(status_json_cluster_cert_fn cluster_cert, status_json_warnings_fn warnings)
{
	cluster_cert_fn = cluster_cert;
	warnings_fn = warnings;
}

void
status_json_set_events_fns(status_json_conflicts_fn conflicts,
    status_json_fingerprint_fn fingerprint)
{
	conflicts_fn = conflicts;
	fingerprint_fn = fingerprint;
}

void
status_json_set_tls_fn(status_json_tls_fn fn)
{
	tls_fn = fn;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return (0);
	if (n > left)
		return (0);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong, surrogates, past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return (0);
	return (n);
}

void
status_json_string(struct wbuf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	wbuf_put_u8(out, '"');
	while (i < len) {
		unsigned char ch = s[i];

		if (ch == '"' || ch == '\\') {
			wbuf_printf(out, "\\%c", ch);
			i++;
		} else if (ch < 0x20 || ch == 0x7f) {
			wbuf_printf(out, "\\u%04x", ch);
			i++;
		} else if ((n = utf8_len(s + i, len - i)) == 0) {
			wbuf_printf(out, "\\ufffd");
			i++;
		} else {
			wbuf_put(out, s + i, n);
			i += n;
		}
	}
	wbuf_put_u8(out, '"');
}

static void
str(struct wbuf *out, const char *s)
{
	status_json_string(out, s, strlen(s));
}

static void
key(struct wbuf *out, const char *k, int first)
{
	if (!first)
		wbuf_put_u8(out, ',');
	wbuf_printf(out, "\"%s\":", k);
}

static void
key_str(struct wbuf *out, const char *k, const char *v, int first)
{
	key(out, k, first);
	if (v == NULL)
		wbuf_printf(out, "null");
	else
		str(out, v);
}

static void
key_u64(struct wbuf *out, const char *k, unsigned long long v, int first)
{
	key(out, k, first);
	wbuf_printf(out, "%llu", v);
}

static void
key_bool(struct wbuf *out, const char *k, int v, int first)
{
	key(out, k, first);
	wbuf_printf(out, "%s", v ? "true" : "false");
}

static void
key_time(struct wbuf *out, const char *k, time_t t, int first)
{
	key(out, k, first);
	if (t == 0)
		wbuf_printf(out, "null");
	else
		wbuf_printf(out, "%lld", (long long)t);
}

static const char *
tls_mode(enum tlv_tls_supported t)
{
	switch (t) {
	case TLV_TLS_UNSUPPORTED:
		return ("off");
	case TLV_TLS_SUPPORTED:
		return ("on");
	case TLV_TLS_REQUIRED:
		return ("required");
	}
	return ("unknown");
}

static const char *
algo_id(enum tlv_decision_algorithm a)
{
	static const char *const ids[] = { "test", "ffsplit", "2nodelms", "lms" };

	return ((unsigned)a < 4 ? ids[a] : "unknown");
}

static const char *
vote_or_null(enum tlv_vote v)
{
	return (v == TLV_VOTE_UNDEFINED ? NULL : tlv_vote_to_str(v));
}

/* ---- daemon ---- */

static void
put_conflicts(struct wbuf *out)
{
	const struct events_conflict *r;
	size_t i, n = conflicts_fn != NULL ? conflicts_fn(&r) : 0;

	key(out, "identity_conflicts", 0);
	wbuf_put_u8(out, '[');
	for (i = 0; i < n; i++) {
		if (i != 0)
			wbuf_put_u8(out, ',');
		wbuf_put_u8(out, '{');
		key_str(out, "kind",
		    r[i].kind == EVENTS_CONFLICT_CERTIFICATE ? "certificate" : "duplicate_node_id",
		    1);
		key_str(out, "cluster", r[i].cluster, 0);
		key(out, "node_id", 0);
		if (r[i].kind == EVENTS_CONFLICT_NODE_ID)
			wbuf_printf(out, "%u", (unsigned)r[i].node_id);
		else
			wbuf_printf(out, "null");
		key_str(out, "first_peer", r[i].peer_a, 0);
		key_str(out, "second_peer", r[i].peer_b, 0);
		key_str(out, "first_certificate_sha256", r[i].fp_a[0] ? r[i].fp_a : NULL, 0);
		key_str(out, "second_certificate_sha256", r[i].fp_b[0] ? r[i].fp_b : NULL, 0);
		key_u64(out, "count", (unsigned long long)r[i].count, 0);
		key_time(out, "first_seen", r[i].first_seen, 0);
		key_time(out, "last_seen", r[i].last_seen, 0);
		wbuf_put_u8(out, '}');
	}
	wbuf_put_u8(out, ']');
}

static void
put_daemon(const struct qnetd_instance *instance, time_t now, struct wbuf *out)
{
	const struct qnetd_settings *s = instance->settings;
	char addr[300];

	snprintf(addr, sizeof(addr), "%s:%u", s->listen_addr ? s->listen_addr : "*",
	    (unsigned)s->port);
	key(out, "daemon", 0);
	wbuf_put_u8(out, '{');
	key_str(out, "version", QNETD_VERSION, 1);
	key_u64(out, "pid", (unsigned long long)getpid(), 0);
	key_str(out, "address", addr, 0);
	key_str(out, "listen_address", s->listen_addr, 0);
	key_u64(out, "port", s->port, 0);
	key_str(out, "tls", tls_mode(s->tls), 0);
	key_bool(out, "tls_client_certificate_required",
	    s->tls != TLV_TLS_UNSUPPORTED && s->tls_client_cert_required, 0);
	key_time(out, "started_at", instance->started_at, 0);
	key_u64(out, "uptime_seconds",
	    (unsigned long long)(instance->started_at != 0 && now > instance->started_at
	            ? now - instance->started_at
	            : 0),
	    0);
	key_u64(out, "connected_clients", instance->client_count, 0);
	key_u64(out, "connected_clusters", instance->clusters.count, 0);
	key(out, "limits", 0);
	wbuf_put_u8(out, '{');
	key(out, "max_clients", 1);
	if (s->max_clients != 0)
		wbuf_printf(out, "%u", (unsigned)s->max_clients);
	else
		wbuf_printf(out, "null");
	key_u64(out, "max_client_send_size", s->max_client_send_size, 0);
	key_u64(out, "max_client_receive_size", s->max_client_receive_size, 0);
	key_u64(out, "max_client_send_buffers", s->max_client_send_buffers, 0);
	key_u64(out, "heartbeat_interval_min_ms", s->heartbeat_interval_min, 0);
	key_u64(out, "heartbeat_interval_max_ms", s->heartbeat_interval_max, 0);
	key_bool(out, "dpd_enabled", s->dpd_enabled, 0);
	key_u64(out, "ipc_max_send_size", s->ipc_max_send_size, 0);
	wbuf_put_u8(out, '}');
	put_conflicts(out);
	wbuf_put_u8(out, '}');
}

struct warnings_ctx {
	struct wbuf *out;
	int first;
};

static void
warning_cb(void *arg, const char *text)
{
	struct warnings_ctx *w = arg;

	if (!w->first)
		wbuf_put_u8(w->out, ',');
	w->first = 0;
	str(w->out, text);
}

/* Top level: not-after of the CA and server certificates, expiry warnings. */
static void
put_certificates(const struct qnetd_instance *instance, time_t now, struct wbuf *out)
{
	struct warnings_ctx w = { out, 1 };

	key(out, "certificates", 0);
	wbuf_put_u8(out, '{');
	key(out, "ca", 1);
	wbuf_put_u8(out, '{');
	key_time(out, "not_after", tls_cert_ca_not_after(), 1);
	wbuf_put_u8(out, '}');
	key(out, "server", 0);
	wbuf_put_u8(out, '{');
	key_time(out, "not_after", tls_cert_server_not_after(), 1);
	wbuf_put_u8(out, '}');
	wbuf_put_u8(out, '}');
	key(out, "warnings", 0);
	wbuf_put_u8(out, '[');
	if (warnings_fn != NULL)
		(void)warnings_fn(instance, now, warning_cb, &w);
	wbuf_put_u8(out, ']');
}

/* ---- clusters ---- */

static void
put_nodes(struct wbuf *out, const char *k, const struct node_list *nl)
{
	size_t i;

	key(out, k, 0);
	wbuf_put_u8(out, '[');
	for (i = 0; i < nl->count; i++) {
		wbuf_printf(out, "%s{\"node_id\":%u,\"data_center_id\":", i ? "," : "",
		    (unsigned)nl->nodes[i].node_id);
		if (nl->nodes[i].data_center_id != 0)
			wbuf_printf(out, "%u}", (unsigned)nl->nodes[i].data_center_id);
		else
			wbuf_printf(out, "null}");
	}
	wbuf_put_u8(out, ']');
}

static void
put_tls(struct wbuf *out, const struct qnetd_client *c)
{
	char proto[32], cipher[96];
	int have = 0;

	if (c->tls_started && tls_fn != NULL)
		have = tls_fn(c, proto, sizeof(proto), cipher, sizeof(cipher)) == 0;
	key(out, "tls", 0);
	wbuf_put_u8(out, '{');
	key_bool(out, "active", c->tls_started, 1);
	key_bool(out, "client_certificate_verified",
	    c->tls_started && c->tls_peer_certificate_verified, 0);
	key_str(out, "protocol", have ? proto : NULL, 0);
	key_str(out, "cipher", have ? cipher : NULL, 0);
	key_str(out, "client_certificate_sha256", fingerprint_fn != NULL ? fingerprint_fn(c) : NULL,
	    0);
	wbuf_put_u8(out, '}');
}

static void
put_client(struct wbuf *out, const struct qnetd_client *c, int first)
{
	char ring[64];

	if (!first)
		wbuf_put_u8(out, ',');
	wbuf_put_u8(out, '{');
	key_u64(out, "node_id", c->node_id, 1);
	key_str(out, "address", c->addr_str, 0);
	key_u64(out, "connection_id", (unsigned long long)c->id, 0);
	key_time(out, "connected_at", c->connected_at, 0);
	key_u64(out, "heartbeat_interval_ms", c->heartbeat_interval, 0);
	key(out, "config_version", 0);
	if (c->config_version_set)
		wbuf_printf(out, "%llu", (unsigned long long)c->config_version);
	else
		wbuf_printf(out, "null");
	put_nodes(out, "configured_node_list", &c->configuration_node_list);
	snprintf(ring, sizeof(ring), "%x.%llx", (unsigned)c->last_ring_id.node_id,
	    (unsigned long long)c->last_ring_id.seq);
	key(out, "ring_id", 0);
	wbuf_printf(out, "{\"node_id\":%u,\"seq\":%llu,\"text\":\"%s\"}",
	    (unsigned)c->last_ring_id.node_id, (unsigned long long)c->last_ring_id.seq, ring);
	put_nodes(out, "membership_node_list", &c->last_membership_node_list);
	put_nodes(out, "quorum_node_list", &c->last_quorum_node_list);
	key(out, "heuristics", 0);
	wbuf_put_u8(out, '{');
	key_str(out, "last", tlv_heuristics_to_str(c->last_heuristics), 1);
	key_str(out, "membership", tlv_heuristics_to_str(c->last_membership_heuristics), 0);
	key_str(out, "regular", tlv_heuristics_to_str(c->last_regular_heuristics), 0);
	wbuf_put_u8(out, '}');
	put_tls(out, c);
	key_str(out, "vote", vote_or_null(c->last_sent_vote), 0);
	key_str(out, "last_ack_nack_vote", vote_or_null(c->last_sent_ack_nack_vote), 0);
	key_time(out, "last_vote_change", c->last_vote_change, 0);
	key_bool(out, "keep_active_partition_tie_breaker",
	    c->keep_active_partition_tie_breaker == TLV_KAP_TIE_BREAKER_ENABLED, 0);
	wbuf_put_u8(out, '}');
}

static void
put_tie_breaker(struct wbuf *out, const struct tlv_tie_breaker *tb)
{
	static const char *const modes[] = { "?", "lowest", "highest", "node_id" };

	key(out, "tie_breaker", 0);
	wbuf_printf(out,
	    "{\"mode\":\"%s\",\"node_id\":", (unsigned)tb->mode <= 3 ? modes[tb->mode] : "?");
	if (tb->mode == TLV_TIE_BREAKER_MODE_NODE_ID)
		wbuf_printf(out, "%u}", (unsigned)tb->node_id);
	else
		wbuf_printf(out, "null}");
}

void
status_json_cluster_start(struct wbuf *out, const struct qnetd_cluster *cl, int first)
{
	const struct qnetd_client *c, *head = TAILQ_FIRST(&cl->clients);
	struct events_cert cert;
	int kap = head != NULL;

	TAILQ_FOREACH(c, &cl->clients, cluster_entries)
		if (c->decision_algorithm != TLV_DECISION_ALGORITHM_FFSPLIT ||
		    c->keep_active_partition_tie_breaker != TLV_KAP_TIE_BREAKER_ENABLED)
			kap = 0;
	if (!first)
		wbuf_put_u8(out, ',');
	wbuf_put_u8(out, '{');
	key(out, "name", 1);
	status_json_string(out, cl->name, cl->name_len);
	if (head != NULL) {
		key_str(out, "algorithm", algo_id(head->decision_algorithm), 0);
		key_str(out, "algorithm_text",
		    tlv_decision_algorithm_to_str(head->decision_algorithm), 0);
		key_bool(out, "kap_tie_breaker", kap, 0);
		put_tie_breaker(out, &head->tie_breaker);
	}
	if (cluster_cert_fn != NULL && cluster_cert_fn(cl, &cert) == 0) {
		key(out, "certificate", 0);
		wbuf_put_u8(out, '{');
		key_str(out, "serial", cert.serial, 1);
		key_str(out, "sha256", cert.sha256, 0);
		key_time(out, "not_after", cert.not_after, 0);
		key_time(out, "last_seen", cert.last_seen, 0);
		wbuf_put_u8(out, '}');
	}
	key(out, "clients", 0);
	wbuf_put_u8(out, '[');
}

void
status_json_client(struct wbuf *out, const struct qnetd_client *c, int first)
{

	put_client(out, c, first);
}

void
status_json_cluster_end(struct wbuf *out)
{

	wbuf_put_u8(out, ']');
	wbuf_put_u8(out, '}');
}

void
status_json_head(const struct qnetd_instance *instance, enum status_json_what what, time_t now,
    struct wbuf *out)
{

	wbuf_printf(out, "{\"schema\":\"qnetd-status\",\"schema_version\":%d",
	    STATUS_JSON_SCHEMA_VERSION);
	if (what & STATUS_JSON_STATUS) {
		put_daemon(instance, now, out);
		put_certificates(instance, now, out);
	}
	if (what & STATUS_JSON_LIST) {
		key(out, "clusters", 0);
		wbuf_put_u8(out, '[');
	}
}

void
status_json_tail(enum status_json_what what, struct wbuf *out)
{

	if (what & STATUS_JSON_LIST)
		wbuf_put_u8(out, ']');
	wbuf_printf(out, "}\n");
}

int
status_json(const struct qnetd_instance *instance, enum status_json_what what,
    const char *cluster_name, time_t now, struct wbuf *out)
{
	const struct qnetd_cluster *cl;
	const struct qnetd_client *c;
	int first = 1, i;

	status_json_head(instance, what, now, out);
	if (what & STATUS_JSON_LIST) {
		TAILQ_FOREACH(cl, &instance->clusters.clusters, entries) {
			if (cluster_name != NULL && cluster_name[0] != '\0' &&
			    strcmp(cluster_name, cl->name) != 0)
				continue;
			status_json_cluster_start(out, cl, first);
			i = 0;
			TAILQ_FOREACH(c, &cl->clients, cluster_entries)
				put_client(out, c, i++ == 0);
			status_json_cluster_end(out);
			first = 0;
			if (out->failed)
				return (-1);
		}
	}
	status_json_tail(what, out);
	return (out->failed ? -1 : 0);
}
