/*
 * bench_report.c - turns the raw timestamps of a qnetd-bench run into
 * figures: text on stderr while the run goes on, one JSON object or one
 * key=value line on stdout at the end.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "bench_report.h"

static double
ns_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* Handshakes completed in [from, to) per second. */
static double
rate_between(const uint64_t *done_at, size_t done_n, uint64_t from, uint64_t to)
{
	size_t i, n = 0;

	if (to <= from)
		return 0;
	for (i = 0; i < done_n; i++)
		if (done_at[i] >= from && done_at[i] < to)
			n++;
	return (double)n / ((double)(to - from) / 1e9);
}

static void
milestones(uint32_t nconns, const uint64_t *done_at, size_t done_n, struct report *r,
    uint64_t t0)
{
	size_t step, k;
	uint64_t prev;

	step = nconns >= 5000 ? 1000 : (nconns >= 1000 ? 100 : 10);
	for (k = step; k <= done_n && r->ms_n < MILESTONES_MAX; k += step) {
		prev = k == step ? t0 : done_at[k - step - 1];
		r->ms_at[r->ms_n] = (uint32_t)k;
		r->ms_rate[r->ms_n] = done_at[k - 1] > prev ?
		    (double)step / ((double)(done_at[k - 1] - prev) / 1e9) : 0;
		r->ms_n++;
	}
}

static void
phase_result_init(struct phase_result *pr)
{
	pr->report_s = pr->wall_s = -1;
	pr->p50_ms = pr->p99_ms = pr->max_ms = pr->all_ms = -1;
	pr->first_vote_p50_ms = pr->first_vote_p99_ms = -1;
	pr->server_cpu_s = pr->bench_cpu_s = -1;
}

void
report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->hs_rate = r->hs_rate_start = r->hs_rate_end = -1;
	r->hs_p50_ms = r->hs_p99_ms = r->hs_max_ms = -1;
	r->fv_p50_ms = r->fv_p99_ms = r->fv_max_ms = -1;
	r->rss0_kb = r->rss1_kb = -1;
	r->steady_wall_s = r->steady_server_cpu_s = r->steady_bench_cpu_s = -1;
	r->echo_p50_ms = r->echo_p99_ms = r->echo_max_ms = -1;
	phase_result_init(&r->split);
	phase_result_init(&r->heal);
}

