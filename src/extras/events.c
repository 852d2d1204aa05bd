/*
 * events.c - fan-out of core events to metrics, the event hook and the
 * identity-conflict tracker (see events.h).
 *
 * Per-client extra state (the certificate fingerprint) lives in a side
 * table keyed by the client's address in memory, so the core structures
 * stay as they are; an entry is dropped in events_client_gone().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/text.h"
#include "core/cluster.h"
#include "core/instance.h"
#include "core/metrics_counters.h"
#include "extras/event_hook.h"
#include "extras/events.h"
#include "net/loop.h"
#include "net/tls_cert.h"

#define FP_BUCKETS 1024

struct fp_entry {
	const struct qnetd_client *client;
	char hex[65];
	struct events_cert cert;
	uint64_t seq; /* order of verification: the newest presented last */
	struct fp_entry *next;
};

static struct fp_entry *fp_table[FP_BUCKETS];
static struct events_conflict conflicts[EVENTS_CONFLICTS_MAX];
static uint64_t conflict_log_ms[EVENTS_CONFLICTS_MAX];
static size_t nconflicts;
static uint64_t verify_seq;
static uint32_t log_interval_ms = 60000;

void
events_init(const struct qnetd_settings *s)
{
	log_interval_ms = s->conflict_log_interval;
}

void
events_fini(void)
{
	size_t i;

	for (i = 0; i < FP_BUCKETS; i++) {
		while (fp_table[i] != NULL) {
			struct fp_entry *e = fp_table[i];

			fp_table[i] = e->next;
			free(e);
		}
	}
	nconflicts = 0;
}

/* ---- helpers ---- */

static void emit_node(const char *event, const struct qnetd_client *client, int node_set,
    uint32_t node_id, const char *vote, const char *reason, const char *extra_name,
    const char *extra_value);

static const char *
cluster_of(const struct qnetd_client *client, char *buf, size_t len)
{
	if (client->cluster_name == NULL)
		return (NULL);
	text_printable(buf, len, client->cluster_name, client->cluster_name_len);
	return (buf);
}

static void
emit(const char *event, const struct qnetd_client *client, const char *vote, const char *reason,
    const char *extra_name, const char *extra_value)
{
	emit_node(event, client, 0, 0, vote, reason, extra_name, extra_value);
}

/* node_set: QNETD_NODE_ID is node_id even before INIT (a refused INIT's). */
static void
emit_node(const char *event, const struct qnetd_client *client, int node_set, uint32_t node_id,
    const char *vote, const char *reason, const char *extra_name, const char *extra_value)
{
	struct event_hook_var v[EVENT_HOOK_MAX_VARS];
	char cluster[256], node[16], algo[32];
	size_t n = 0;

	if (!event_hook_enabled())
		return;
	if (client != NULL) {
		v[n++] = (struct event_hook_var){ "QNETD_CLUSTER",
			cluster_of(client, cluster, sizeof(cluster)) };
		if (client_initialised(client) || node_set) {
			snprintf(node, sizeof(node), "%u",
			    (unsigned)(node_set ? node_id : client->node_id));
			v[n++] = (struct event_hook_var){ "QNETD_NODE_ID", node };
		}
		if (client_initialised(client)) {
			snprintf(algo, sizeof(algo), "%s",
			    tlv_decision_algorithm_to_str(client->decision_algorithm));
			v[n++] = (struct event_hook_var){ "QNETD_ALGORITHM", algo };
		}
		v[n++] = (struct event_hook_var){ "QNETD_CLIENT_ADDRESS", client->addr_str };
		v[n++] = (struct event_hook_var){ "QNETD_TLS", client->tls_started ? "yes" : "no" };
	}
	if (vote != NULL)
		v[n++] = (struct event_hook_var){ "QNETD_VOTE", vote };
	if (reason != NULL)
		v[n++] = (struct event_hook_var){ "QNETD_REASON", reason };
	if (extra_name != NULL)
		v[n++] = (struct event_hook_var){ extra_name, extra_value };
	event_hook_emit(event, v, n);
}

static struct fp_entry **
fp_slot(const struct qnetd_client *client)
{
	uintptr_t h = (uintptr_t)client;

	h ^= h >> 17;
	h *= 0x9e3779b1u;
	return (&fp_table[(h >> 7) % FP_BUCKETS]);
}

const char *
events_client_fingerprint(const struct qnetd_client *client)
{
	struct fp_entry *e;

	for (e = *fp_slot(client); e != NULL; e = e->next)
		if (e->client == client)
			return (e->hex);
	return (NULL);
}

static const struct fp_entry *
fp_find(const struct qnetd_client *client)
{
	struct fp_entry *e;

	for (e = *fp_slot(client); e != NULL; e = e->next)
		if (e->client == client)
			return (e);
	return (NULL);
}

