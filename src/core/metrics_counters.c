/*
 * metrics_counters.c - the daemon's counters (see metrics_counters.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/metrics_counters.h"

static struct metrics_counters m;

const uint64_t metrics_lag_bounds_ms[METRICS_LAG_BUCKETS] = { 1, 5, 10, 50, 100, 500, 1000, 5000 };

const struct metrics_counters *
metrics_counters(void)
{
	return (&m);
}

void
metrics_inc(enum metrics_counter c)
{
	if ((unsigned)c < M_COUNTER_COUNT)
		m.counters[c]++;
}

uint64_t
metrics_get(enum metrics_counter c)
{
	return ((unsigned)c < M_COUNTER_COUNT ? m.counters[c] : 0);
}

void
metrics_protocol_error(enum tlv_reply_error_code code)
{
	m.protocol_errors[(unsigned)code < METRICS_ERROR_CODES ? (unsigned)code
	                                                       : METRICS_ERROR_CODES]++;
}

void
metrics_vote(enum tlv_decision_algorithm algo, enum tlv_vote vote)
{
	if ((unsigned)algo < TLV_DECISION_ALGORITHM_COUNT && (unsigned)vote < 6)
		m.votes[algo][vote]++;
}

void
metrics_tls_failure(const char *reason)
{
	size_t i;

	for (i = 0; i < METRICS_TLS_REASONS_MAX; i++) {
		if (m.tls_failures[i].name[0] == '\0') {
			snprintf(m.tls_failures[i].name, sizeof(m.tls_failures[i].name), "%s",
			    reason);
			m.tls_failures[i].count++;
			return;
		}
		if (strncmp(m.tls_failures[i].name, reason, sizeof(m.tls_failures[i].name) - 1) ==
		    0) {
			m.tls_failures[i].count++;
			return;
		}
	}
	/* A bounded label set: a peer cannot grow the exposition. */
	m.tls_failures[METRICS_TLS_REASONS_MAX].count++;
}

void
metrics_ipc_request(enum metrics_ipc_cmd cmd)
{
	m.ipc_requests[(unsigned)cmd < M_IPC_COUNT ? cmd : M_IPC_OTHER]++;
}

void
metrics_loop_lag(uint64_t ms)
{
	size_t i;

	for (i = 0; i < METRICS_LAG_BUCKETS; i++)
		if (ms <= metrics_lag_bounds_ms[i])
			m.lag_buckets[i]++;
	m.lag_count++;
	m.lag_sum_ms += ms;
	if (ms > m.lag_max_ms)
		m.lag_max_ms = ms;
}

void
metrics_reset(void)
{
	memset(&m, 0, sizeof(m));
}