void
report_connect(const struct bench_opts *o, struct report *r, struct bench_result *m,
    double server_cpu)
{
	const uint64_t *done_at = m->done_at;
	size_t done_n = (size_t)m->r.n_done;
	uint32_t nconns = o->clusters * o->nodes;
	uint64_t t0 = m->r.t_start, end, tenth;
	size_t k;
	uint32_t i;

	r->connect_complete = m->r.complete;
	r->connect_wall_s = (double)(m->r.t_end - t0) / 1e9;
	r->attempted = m->r.attempted;
	r->not_started = m->r.not_started;
	memcpy(r->stuck, m->r.stuck, sizeof(r->stuck));
	r->connected = (uint32_t)done_n;
	end = done_n > 0 ? done_at[done_n - 1] : t0;
	if (!r->connect_complete)
		end = t0 + (uint64_t)(r->connect_wall_s * 1e9);
	r->connect_s = done_n > 0 ? (double)(done_at[done_n - 1] - t0) / 1e9 : 0;
	r->hs_rate = r->connect_s > 0 ? (double)done_n / r->connect_s : -1;
	/*
	 * Start: the first tenth of the connections asked for.  End: the last
	 * tenth of those made, or, when the phase timed out, of the phase's
	 * time, so a daemon that slows to a crawl shows its final rate.
	 */
	k = nconns / 10 ? nconns / 10 : 1;
	if (done_n < k)
		k = done_n;
	if (k > 0 && done_at[k - 1] > t0)
		r->hs_rate_start = (double)k / ((double)(done_at[k - 1] - t0) / 1e9);
	if (!r->connect_complete) {
		tenth = (end - t0) / 10;
		r->hs_rate_end = rate_between(done_at, done_n, end - tenth, end + 1);
	} else if (done_n > k && end > done_at[done_n - 1 - k]) {
		r->hs_rate_end = (double)k / ((double)(end - done_at[done_n - 1 - k]) / 1e9);
	}
	milestones(nconns, done_at, done_n, r, t0);
	samples_sort(&m->lat);
	r->hs_p50_ms = samples_pct_ms(&m->lat, 50);
	r->hs_p99_ms = samples_pct_ms(&m->lat, 99);
	r->hs_max_ms = samples_pct_ms(&m->lat, 100);
	samples_sort(&m->fv);
	r->fv_n = (uint32_t)m->fv.n;
	r->fv_p50_ms = samples_pct_ms(&m->fv, 50);
	r->fv_p99_ms = samples_pct_ms(&m->fv, 99);
	r->fv_max_ms = samples_pct_ms(&m->fv, 100);
	r->connect_server_cpu_s = server_cpu;
	r->connect_bench_cpu_s = m->r.cpu_s;
	memcpy(r->fails, m->r.fails, sizeof(r->fails));
	memcpy(r->server_errors, m->r.server_errors, sizeof(r->server_errors));
	fprintf(stderr, "connect: %u/%u connected in %.2f s%s, %.0f handshakes/s "
	    "(first tenth %.0f/s, last tenth %.0f/s), handshake p50 %.1f ms p99 %.1f ms, "
	    "first vote p50 %.1f ms p99 %.1f ms, server cpu %.2f s, bench cpu %.2f s\n",
	    r->connected, nconns, r->connect_s, r->connect_complete ? "" : " (TIMED OUT)",
	    r->hs_rate, r->hs_rate_start, r->hs_rate_end, r->hs_p50_ms, r->hs_p99_ms,
	    r->fv_p50_ms, r->fv_p99_ms, server_cpu, r->connect_bench_cpu_s);
	for (i = 0; i < r->ms_n; i++)
		fprintf(stderr, "  handshake %u: %.0f/s\n", r->ms_at[i], r->ms_rate[i]);
	for (i = 1; i < FAIL_COUNT; i++)
		if (r->fails[i] != 0)
			fprintf(stderr, "  lost: %llu %s\n", (unsigned long long)r->fails[i],
			    bench_fail_str((enum conn_fail)i));
	if (!r->connect_complete)
		fprintf(stderr, "  cut by the timeout: %u connecting, %u in PREINIT, "
		    "%u in the TLS handshake, %u in INIT\n", r->stuck[CONN_CONNECTING],
		    r->stuck[CONN_PREINIT], r->stuck[CONN_TLS_HANDSHAKE], r->stuck[CONN_INIT]);
	for (i = 0; i < 32; i++)
		if (r->server_errors[i] != 0)
			fprintf(stderr, "  server error code %u: %llu\n", i,
			    (unsigned long long)r->server_errors[i]);
}

void
report_steady(struct report *r, struct bench_result *m, double server_cpu)
{
	r->steady_clients = m->r.clients;
	r->steady_lost = m->r.lost;
	r->steady_wall_s = (double)(m->r.t_end - m->r.t_start) / 1e9;
	r->steady_server_cpu_s = server_cpu;
	r->steady_bench_cpu_s = m->r.cpu_s;
	samples_sort(&m->lat);
	r->echo_n = m->lat.n;
	r->echo_sent = m->r.echo_sent;
	r->echo_late = m->r.echo_late;
	r->echo_p50_ms = samples_pct_ms(&m->lat, 50);
	r->echo_p99_ms = samples_pct_ms(&m->lat, 99);
	r->echo_max_ms = samples_pct_ms(&m->lat, 100);
	fprintf(stderr, "steady: %u clients (%u lost), %.1f s, %llu echoes, rtt p50 %.2f ms "
	    "p99 %.2f ms max %.2f ms, %llu late, server cpu %.2f s, bench cpu %.2f s\n",
	    r->steady_clients, r->steady_lost, r->steady_wall_s, (unsigned long long)r->echo_n,
	    r->echo_p50_ms, r->echo_p99_ms, r->echo_max_ms,
	    (unsigned long long)r->echo_late, r->steady_server_cpu_s, r->steady_bench_cpu_s);
}

