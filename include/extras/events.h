/*
 * events.h - what the core tells the opt-in additions (docs/compat.md
 * "Additions"): one call at each place where something worth counting,
 * hooking or reporting happens.  Each call is cheap and never fails;
 * metrics, the event hook and identity-conflict tracking hang off it.
 */
#ifndef QNETD_EVENTS_H
#define QNETD_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/settings.h"
#include "codec/tlv.h"
#include "core/client.h"

void events_init(const struct qnetd_settings *s);
void events_fini(void);

/* INIT succeeded: the client is in its cluster (maybe the cluster's first). */
void events_client_init(struct qnetd_client *client);
/* The client is about to be freed (still in its cluster).  reason: close reason. */
void events_client_gone(struct qnetd_client *client, const char *reason);
/* vote is about to be recorded as sent to client (reply or VOTE_INFO). */
void events_vote(struct qnetd_client *client, enum tlv_vote vote);
/* TLS handshake finished / failed (reason: NSS error name). */
void events_tls_handshake(struct qnetd_client *client);
void events_tls_failed(struct qnetd_client *client, const char *reason);
/* The client certificate was refused for this cluster name / accepted (fp: its SHA-256). */
void events_cert_rejected(struct qnetd_client *client, const char *why);
void events_cert_verified(struct qnetd_client *client, const unsigned char fp[32]);
/* INIT refused with DUPLICATE_NODE_ID for node_id, which holder (NULL: unknown) holds. */
void events_duplicate_node_id(struct qnetd_client *client, uint32_t node_id,
    const struct qnetd_client *holder);

/* Identity conflicts seen, newest first (for the JSON status). */
enum events_conflict_kind {
	EVENTS_CONFLICT_CERTIFICATE,
	EVENTS_CONFLICT_NODE_ID,
};

struct events_conflict {
	enum events_conflict_kind kind;
	char cluster[256];                /* printable ASCII */
	uint32_t node_id;                 /* node id refused (NODE_ID) or of the new peer */
	char peer_a[CLIENT_ADDR_STR_LEN]; /* connected first */
	char peer_b[CLIENT_ADDR_STR_LEN]; /* the newcomer */
	char fp_a[65], fp_b[65];          /* certificate SHA-256 (hex) for CERTIFICATE */
	time_t first_seen, last_seen;
	uint64_t count;
};

#define EVENTS_CONFLICTS_MAX 32
/* Number of records (<= EVENTS_CONFLICTS_MAX); *out points at them, newest first. */
size_t events_conflicts(const struct events_conflict **out);

/* SHA-256 of the client's certificate as hex, or NULL (not TLS / no cert). */
const char *events_client_fingerprint(const struct qnetd_client *client);

#endif
