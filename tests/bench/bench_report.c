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
rate_between(const struct phase_stats *st, uint64_t from, uint64_t to)
{
	size_t i, n = 0;

	if (to <= from)
		return 0;
	for (i = 0; i < st->done_n; i++)
		if (st->done_at[i] >= from && st->done_at[i] < to)
			n++;
	return (double)n / ((double)(to - from) / 1e9);
}

static void
milestones(struct bench *b, struct report *r, uint64_t t0)
{
	const struct phase_stats *st = &b->st;
	size_t step, k;
	uint64_t prev;

	step = b->nconns >= 5000 ? 1000 : (b->nconns >= 1000 ? 100 : 10);
	for (k = step; k <= st->done_n && r->ms_n < MILESTONES_MAX; k += step) {
		prev = k == step ? t0 : st->done_at[k - step - 1];
		r->ms_at[r->ms_n] = (uint32_t)k;
		r->ms_rate[r->ms_n] = st->done_at[k - 1] > prev ?
		    (double)step / ((double)(st->done_at[k - 1] - prev) / 1e9) : 0;
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
report_connect(struct bench *b, struct report *r, uint64_t t0, double server_cpu,
    double bench_cpu)
{
	struct phase_stats *st = &b->st;
	uint64_t end, tenth;
	size_t k;
	uint32_t i;

	r->attempted = b->next_start;
	r->connected = (uint32_t)st->done_n;
	end = st->done_n > 0 ? st->done_at[st->done_n - 1] : t0;
	if (!r->connect_complete)
		end = t0 + (uint64_t)(r->connect_wall_s * 1e9);
	r->connect_s = st->done_n > 0 ? (double)(st->done_at[st->done_n - 1] - t0) / 1e9 : 0;
	r->hs_rate = r->connect_s > 0 ? (double)st->done_n / r->connect_s : -1;
	/*
	 * Start: the first tenth of the connections asked for.  End: the last
	 * tenth of those made, or, when the phase timed out, of the phase's
	 * time, so a daemon that slows to a crawl shows its final rate.
	 */
	k = b->nconns / 10 ? b->nconns / 10 : 1;
	if (st->done_n < k)
		k = st->done_n;
	if (k > 0 && st->done_at[k - 1] > t0)
		r->hs_rate_start = (double)k / ((double)(st->done_at[k - 1] - t0) / 1e9);
	if (!r->connect_complete) {
		tenth = (end - t0) / 10;
		r->hs_rate_end = rate_between(st, end - tenth, end + 1);
	} else if (st->done_n > k && end > st->done_at[st->done_n - 1 - k]) {
		r->hs_rate_end = (double)k / ((double)(end - st->done_at[st->done_n - 1 - k]) / 1e9);
	}
	milestones(b, r, t0);
	samples_sort(&st->handshake);
	r->hs_p50_ms = samples_pct_ms(&st->handshake, 50);
	r->hs_p99_ms = samples_pct_ms(&st->handshake, 99);
	r->hs_max_ms = samples_pct_ms(&st->handshake, 100);
	samples_sort(&st->first_vote);
	r->fv_n = (uint32_t)st->first_vote.n;
	r->fv_p50_ms = samples_pct_ms(&st->first_vote, 50);
	r->fv_p99_ms = samples_pct_ms(&st->first_vote, 99);
	r->fv_max_ms = samples_pct_ms(&st->first_vote, 100);
	r->connect_server_cpu_s = server_cpu;
	r->connect_bench_cpu_s = bench_cpu;
	memcpy(r->fails, b->fails, sizeof(r->fails));
	memcpy(r->server_errors, b->server_errors, sizeof(r->server_errors));
	fprintf(stderr, "connect: %u/%u connected in %.2f s%s, %.0f handshakes/s "
	    "(first tenth %.0f/s, last tenth %.0f/s), handshake p50 %.1f ms p99 %.1f ms, "
	    "first vote p50 %.1f ms p99 %.1f ms, server cpu %.2f s, bench cpu %.2f s\n",
	    r->connected, b->nconns, r->connect_s, r->connect_complete ? "" : " (TIMED OUT)",
	    r->hs_rate, r->hs_rate_start, r->hs_rate_end, r->hs_p50_ms, r->hs_p99_ms,
	    r->fv_p50_ms, r->fv_p99_ms, server_cpu, bench_cpu);
	for (i = 0; i < r->ms_n; i++)
		fprintf(stderr, "  handshake %u: %.0f/s\n", r->ms_at[i], r->ms_rate[i]);
	for (i = 1; i < FAIL_COUNT; i++)
		if (b->fails[i] != 0)
			fprintf(stderr, "  lost: %llu %s\n", (unsigned long long)b->fails[i],
			    bench_fail_str((enum conn_fail)i));
	if (!r->connect_complete)
		fprintf(stderr, "  cut by the timeout: %u connecting, %u in PREINIT, "
		    "%u in the TLS handshake, %u in INIT\n", r->stuck[CONN_CONNECTING],
		    r->stuck[CONN_PREINIT], r->stuck[CONN_TLS_HANDSHAKE], r->stuck[CONN_INIT]);
	for (i = 0; i < 32; i++)
		if (b->server_errors[i] != 0)
			fprintf(stderr, "  server error code %u: %llu\n", i,
			    (unsigned long long)b->server_errors[i]);
}

void
report_steady(struct bench *b, struct report *r)
{
	struct phase_stats *st = &b->st;

	samples_sort(&st->echo_rtt);
	r->echo_n = st->echo_rtt.n;
	r->echo_sent = st->echo_sent;
	r->echo_late = st->echo_late;
	r->echo_p50_ms = samples_pct_ms(&st->echo_rtt, 50);
	r->echo_p99_ms = samples_pct_ms(&st->echo_rtt, 99);
	r->echo_max_ms = samples_pct_ms(&st->echo_rtt, 100);
	fprintf(stderr, "steady: %u clients (%u lost), %.1f s, %llu echoes, rtt p50 %.2f ms "
	    "p99 %.2f ms max %.2f ms, %llu late, server cpu %.2f s, bench cpu %.2f s\n",
	    r->steady_clients, r->steady_lost, r->steady_wall_s, (unsigned long long)r->echo_n,
	    r->echo_p50_ms, r->echo_p99_ms, r->echo_max_ms,
	    (unsigned long long)r->echo_late, r->steady_server_cpu_s, r->steady_bench_cpu_s);
}

/* Counts the ACKs of one cluster and checks they are on the expected side. */
static int
count_votes(struct bench *b, const struct cluster *cl, struct phase_result *pr,
    uint32_t win_lo, uint32_t win_hi)
{
	const struct conn *c;
	uint32_t j, acks = 0, wrong = 0;

	for (j = 0; j < b->o.nodes; j++) {
		c = &b->conns[cl->first_conn + j];
		if (c->state != CONN_ACTIVE) {
			/* The server dropped it (or it failed): not a vote decision. */
			pr->lost_node++;
			return -1;
		}
	}
	for (j = 0; j < b->o.nodes; j++) {
		c = &b->conns[cl->first_conn + j];
		if (c->vote != TLV_VOTE_ACK)
			continue;
		acks++;
		if (c->node_id < win_lo || c->node_id > win_hi)
			wrong++;
	}
	if (acks == 0)
		pr->zero_ack++;
	else if (acks > win_hi - win_lo + 1)
		pr->multi_ack++;
	else if (wrong != 0)
		pr->wrong_side++;
	return 0;
}

/* What an unsettled cluster looks like: enough to tell why. */
static void
show_cluster(struct bench *b, uint32_t idx, const char *name)
{
	const struct conn *c;
	uint32_t j;

	for (j = 0; j < b->o.nodes; j++) {
		c = &b->conns[b->clusters[idx].first_conn + j];
		fprintf(stderr, "  %s: unsettled cluster %u node %u: state %d, ring %u.%llu, "
		    "vote %d (seq %u) for ring %u.%llu\n", name, idx, c->node_id, (int)c->state,
		    c->ring.node_id, (unsigned long long)c->ring.seq, (int)c->vote,
		    c->vote_info_seq, c->vote_ring.node_id,
		    (unsigned long long)c->vote_ring.seq);
	}
}

void
report_storm(struct bench *b, struct phase_result *pr, uint64_t t0, uint32_t win_lo,
    uint32_t win_hi, const char *name)
{
	struct samples s;
	const struct cluster *cl;
	uint64_t last = t0;
	uint32_t i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < b->o.clusters; i++) {
		cl = &b->clusters[i];
		if (!cl->in_storm)
			continue;
		pr->clusters++;
		if (count_votes(b, cl, pr, win_lo, win_hi) < 0)
			continue;
		if (cl->t_settled == 0) {
			if (pr->unsettled++ < 3)
				show_cluster(b, i, name);
			continue;
		}
		pr->settled++;
		samples_add(&s, cl->t_settled > cl->t_last_report ?
		    cl->t_settled - cl->t_last_report : 0);
		if (cl->t_settled > last)
			last = cl->t_settled;
	}
	samples_sort(&s);
	pr->p50_ms = samples_pct_ms(&s, 50);
	pr->p99_ms = samples_pct_ms(&s, 99);
	pr->max_ms = samples_pct_ms(&s, 100);
	pr->all_ms = ns_ms(last - t0);
	samples_free(&s);
	samples_sort(&b->st.first_vote);
	pr->first_vote_p50_ms = samples_pct_ms(&b->st.first_vote, 50);
	pr->first_vote_p99_ms = samples_pct_ms(&b->st.first_vote, 99);
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
json_connect(FILE *f, struct bench *b, const struct report *r)
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
	(void)b;
}

static void
json_out(FILE *f, struct bench *b, const struct report *r)
{
	fprintf(f, "{\"clusters\":%u,\"nodes\":%u,\"clients\":%u,\"tls\":%d,\"hb_ms\":%u,",
	    b->o.clusters, b->o.nodes, b->nconns, b->o.tls, b->o.hb_ms);
	json_connect(f, b, r);
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
report_final(struct bench *b, struct report *r)
{
	double mpc = mem_per_client_kb(r);

	fprintf(stderr, "memory: VmRSS %ld -> %ld kB with %u clients: %.2f kB per client\n",
	    r->rss0_kb, r->rss1_kb, r->mem_clients, mpc);
	if (b->o.json) {
		json_out(stdout, b, r);
	} else {
		printf("clients=%u tls=%d connected=%u connect_s=%.3f hs_rate_start=%.1f "
		    "hs_rate_end=%.1f hs_p99_ms=%.2f first_vote_p50_ms=%.2f "
		    "steady_server_cpu_s=%.2f steady_bench_cpu_s=%.2f echo_p99_ms=%.3f "
		    "split_all_ms=%.2f split_p50_ms=%.2f split_p99_ms=%.2f split_max_ms=%.2f "
		    "split_wrong=%u heal_all_ms=%.2f mem_per_client_kb=%.2f\n",
		    b->nconns, b->o.tls, r->connected, r->connect_s, r->hs_rate_start,
		    r->hs_rate_end, r->hs_p99_ms, r->fv_p50_ms, r->steady_server_cpu_s,
		    r->steady_bench_cpu_s, r->echo_p99_ms, r->split.all_ms, r->split.p50_ms,
		    r->split.p99_ms, r->split.max_ms,
		    r->split.zero_ack + r->split.multi_ack + r->split.wrong_side +
		    r->split.unsettled, r->heal.all_ms, mpc);
	}
	fflush(stdout);
}