int
events_cluster_certificate(const struct qnetd_cluster *cl, struct events_cert *out)
{
	const struct qnetd_client *c;
	const struct fp_entry *e, *best = NULL;

	TAILQ_FOREACH(c, &cl->clients, cluster_entries) {
		e = fp_find(c);
		if (e != NULL && (best == NULL || e->seq > best->seq))
			best = e;
	}
	if (best == NULL)
		return (-1);
	*out = best->cert;
	return (0);
}

static void
fp_forget(const struct qnetd_client *client)
{
	struct fp_entry **pp, *e;

	for (pp = fp_slot(client); (e = *pp) != NULL; pp = &e->next) {
		if (e->client == client) {
			*pp = e->next;
			free(e);
			return;
		}
	}
}

/* ---- identity conflicts ---- */

/* The record for (kind, cluster, node id), made (or the oldest reused) if new. */
static struct events_conflict *
conflict_record(enum events_conflict_kind kind, const char *cluster, uint32_t node_id, size_t *idx,
    int *fresh)
{
	struct events_conflict tmp;
	size_t i;

	for (i = 0; i < nconflicts; i++) {
		struct events_conflict *r = &conflicts[i];

		if (r->kind == kind && r->node_id == node_id && strcmp(r->cluster, cluster) == 0)
			break;
	}
	*fresh = (i == nconflicts);
	if (*fresh) {
		if (nconflicts < EVENTS_CONFLICTS_MAX)
			nconflicts++;
		i = nconflicts - 1; /* the oldest goes when full */
		memset(&conflicts[i], 0, sizeof(conflicts[i]));
		conflict_log_ms[i] = 0;
		conflicts[i].kind = kind;
		conflicts[i].node_id = node_id;
		snprintf(conflicts[i].cluster, sizeof(conflicts[i].cluster), "%s", cluster);
		conflicts[i].first_seen = time(NULL);
	}
	/* Move to the front: newest first. */
	tmp = conflicts[i];
	{
		uint64_t ms = conflict_log_ms[i];

		memmove(&conflicts[1], &conflicts[0], i * sizeof(conflicts[0]));
		memmove(&conflict_log_ms[1], &conflict_log_ms[0], i * sizeof(conflict_log_ms[0]));
		conflicts[0] = tmp;
		conflict_log_ms[0] = ms;
	}
	*idx = 0;
	return (&conflicts[0]);
}

/* Log at most once per interval per record. */
static int
conflict_should_log(size_t idx, int fresh)
{
	uint64_t now = loop_now_ms();

	if (!fresh && conflict_log_ms[idx] != 0 && now - conflict_log_ms[idx] < log_interval_ms)
		return (0);
	conflict_log_ms[idx] = now;
	return (1);
}

size_t
events_conflicts(const struct events_conflict **out)
{
	*out = conflicts;
	return (nconflicts);
}

void
events_duplicate_node_id(struct qnetd_client *client, uint32_t node_id,
    const struct qnetd_client *holder)
{
	struct events_conflict *r;
	char cluster[256];
	size_t idx;
	int fresh;

	if (client->cluster_name == NULL || holder == client)
		return; /* a repeated INIT on one connection: not two peers */
	metrics_inc(M_CONFLICTS_NODE_ID);
	cluster_of(client, cluster, sizeof(cluster));
	r = conflict_record(EVENTS_CONFLICT_NODE_ID, cluster, node_id, &idx, &fresh);
	r->count++;
	r->last_seen = time(NULL);
	snprintf(r->peer_a, sizeof(r->peer_a), "%s", holder ? holder->addr_str : "?");
	snprintf(r->peer_b, sizeof(r->peer_b), "%s", client->addr_str);
	if (conflict_should_log(idx, fresh))
		log_msg(LOG_WARNING,
		    "Identity conflict: cluster %s node %u is connected from %s "
		    "and was claimed again from %s (%llu time(s) so far)",
		    cluster, (unsigned)node_id, r->peer_a, r->peer_b, (unsigned long long)r->count);
	emit_node("identity_conflict", client, 1, node_id, NULL, "duplicate node id",
	    "QNETD_PEER_ADDRESS", r->peer_a);
}

