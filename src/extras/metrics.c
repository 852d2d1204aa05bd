/*
 * metrics.c - the Prometheus text form of the counters (see metrics.h).
 *
 * Names follow Prometheus conventions: qnetd_ prefix, _total for
 * counters, base units (seconds) in the name.  Label values that come
 * from peers (cluster names) are reduced to printable ASCII and escaped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cluster.h"
#include "extras/events.h"
#include "extras/metrics.h"
#include "net/tls_cert.h"

static const char *const counter_info[M_COUNTER_COUNT][2] = {
	[M_CONNECTIONS_ACCEPTED] = { "qnetd_connections_accepted_total",
	    "TCP connections accepted from qdevice clients." },
	[M_TLS_HANDSHAKES] = { "qnetd_tls_handshakes_total", "TLS handshakes completed." },
	[M_CERT_REJECTED] = { "qnetd_client_certificate_rejections_total",
	    "Client certificates refused because they do not match the cluster name." },
	[M_DPD_DISCONNECTS] = { "qnetd_dpd_disconnects_total",
	    "Clients disconnected by dead peer detection." },
	[M_HOOKS_RUN] = { "qnetd_event_hook_runs_total", "Event hook runs that exited 0." },
	[M_HOOKS_FAILED] = { "qnetd_event_hook_failures_total",
	    "Event hook runs that exited non-zero or were killed by a signal." },
	[M_HOOKS_TIMEOUT] = { "qnetd_event_hook_timeouts_total",
	    "Event hook runs killed after event_hook_timeout." },
	[M_HOOKS_DROPPED] = { "qnetd_event_hook_dropped_total",
	    "Events not run because the hook queue was full." },
	[M_HOOKS_SPAWN_ERRORS] = { "qnetd_event_hook_spawn_errors_total",
	    "Event hook runs that could not be started." },
	[M_CONFLICTS_CERT] = { "qnetd_identity_conflicts_certificate_total",
	    "Clients of one cluster name presenting certificates with different fingerprints." },
	[M_CONFLICTS_NODE_ID] = { "qnetd_identity_conflicts_node_id_total",
	    "INITs refused because the node id is already connected in the cluster." },
	[M_RELOADS] = { "qnetd_reloads_total", "SIGHUP reloads that succeeded." },
	[M_RELOAD_FAILURES] = { "qnetd_reload_failures_total",
	    "SIGHUP reloads that failed (the old configuration stays)." },
	[M_CERT_REVOKED_REFUSED] = { "qnetd_certificate_revocations_refused_total",
	    "TLS handshakes refused because the client certificate is in the revoked list." },
	[M_CERT_REVOKED_CLOSED] = { "qnetd_certificate_revocations_closed_total",
	    "Connections closed because a reload put their client certificate in the revoked list." },
};

static const char *const ipc_cmd_names[M_IPC_COUNT] = {
	[M_IPC_STATUS] = "status",
	[M_IPC_LIST] = "list",
	[M_IPC_SHUTDOWN] = "shutdown",
	[M_IPC_JSON] = "json",
	[M_IPC_HEALTH] = "health",
	[M_IPC_OTHER] = "other",
};

static const char *const algo_names[TLV_DECISION_ALGORITHM_COUNT] = {
	"test",
	"ffsplit",
	"2nodelms",
	"lms",
};

static const char *const vote_names[6] = {
	"undefined",
	"ack",
	"nack",
	"ask_later",
	"wait_for_reply",
	"no_change",
};

/* ---- formatting ---- */

