/*
 * metrics_counters.h - the daemon's counters, for the Prometheus endpoint
 * (extras/metrics.h formats them) and the JSON status.  Increments are
 * one call, cheap, never fail, and count whether or not the endpoint is
 * enabled.  Kept in the core so that every layer may count.
 */
#ifndef QNETD_METRICS_COUNTERS_H
#define QNETD_METRICS_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "codec/tlv.h"

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
/* How late a timer fired, in ms (event-loop latency). */
void metrics_loop_lag(uint64_t ms);

#define METRICS_TLS_REASONS_MAX 16
#define METRICS_ERROR_CODES 20
#define METRICS_LAG_BUCKETS 8

/* Upper bounds (ms) of the loop-lag histogram's buckets. */
extern const uint64_t metrics_lag_bounds_ms[METRICS_LAG_BUCKETS];

/* Every counter, read-only, for the formatters. */
struct metrics_counters {
	uint64_t counters[M_COUNTER_COUNT];
	uint64_t protocol_errors[METRICS_ERROR_CODES + 1]; /* last slot: unknown codes */
	uint64_t votes[TLV_DECISION_ALGORITHM_COUNT][6];
	uint64_t ipc_requests[M_IPC_COUNT];
	struct {
		char name[48];
		uint64_t count;
	} tls_failures[METRICS_TLS_REASONS_MAX + 1]; /* last slot: "other" */
	uint64_t lag_buckets[METRICS_LAG_BUCKETS];   /* cumulative, as Prometheus has it */
	uint64_t lag_count, lag_sum_ms, lag_max_ms;
};

/* The counters (static storage, never NULL). */
const struct metrics_counters *metrics_counters(void);

/* Forget every counter (unit tests). */
void metrics_reset(void);

#endif
