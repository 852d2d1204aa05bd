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
#include "core/conflict.h"

struct tls_cert_facts;

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
/* The client certificate was refused for this cluster name / accepted (f: its identity). */
void events_cert_rejected(struct qnetd_client *client, const char *why);
void events_cert_verified(struct qnetd_client *client, const struct tls_cert_facts *f);
/*
 * A client presented a revoked certificate (serial: hex): its handshake
 * was refused (at_handshake) or its live connection is being closed
 * after a reload.  Counted and sent to the hook.
 */
void events_cert_revoked(struct qnetd_client *client, const char *serial, int at_handshake);
/* INIT refused with DUPLICATE_NODE_ID for node_id, which holder (NULL: unknown) holds. */
void events_duplicate_node_id(struct qnetd_client *client, uint32_t node_id,
    const struct qnetd_client *holder);

/* Number of records (<= EVENTS_CONFLICTS_MAX); *out points at them, newest first. */
size_t events_conflicts(const struct events_conflict **out);

/* A verified client certificate, as the JSON status and metrics show it. */

struct qnetd_cluster;
/*
 * The certificate the cluster's clients presented last (the newest of its
 * connected clients' verified certificates).  0, or -1 when none of its
 * clients has one (no TLS, no client certificates).
 */
int events_cluster_certificate(const struct qnetd_cluster *cl, struct events_cert *out);

/* SHA-256 of the client's certificate as hex, or NULL (not TLS / no cert). */
const char *events_client_fingerprint(const struct qnetd_client *client);

#endif