static void
head(struct wbuf *out, const char *name, const char *type, const char *help)
{
	wbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Printable ASCII, with \ " and newline escaped as the text format wants. */
static void
label_value(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i, o = 0;

	for (i = 0; i < srclen && o + 3 < dstlen; i++) {
		unsigned char ch = (unsigned char)src[i];

		if (ch == '\\' || ch == '"') {
			dst[o++] = '\\';
			dst[o++] = (char)ch;
		} else if (ch == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else {
			dst[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
		}
	}
	dst[o] = '\0';
}

static void
format_counters(struct wbuf *out)
{
	const struct metrics_counters *m = metrics_counters();
	size_t i, j;

	for (i = 0; i < M_COUNTER_COUNT; i++) {
		head(out, counter_info[i][0], "counter", counter_info[i][1]);
		wbuf_printf(out, "%s %llu\n", counter_info[i][0],
		    (unsigned long long)m->counters[i]);
	}
	head(out, "qnetd_tls_handshake_failures_total", "counter",
	    "TLS handshakes that failed, by NSS error.");
	for (i = 0; i <= METRICS_TLS_REASONS_MAX; i++) {
		const char *name = i < METRICS_TLS_REASONS_MAX ? m->tls_failures[i].name : "other";

		if (m->tls_failures[i].count == 0)
			continue;
		wbuf_printf(out, "qnetd_tls_handshake_failures_total{reason=\"%s\"} %llu\n", name,
		    (unsigned long long)m->tls_failures[i].count);
	}
	head(out, "qnetd_protocol_errors_total", "counter",
	    "Error replies sent to clients, by protocol error code.");
	for (i = 0; i <= METRICS_ERROR_CODES; i++) {
		if (m->protocol_errors[i] == 0)
			continue;
		if (i < METRICS_ERROR_CODES)
			wbuf_printf(out,
			    "qnetd_protocol_errors_total{code=\"%zu\",error=\"%s\"} %llu\n", i,
			    tlv_reply_error_code_to_str((enum tlv_reply_error_code)i),
			    (unsigned long long)m->protocol_errors[i]);
		else
			wbuf_printf(out,
			    "qnetd_protocol_errors_total{code=\"other\",error=\"other\"} %llu\n",
			    (unsigned long long)m->protocol_errors[i]);
	}
	head(out, "qnetd_votes_total", "counter",
	    "Votes sent to clients (replies and VOTE_INFO), by algorithm and result.");
	for (i = 0; i < TLV_DECISION_ALGORITHM_COUNT; i++)
		for (j = 1; j < 6; j++)
			wbuf_printf(out, "qnetd_votes_total{algorithm=\"%s\",result=\"%s\"} %llu\n",
			    algo_names[i], vote_names[j], (unsigned long long)m->votes[i][j]);
	head(out, "qnetd_ipc_requests_total", "counter",
	    "Requests on the local IPC socket, by command.");
	for (i = 0; i < M_IPC_COUNT; i++)
		wbuf_printf(out, "qnetd_ipc_requests_total{command=\"%s\"} %llu\n",
		    ipc_cmd_names[i], (unsigned long long)m->ipc_requests[i]);
}

static void
format_lag(struct wbuf *out)
{
	const struct metrics_counters *m = metrics_counters();
	size_t i;

	head(out, "qnetd_event_loop_lag_seconds", "histogram",
	    "How late a periodic timer fired: time the event loop was busy elsewhere.");
	for (i = 0; i < METRICS_LAG_BUCKETS; i++)
		wbuf_printf(out, "qnetd_event_loop_lag_seconds_bucket{le=\"%g\"} %llu\n",
		    (double)metrics_lag_bounds_ms[i] / 1000.0,
		    (unsigned long long)m->lag_buckets[i]);
	wbuf_printf(out, "qnetd_event_loop_lag_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)m->lag_count);
	wbuf_printf(out, "qnetd_event_loop_lag_seconds_sum %.3f\n", (double)m->lag_sum_ms / 1000.0);
	wbuf_printf(out, "qnetd_event_loop_lag_seconds_count %llu\n",
	    (unsigned long long)m->lag_count);
	head(out, "qnetd_event_loop_lag_max_seconds", "gauge",
	    "Largest event-loop lag seen since start.");
	wbuf_printf(out, "qnetd_event_loop_lag_max_seconds %.3f\n", (double)m->lag_max_ms / 1000.0);
}

size_t
metrics_acked_partitions(const struct qnetd_cluster *cl)
{
	const struct qnetd_client *c, *p;
	size_t n = 0;

	/*
	 * A partition is the set of clients reporting one ring id.  Count an
	 * ACKed client only when no ACKed client before it shares its ring:
	 * quadratic, but a cluster has at most a few dozen nodes.
	 */
	TAILQ_FOREACH(c, &cl->clients, cluster_entries) {
		if (c->last_sent_ack_nack_vote != TLV_VOTE_ACK)
			continue;
		for (p = TAILQ_FIRST(&cl->clients); p != c; p = TAILQ_NEXT(p, cluster_entries))
			if (p->last_sent_ack_nack_vote == TLV_VOTE_ACK &&
			    tlv_ring_id_eq(&p->last_ring_id, &c->last_ring_id))
				break;
		if (p == c)
			n++;
	}
	return (n);
}

static void
format_cluster_partitions(const struct qnetd_instance *instance, struct wbuf *out)
{
	const struct qnetd_cluster *cl;
	char name[400];

	head(out, "qnetd_cluster_partitions_acked", "gauge",
	    "Partitions (distinct ring ids) of each cluster whose clients' last ACK/NACK vote "
	    "was ACK: 1 when one partition holds the vote, 0 when none does.");
	TAILQ_FOREACH(cl, &instance->clusters.clusters, entries) {
		label_value(name, sizeof(name), cl->name, cl->name_len);
		wbuf_printf(out, "qnetd_cluster_partitions_acked{cluster=\"%s\"} %zu\n", name,
		    metrics_acked_partitions(cl));
	}
}

static void
format_clusters(const struct qnetd_instance *instance, struct wbuf *out)
{
	const struct qnetd_cluster *cl;
	const struct qnetd_client *c;
	char name[400];

	head(out, "qnetd_cluster_clients", "gauge", "Initialised clients of each cluster.");
	TAILQ_FOREACH(cl, &instance->clusters.clusters, entries) {
		label_value(name, sizeof(name), cl->name, cl->name_len);
		wbuf_printf(out, "qnetd_cluster_clients{cluster=\"%s\"} %zu\n", name,
		    cl->client_count);
	}
	head(out, "qnetd_cluster_votes", "gauge",
	    "Clients of each cluster by their last ACK/NACK vote (none: no ACK/NACK yet).");
	TAILQ_FOREACH(cl, &instance->clusters.clusters, entries) {
		size_t ack = 0, nack = 0, none = 0;

		TAILQ_FOREACH(c, &cl->clients, cluster_entries) {
			if (c->last_sent_ack_nack_vote == TLV_VOTE_ACK)
				ack++;
			else if (c->last_sent_ack_nack_vote == TLV_VOTE_NACK)
				nack++;
			else
				none++;
		}
		label_value(name, sizeof(name), cl->name, cl->name_len);
		wbuf_printf(out, "qnetd_cluster_votes{cluster=\"%s\",vote=\"ack\"} %zu\n", name,
		    ack);
		wbuf_printf(out, "qnetd_cluster_votes{cluster=\"%s\",vote=\"nack\"} %zu\n", name,
		    nack);
		wbuf_printf(out, "qnetd_cluster_votes{cluster=\"%s\",vote=\"none\"} %zu\n", name,
		    none);
	}
}

static void
format_certificates(const struct qnetd_instance *instance, struct wbuf *out)
{
	const struct qnetd_cluster *cl;
	struct events_cert cert;
	char name[400];

	head(out, "qnetd_certificate_expiry_timestamp_seconds", "gauge",
	    "Not-after of the CA and of the server certificate, seconds since the epoch.");
	if (tls_cert_ca_not_after() != 0)
		wbuf_printf(out,
		    "qnetd_certificate_expiry_timestamp_seconds{certificate=\"ca\"} %lld\n",
		    (long long)tls_cert_ca_not_after());
	if (tls_cert_server_not_after() != 0)
		wbuf_printf(out,
		    "qnetd_certificate_expiry_timestamp_seconds{certificate=\"server\"} %lld\n",
		    (long long)tls_cert_server_not_after());
	head(out, "qnetd_cluster_certificate_expiry_timestamp_seconds", "gauge",
	    "Not-after of the client certificate each cluster's clients presented last.");
	TAILQ_FOREACH(cl, &instance->clusters.clusters, entries) {
		if (events_cluster_certificate(cl, &cert) != 0)
			continue;
		label_value(name, sizeof(name), cl->name, cl->name_len);
		wbuf_printf(out,
		    "qnetd_cluster_certificate_expiry_timestamp_seconds{cluster=\"%s\"} %lld\n",
		    name, (long long)cert.not_after);
	}
}

int
metrics_format(const struct qnetd_instance *instance, struct wbuf *out)
{
	head(out, "qnetd_build_info", "gauge", "Version of this daemon (value is 1).");
	wbuf_printf(out, "qnetd_build_info{version=\"%s\"} 1\n", QNETD_VERSION);
	head(out, "qnetd_start_time_seconds", "gauge", "Start time, seconds since the epoch.");
	wbuf_printf(out, "qnetd_start_time_seconds %lld\n", (long long)instance->started_at);
	head(out, "qnetd_clients_connected", "gauge",
	    "TCP clients connected (initialised or not).");
	wbuf_printf(out, "qnetd_clients_connected %zu\n", instance->client_count);
	head(out, "qnetd_clusters_connected", "gauge", "Clusters with at least one client.");
	wbuf_printf(out, "qnetd_clusters_connected %zu\n", instance->clusters.count);
	format_counters(out);
	format_lag(out);
	format_clusters(instance, out);
	format_cluster_partitions(instance, out);
	format_certificates(instance, out);
	return (out->failed ? -1 : 0);
}