void
events_cert_verified(struct qnetd_client *client, const struct tls_cert_facts *f)
{
	const struct qnetd_cluster *cl;
	const struct qnetd_client *o;
	struct fp_entry *e;

	if (events_client_fingerprint(client) != NULL)
		return;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return;
	e->client = client;
	snprintf(e->hex, sizeof(e->hex), "%s", f->sha256_hex);
	snprintf(e->cert.serial, sizeof(e->cert.serial), "%s", f->serial_hex);
	snprintf(e->cert.sha256, sizeof(e->cert.sha256), "%s", f->sha256_hex);
	e->cert.not_after = f->not_after;
	e->cert.last_seen = time(NULL);
	e->seq = ++verify_seq;
	e->next = *fp_slot(client);
	*fp_slot(client) = e;
	if (client->cluster_name == NULL)
		return;
	cl = cluster_registry_find(&qnetd_instance.clusters, client->cluster_name,
	    client->cluster_name_len);
	if (cl == NULL)
		return;
	TAILQ_FOREACH(o, &cl->clients, cluster_entries) {
		const char *ofp = events_client_fingerprint(o);
		struct events_conflict *r;
		char cluster[256];
		size_t idx;
		int fresh;

		if (o == client || ofp == NULL || strcmp(ofp, e->hex) == 0)
			continue;
		metrics_inc(M_CONFLICTS_CERT);
		cluster_of(client, cluster, sizeof(cluster));
		r = conflict_record(EVENTS_CONFLICT_CERTIFICATE, cluster, 0, &idx, &fresh);
		r->count++;
		r->last_seen = time(NULL);
		snprintf(r->peer_a, sizeof(r->peer_a), "%s", o->addr_str);
		snprintf(r->peer_b, sizeof(r->peer_b), "%s", client->addr_str);
		snprintf(r->fp_a, sizeof(r->fp_a), "%s", ofp);
		snprintf(r->fp_b, sizeof(r->fp_b), "%s", e->hex);
		if (conflict_should_log(idx, fresh))
			log_msg(LOG_WARNING,
			    "Identity conflict: cluster %s has clients with different "
			    "certificates: %s (node %u, SHA-256 %.16s...) and %s (SHA-256 %.16s...); "
			    "two clusters may share this name",
			    cluster, o->addr_str, (unsigned)o->node_id, ofp, client->addr_str,
			    e->hex);
		emit("identity_conflict", client, NULL, "different certificate",
		    "QNETD_PEER_ADDRESS", o->addr_str);
		break;
	}
}

/* ---- lifecycle events ---- */

void
events_client_init(struct qnetd_client *client)
{
	if (client->cluster != NULL && client->cluster->client_count == 1)
		emit("cluster_appeared", client, NULL, NULL, NULL, NULL);
	emit("client_connected", client, NULL, NULL, NULL, NULL);
}

void
events_client_gone(struct qnetd_client *client, const char *reason)
{
	if (client_initialised(client)) {
		emit("client_disconnected", client, NULL, reason ? reason : "closed", NULL, NULL);
		if (client->cluster != NULL && client->cluster->client_count == 1)
			emit("cluster_gone", client, NULL, NULL, NULL, NULL);
	}
	fp_forget(client);
}

/* ACK held by anyone in the cluster, counting client as having `mine`. */
static int
cluster_has_ack(const struct qnetd_cluster *cl, const struct qnetd_client *client,
    enum tlv_vote mine)
{
	const struct qnetd_client *o;

	TAILQ_FOREACH(o, &cl->clients, cluster_entries) {
		enum tlv_vote v = (o == client) ? mine : o->last_sent_ack_nack_vote;

		if (v == TLV_VOTE_ACK)
			return (1);
	}
	return (0);
}

void
events_vote(struct qnetd_client *client, enum tlv_vote vote)
{
	enum tlv_vote old = client->last_sent_ack_nack_vote;
	int before;

	metrics_vote(client->decision_algorithm, vote);
	if ((vote != TLV_VOTE_ACK && vote != TLV_VOTE_NACK) || vote == old)
		return;
	emit("vote_changed", client, tlv_vote_to_str(vote), NULL, "QNETD_PREVIOUS_VOTE",
	    tlv_vote_to_str(old));
	if (vote != TLV_VOTE_NACK || client->cluster == NULL)
		return;
	before = cluster_has_ack(client->cluster, client, old);
	if (!cluster_has_ack(client->cluster, client, vote) && (before || old != TLV_VOTE_NACK))
		emit("cluster_no_vote", client, tlv_vote_to_str(vote),
		    "no partition of the cluster holds the vote", NULL, NULL);
}

void
events_tls_handshake(struct qnetd_client *client)
{
	(void)client;
	metrics_inc(M_TLS_HANDSHAKES);
}

void
events_tls_failed(struct qnetd_client *client, const char *reason)
{
	metrics_tls_failure(reason);
	emit("tls_rejected", client, NULL, reason, NULL, NULL);
}

void
events_cert_rejected(struct qnetd_client *client, const char *why)
{
	metrics_inc(M_CERT_REJECTED);
	emit("certificate_rejected", client, NULL, why, NULL, NULL);
}

void
events_cert_revoked(struct qnetd_client *client, const char *serial, int at_handshake)
{
	metrics_inc(at_handshake ? M_CERT_REVOKED_REFUSED : M_CERT_REVOKED_CLOSED);
	emit("certificate_revoked", client, NULL,
	    at_handshake ? "revoked certificate refused at handshake"
	                 : "certificate revoked on reload: connection closed",
	    "QNETD_CERTIFICATE_SERIAL", serial);
}