void
report_storm(struct phase_result *pr, struct bench_result *m, double server_cpu,
    const char *name)
{
	uint64_t t0 = m->r.t_start;
	uint64_t last = m->r.t_last_settled > t0 ? m->r.t_last_settled : t0;

	pr->complete = m->r.complete;
	pr->report_s = (double)(m->r.t_reports - t0) / 1e9;
	pr->wall_s = (double)(m->r.t_end - t0) / 1e9;
	pr->clusters = m->r.clusters;
	pr->settled = m->r.settled;
	pr->zero_ack = m->r.zero_ack;
	pr->multi_ack = m->r.multi_ack;
	pr->wrong_side = m->r.wrong_side;
	pr->unsettled = m->r.unsettled;
	pr->lost_node = m->r.lost_node;
	pr->lost_conns = m->r.lost;
	samples_sort(&m->lat);
	pr->p50_ms = samples_pct_ms(&m->lat, 50);
	pr->p99_ms = samples_pct_ms(&m->lat, 99);
	pr->max_ms = samples_pct_ms(&m->lat, 100);
	pr->all_ms = ns_ms(last - t0);
	samples_sort(&m->fv);
	pr->first_vote_p50_ms = samples_pct_ms(&m->fv, 50);
	pr->first_vote_p99_ms = samples_pct_ms(&m->fv, 99);
	pr->server_cpu_s = server_cpu;
	pr->bench_cpu_s = m->r.cpu_s;
	fprintf(stderr, "%s: %u clusters, %u settled in %.1f ms (reports written in %.1f ms), "
	    "per cluster p50 %.1f ms p99 %.1f ms max %.1f ms; wrong after settling: "
	    "%u with 0 ACK, %u with too many ACKs, %u ACK on the wrong side, %u unsettled, "
	    "%u lost a node (%u connections lost in the phase); "
	    "server cpu %.2f s, bench cpu %.2f s\n",
	    name, pr->clusters, pr->settled, pr->all_ms, pr->report_s * 1e3, pr->p50_ms,
	    pr->p99_ms, pr->max_ms, pr->zero_ack, pr->multi_ack, pr->wrong_side,
	    pr->unsettled, pr->lost_node, pr->lost_conns, pr->server_cpu_s, pr->bench_cpu_s);
}

static void
json_phase(FILE *f, const char *name, const struct phase_result *pr)
{
	fprintf(f, "\"%s\":{\"complete\":%d,\"clusters\":%u,\"settled\":%u,\"all_ms\":%.2f,"
	    "\"report_ms\":%.2f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
	    "\"zero_ack\":%u,\"multi_ack\":%u,\"wrong_side\":%u,\"unsettled\":%u,"
	    "\"lost_node\":%u,\"lost_conns\":%u,"
	    "\"first_vote_p50_ms\":%.2f,\"first_vote_p99_ms\":%.2f,"
	    "\"server_cpu_s\":%.2f,\"bench_cpu_s\":%.2f}",
	    name, pr->complete, pr->clusters, pr->settled, pr->all_ms, pr->report_s * 1e3,
	    pr->p50_ms, pr->p99_ms, pr->max_ms, pr->zero_ack, pr->multi_ack, pr->wrong_side,
	    pr->unsettled, pr->lost_node, pr->lost_conns, pr->first_vote_p50_ms, pr->first_vote_p99_ms, pr->server_cpu_s,
	    pr->bench_cpu_s);
}

static double
mem_per_client_kb(const struct report *r)
{
	if (r->rss0_kb < 0 || r->rss1_kb < 0 || r->mem_clients == 0)
		return -1;
	return (double)(r->rss1_kb - r->rss0_kb) / r->mem_clients;
}

static void
json_connect(FILE *f, const struct report *r)
{
	const char *sep;
	uint32_t i;

	fprintf(f, "\"connect\":{\"complete\":%d,\"attempted\":%u,\"connected\":%u,"
	    "\"not_started\":%u,\"wall_s\":%.3f,\"connect_s\":%.3f,\"hs_rate\":%.1f,"
	    "\"hs_rate_start\":%.1f,\"hs_rate_end\":%.1f,\"hs_p50_ms\":%.2f,\"hs_p99_ms\":%.2f,"
	    "\"hs_max_ms\":%.2f,\"first_vote_n\":%u,\"first_vote_p50_ms\":%.2f,"
	    "\"first_vote_p99_ms\":%.2f,\"first_vote_max_ms\":%.2f,\"server_cpu_s\":%.2f,"
	    "\"bench_cpu_s\":%.2f,\"stuck\":{\"connecting\":%u,\"preinit\":%u,"
	    "\"tls\":%u,\"init\":%u},\"milestones\":[",
	    r->connect_complete, r->attempted, r->connected, r->not_started, r->connect_wall_s,
	    r->connect_s, r->hs_rate, r->hs_rate_start, r->hs_rate_end, r->hs_p50_ms,
	    r->hs_p99_ms, r->hs_max_ms, r->fv_n, r->fv_p50_ms, r->fv_p99_ms, r->fv_max_ms,
	    r->connect_server_cpu_s, r->connect_bench_cpu_s, r->stuck[CONN_CONNECTING],
	    r->stuck[CONN_PREINIT], r->stuck[CONN_TLS_HANDSHAKE], r->stuck[CONN_INIT]);
	for (i = 0; i < r->ms_n; i++)
		fprintf(f, "%s[%u,%.1f]", i ? "," : "", r->ms_at[i], r->ms_rate[i]);
	fprintf(f, "],\"lost\":{");
	for (i = 1; i < FAIL_COUNT; i++)
		fprintf(f, "%s\"%s\":%llu", i > 1 ? "," : "", bench_fail_str((enum conn_fail)i),
		    (unsigned long long)r->fails[i]);
	fprintf(f, "},\"server_errors\":{");
	for (i = 0, sep = ""; i < 32; i++) {
		if (r->server_errors[i] == 0)
			continue;
		fprintf(f, "%s\"%u\":%llu", sep, i, (unsigned long long)r->server_errors[i]);
		sep = ",";
	}
	fprintf(f, "}}");
}

