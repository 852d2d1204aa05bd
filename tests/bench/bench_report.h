/*
 * bench_report.h - figures of one qnetd-bench run and their output.
 */
#ifndef QNETD_BENCH_REPORT_H
#define QNETD_BENCH_REPORT_H

#include <stdint.h>

#include "bench.h"

#define MILESTONES_MAX 64

struct phase_result {
	int complete;		/* every cluster settled before the timeout */
	double report_s;	/* time to write every report */
	double wall_s;
	uint32_t clusters;	/* taking part */
	uint32_t settled;
	double p50_ms, p99_ms, max_ms;	/* per cluster: its last report -> settled */
	double all_ms;		/* first report -> last cluster settled */
	uint32_t zero_ack, multi_ack, wrong_side, unsettled;
	uint32_t lost_node;	/* clusters that lost a connection: not counted above */
	uint32_t lost_conns;	/* connections that died during the phase */
	double first_vote_p50_ms, first_vote_p99_ms;
	double server_cpu_s, bench_cpu_s;
};

struct report {
	/* connect */
	int connect_complete;
	double connect_wall_s;
	double connect_s;		/* t0 -> last INIT_REPLY */
	uint32_t attempted, connected, not_started;
	double hs_rate, hs_rate_start, hs_rate_end;
	uint32_t ms_n;
	uint32_t ms_at[MILESTONES_MAX];
	double ms_rate[MILESTONES_MAX];
	double hs_p50_ms, hs_p99_ms, hs_max_ms;
	double fv_p50_ms, fv_p99_ms, fv_max_ms;
	uint32_t fv_n;
	double connect_server_cpu_s, connect_bench_cpu_s;
	uint64_t fails[FAIL_COUNT];
	uint32_t stuck[CONN_DEAD + 1];	/* handshakes cut by the timeout, by state */
	uint64_t server_errors[32];
	/* memory */
	long rss0_kb, rss1_kb;
	uint32_t mem_clients;
	/* steady */
	double steady_wall_s, steady_server_cpu_s, steady_bench_cpu_s;
	uint32_t steady_clients, steady_lost;
	double echo_p50_ms, echo_p99_ms, echo_max_ms;
	uint64_t echo_n, echo_sent, echo_late;
	/* split and heal */
	struct phase_result split, heal;
	double bench_cpu_total_s;
	uint32_t workers;		/* generator processes */
};

/* Every figure "not measured" (-1) until its phase ran. */
void report_init(struct report *r);
/*
 * Each takes the results of its command merged over the shards (and sorts
 * their samples), and the daemon's CPU seconds in the phase (-1: unknown).
 */
void report_connect(const struct bench_opts *o, struct report *r, struct bench_result *m,
    double server_cpu);
void report_steady(struct report *r, struct bench_result *m, double server_cpu);
void report_storm(struct phase_result *pr, struct bench_result *m, double server_cpu,
    const char *name);
/* The memory line on stderr, then the JSON object or the key=value line. */
void report_final(const struct bench_opts *o, struct report *r);

#endif
