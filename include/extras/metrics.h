/*
 * metrics.h - counters for the opt-in Prometheus endpoint (metrics_http.h)
 * and the JSON status.  Increments are one call, cheap, and safe whether
 * or not the endpoint is enabled.  Gauges (clients, clusters, per-cluster
 * votes) are read from qnetd_instance when the text is formatted.
 */
#ifndef QNETD_METRICS_H
#define QNETD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "codec/tlv.h"
#include "codec/wbuf.h"
#include "core/instance.h"

enum metrics_counter {
	M_CONNECTIONS_ACCEPTED, /* TCP connections accepted */
	M_TLS_HANDSHAKES,       /* TLS handshakes completed */
	M_CERT_REJECTED,        /* client certificate refused for its cluster name */
	M_DPD_DISCONNECTS,      /* dead peer detection closed a client */
	M_HOOKS_RUN,            /* event hook exited 0 */
	M_HOOKS_FAILED,         /* exited non-zero or by a signal */
	M_HOOKS_TIMEOUT,        /* killed after event_hook_timeout */
	M_HOOKS_DROPPED,        /* queue full */
	M_HOOKS_SPAWN_ERRORS,   /* could not be started */
	M_CONFLICTS_CERT,       /* one cluster name, different certificates */
	M_CONFLICTS_NODE_ID,    /* INIT refused: node id already connected */
	M_RELOADS,              /* SIGHUP reloads */
	M_RELOAD_FAILURES,
	M_CERT_REVOKED_REFUSED, /* handshakes refused: the client certificate is revoked */
	M_CERT_REVOKED_CLOSED, /* live connections closed after a reload revoked their certificate */
	M_COUNTER_COUNT,
};

enum metrics_ipc_cmd {
	M_IPC_STATUS,
	M_IPC_LIST,
	M_IPC_SHUTDOWN,
	M_IPC_JSON,
	M_IPC_HEALTH,
	M_IPC_OTHER,
	M_IPC_COUNT,
};

void metrics_inc(enum metrics_counter c);
uint64_t metrics_get(enum metrics_counter c);
/* A SERVER_ERROR (or error in a reply) with this code was sent. */
void metrics_protocol_error(enum tlv_reply_error_code code);
/* A vote went out (reply or VOTE_INFO). */
void metrics_vote(enum tlv_decision_algorithm algo, enum tlv_vote vote);
/* A TLS handshake failed; reason: NSS error name (copied, bounded set kept). */
void metrics_tls_failure(const char *reason);
void metrics_ipc_request(enum metrics_ipc_cmd cmd);
/* The metrics label of an ipc_cmd_type (ipc_cmd.h). */
enum metrics_ipc_cmd metrics_ipc_cmd_of(int ipc_cmd_type);
/* How late a timer fired, in ms (event-loop latency). */
void metrics_loop_lag(uint64_t ms);

/* The partitions of cl holding the vote: distinct last ring ids among the clients
 * whose last ACK/NACK vote was ACK.  0 when none does; 2 or more must not last. */
size_t metrics_acked_partitions(const struct qnetd_cluster *cl);

/* The whole Prometheus text exposition (format 0.0.4).  0, or -1 when out's limit was hit. */
int metrics_format(const struct qnetd_instance *instance, struct wbuf *out);

/* Forget every counter (unit tests). */
void metrics_reset(void);

#endif