static void
json_out(FILE *f, const struct bench_opts *o, const struct report *r)
{
	fprintf(f, "{\"clusters\":%u,\"nodes\":%u,\"clients\":%u,\"tls\":%d,\"hb_ms\":%u,"
	    "\"workers\":%u,", o->clusters, o->nodes, o->clusters * o->nodes, o->tls, o->hb_ms,
	    r->workers);
	json_connect(f, r);
	fprintf(f, ",\"memory\":{\"rss0_kb\":%ld,\"rss1_kb\":%ld,\"clients\":%u,"
	    "\"per_client_kb\":%.2f}", r->rss0_kb, r->rss1_kb, r->mem_clients,
	    mem_per_client_kb(r));
	fprintf(f, ",\"steady\":{\"clients\":%u,\"lost\":%u,\"wall_s\":%.2f,\"server_cpu_s\":%.2f,"
	    "\"bench_cpu_s\":%.2f,\"echo_n\":%llu,\"echo_sent\":%llu,\"echo_late\":%llu,"
	    "\"echo_p50_ms\":%.3f,\"echo_p99_ms\":%.3f,\"echo_max_ms\":%.3f},",
	    r->steady_clients, r->steady_lost, r->steady_wall_s, r->steady_server_cpu_s, r->steady_bench_cpu_s,
	    (unsigned long long)r->echo_n, (unsigned long long)r->echo_sent,
	    (unsigned long long)r->echo_late, r->echo_p50_ms, r->echo_p99_ms, r->echo_max_ms);
	json_phase(f, "split", &r->split);
	fputc(',', f);
	json_phase(f, "heal", &r->heal);
	fprintf(f, ",\"bench_cpu_total_s\":%.2f}\n", r->bench_cpu_total_s);
}

void
report_final(const struct bench_opts *o, struct report *r)
{
	double mpc = mem_per_client_kb(r);

	fprintf(stderr, "memory: VmRSS %ld -> %ld kB with %u clients: %.2f kB per client\n",
	    r->rss0_kb, r->rss1_kb, r->mem_clients, mpc);
	if (o->json) {
		json_out(stdout, o, r);
	} else {
		printf("clients=%u tls=%d connected=%u connect_s=%.3f hs_rate_start=%.1f "
		    "hs_rate_end=%.1f hs_p99_ms=%.2f first_vote_p50_ms=%.2f "
		    "steady_server_cpu_s=%.2f steady_bench_cpu_s=%.2f echo_p99_ms=%.3f "
		    "split_all_ms=%.2f split_p50_ms=%.2f split_p99_ms=%.2f split_max_ms=%.2f "
		    "split_wrong=%u heal_all_ms=%.2f mem_per_client_kb=%.2f\n",
		    o->clusters * o->nodes, o->tls, r->connected, r->connect_s, r->hs_rate_start,
		    r->hs_rate_end, r->hs_p99_ms, r->fv_p50_ms, r->steady_server_cpu_s,
		    r->steady_bench_cpu_s, r->echo_p99_ms, r->split.all_ms, r->split.p50_ms,
		    r->split.p99_ms, r->split.max_ms,
		    r->split.zero_ack + r->split.multi_ack + r->split.wrong_side +
		    r->split.unsettled, r->heal.all_ms, mpc);
	}
	fflush(stdout);
}
