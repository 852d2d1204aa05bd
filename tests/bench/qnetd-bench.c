/*
 * qnetd-bench - a protocol-speaking load generator for corosync-qnetd.
 *
 * It simulates C clusters of N nodes (ffsplit, tie-breaker lowest), each
 * node one connection that does what corosync-qdevice does, and runs
 * phases, each bounded in time:
 *
 *   connect  handshakes/s (overall and per 1,000), handshake latency,
 *            first-vote latency, server memory per client (VmRSS delta)
 *   steady   echo round trip p50/p99, server and bench CPU seconds
 *   split    every cluster splits at once into two halves with new rings;
 *            time until each cluster holds exactly the expected votes
 *            (ffsplit 2 nodes: node 1 ACK, node 2 NACK), correctness count
 *   heal     every cluster merges again; time until all nodes hold ACK
 *
 * Results go to stderr as text and to stdout as one JSON object (--json)
 * or one key=value line.  Loopback only by intent; it stops by itself.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_report.h"

#define EVENTS_MAX 1024
#define RING_STEP 4

static volatile sig_atomic_t interrupted;

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * BENCH_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* ---- samples ---- */

void
samples_add(struct samples *s, uint64_t ns)
{
	uint32_t *p;
	uint64_t us = ns / 1000;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		p = realloc(s->v, s->cap * sizeof(*p));
		if (p == NULL) {
			s->cap = s->n;
			return;
		}
		s->v = p;
	}
	s->v[s->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
samples_sort(struct samples *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), u32_cmp);
}

double
samples_pct_ms(const struct samples *s, double p)
{
	size_t i;

	if (s->n == 0)
		return -1;
	i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
	if (i >= s->n)
		i = s->n - 1;
	return s->v[i] / 1000.0;
}

void
samples_free(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* ---- echo timer heap ---- */

void
bench_heap_push(struct bench *b, uint64_t t, uint32_t idx)
{
	size_t i = b->heap_n++, parent;
	struct heap_ent e = { t, idx };

	while (i > 0) {
		parent = (i - 1) / 2;
		if (b->heap[parent].t <= t)
			break;
		b->heap[i] = b->heap[parent];
		i = parent;
	}
	b->heap[i] = e;
}

static struct heap_ent
heap_pop(struct bench *b)
{
	struct heap_ent top = b->heap[0], last = b->heap[--b->heap_n];
	size_t i = 0, child;

	while ((child = 2 * i + 1) < b->heap_n) {
		if (child + 1 < b->heap_n && b->heap[child + 1].t < b->heap[child].t)
			child++;
		if (last.t <= b->heap[child].t)
			break;
		b->heap[i] = b->heap[child];
		i = child;
	}
	if (b->heap_n > 0)
		b->heap[i] = last;
	return top;
}

static void
fire_echoes(struct bench *b, uint64_t now)
{
	struct heap_ent e;
	struct conn *c;

	while (b->heap_n > 0 && b->heap[0].t <= now) {
		e = heap_pop(b);
		c = &b->conns[e.idx];
		if (c->state != CONN_ACTIVE || c->next_echo != e.t)
			continue;
		bench_conn_echo(b, c);
		if (c->state != CONN_ACTIVE)
			continue;
		c->next_echo = e.t + (uint64_t)b->o.hb_ms * BENCH_NS_PER_MS;
		if (c->next_echo < now)
			c->next_echo = now + (uint64_t)b->o.hb_ms * BENCH_NS_PER_MS;
		bench_heap_push(b, c->next_echo, e.idx);
	}
}

/* ---- settling of votes ---- */

/* Expected winner of the current phase: node ids win_lo..win_hi. */
static uint32_t win_lo, win_hi;

static int
cluster_settled(const struct bench *b, const struct cluster *cl)
{
	const struct conn *c;
	uint32_t i;
	int win;

	for (i = 0; i < b->o.nodes; i++) {
		c = &b->conns[cl->first_conn + i];
		if (c->state != CONN_ACTIVE)
			return 0;
		win = c->node_id >= win_lo && c->node_id <= win_hi;
		if (c->vote != (win ? TLV_VOTE_ACK : TLV_VOTE_NACK) ||
		    !tlv_ring_id_eq(&c->vote_ring, &c->ring))
			return 0;
	}
	return 1;
}

void
bench_cluster_vote_changed(struct bench *b, struct conn *c, uint64_t t)
{
	struct cluster *cl = &b->clusters[c->cluster];

	if (c->vote == TLV_VOTE_ACK && cl->t_first_ack == 0 && cl->t_last_report != 0 &&
	    tlv_ring_id_eq(&c->vote_ring, &c->ring) && c->memb_lo == 1 &&
	    c->memb_hi == b->o.nodes) {
		/* A full membership was reported and ACKed: first-vote latency. */
		cl->t_first_ack = t;
		if (b->record_first_vote)
			samples_add(&b->st.first_vote, t - cl->t_last_report);
	}
	if (cl->t_settled == 0 && cl->t_last_report != 0 && cluster_settled(b, cl))
		cl->t_settled = t;
}

/* ---- the loop ---- */

static void
start_connections(struct bench *b, uint64_t t0, uint64_t now)
{
	uint64_t allowed;

	if (b->o.connect_rate != 0) {
		allowed = (now - t0) / 1000 * b->o.connect_rate / 1000000 + 1;
		if (allowed > b->nconns)
			allowed = b->nconns;
	} else
		allowed = b->nconns;
	while (b->next_start < allowed && b->pending < b->o.max_pending)
		(void)bench_conn_start(b, &b->conns[b->next_start++]);
}

typedef int (*done_fn)(struct bench *);

/*
 * Runs the event loop until done() says so or the deadline passes.
 * connecting: start connections as the rate allows.  Returns 1 when done.
 */
static int
run_loop(struct bench *b, uint64_t deadline, done_fn done, int connecting, uint64_t t0)
{
	struct epoll_event ev[EVENTS_MAX];
	uint64_t now, wake;
	int n, i, timeout;

	for (;;) {
		now = now_ns();
		if (connecting)
			start_connections(b, t0, now);
		fire_echoes(b, now);
		if (done != NULL && done(b))
			return 1;
		if (now >= deadline || interrupted)
			return 0;
		wake = deadline;
		if (b->heap_n > 0 && b->heap[0].t < wake)
			wake = b->heap[0].t;
		timeout = (int)((wake - now + BENCH_NS_PER_MS - 1) / BENCH_NS_PER_MS);
		if (connecting && b->next_start < b->nconns && timeout > 1)
			timeout = 1;
		if (timeout > 100)
			timeout = 100;
		n = epoll_wait(b->epfd, ev, EVENTS_MAX, timeout);
		if (n < 0 && errno != EINTR) {
			perror("qnetd-bench: epoll_wait");
			return 0;
		}
		for (i = 0; i < n; i++) {
			bench_conn_event(b, &b->conns[ev[i].data.u32], ev[i].events);
			/* A batch of TLS handshakes is slow: keep heartbeats on time. */
			if (b->heap_n > 0 && (i & 7) == 7)
				fire_echoes(b, now_ns());
		}
	}
}

static int
cluster_complete(const struct bench *b, const struct cluster *cl)
{
	uint32_t j;

	for (j = 0; j < b->o.nodes; j++)
		if (b->conns[cl->first_conn + j].state != CONN_ACTIVE)
			return 0;
	return 1;
}

static int
connect_done(struct bench *b)
{
	uint32_t i;

	if (b->next_start < b->nconns || b->pending != 0 || b->setup_done != b->active)
		return 0;
	/* Clusters that lost a node never settle; the rest must. */
	for (i = 0; i < b->o.clusters; i++)
		if (b->clusters[i].t_settled == 0 && cluster_complete(b, &b->clusters[i]))
			return 0;
	return 1;
}

static int
storm_done(struct bench *b)
{
	uint32_t i;

	for (i = 0; i < b->o.clusters; i++)
		if (b->clusters[i].in_storm && b->clusters[i].t_settled == 0 &&
		    cluster_complete(b, &b->clusters[i]))
			return 0;
	return 1;
}

/* ---- /proc readings ---- */

static double
proc_cpu_s(int pid)
{
	char path[64], buf[2048], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may hold spaces and ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* -1 when the daemon was not there at either end. */
static double
cpu_delta(double before, double after)
{
	if (before < 0 || after < 0)
		return -1;
	return after - before;
}

static long
proc_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static uint64_t
fails_total(const struct bench *b)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < FAIL_COUNT; i++)
		n += b->fails[i];
	return n;
}

static double
self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- phases ---- */

static void
phase_reset(struct bench *b)
{
	samples_free(&b->st.handshake);
	samples_free(&b->st.echo_rtt);
	samples_free(&b->st.first_vote);
	b->st.echo_sent = b->st.echo_late = 0;
}

static void
mark_full_clusters(struct bench *b)
{
	struct cluster *cl;
	uint32_t i;

	for (i = 0; i < b->o.clusters; i++) {
		cl = &b->clusters[i];
		cl->in_storm = cluster_complete(b, cl);
		cl->t_settled = cl->t_first_ack = cl->t_last_report = 0;
	}
}

static void
phase_connect(struct bench *b, struct report *r)
{
	uint64_t t0, deadline;
	uint32_t i;
	double cpu0, self0;

	phase_reset(b);
	win_lo = 1;
	win_hi = b->o.nodes;
	for (i = 0; i < b->o.clusters; i++)
		b->clusters[i].in_storm = 1;
	r->rss0_kb = proc_rss_kb(b->o.server_pid);
	cpu0 = proc_cpu_s(b->o.server_pid);
	self0 = self_cpu_s();
	b->record_first_vote = 1;
	t0 = now_ns();
	deadline = t0 + (uint64_t)b->o.connect_timeout * BENCH_NS_PER_S;
	r->connect_complete = run_loop(b, deadline, connect_done, 1, t0);
	r->connect_wall_s = (double)(now_ns() - t0) / 1e9;
	/*
	 * Handshakes still running are frozen, not reset, so that no more
	 * work on them spoils the later phases; closed at exit.  Those that
	 * sent INIT go on: the server may already count them in their
	 * cluster, and Debian's daemon crashes when such a client goes away
	 * (by reset, or by its dead-peer timer) before sending a config list.
	 */
	for (i = 0; i < b->nconns; i++) {
		if (b->conns[i].state > CONN_IDLE && b->conns[i].state < CONN_ACTIVE) {
			r->stuck[b->conns[i].state]++;
			if (b->conns[i].state != CONN_INIT)
				bench_conn_freeze(b, &b->conns[i]);
		}
	}
	r->not_started = b->nconns - b->next_start;
	b->record_first_vote = 0;
	report_connect(b, r, t0, cpu_delta(cpu0, proc_cpu_s(b->o.server_pid)),
	    self_cpu_s() - self0);
	/* Let the daemon free what the handshakes used before measuring. */
	(void)run_loop(b, now_ns() + BENCH_NS_PER_S, NULL, 0, 0);
	r->rss1_kb = proc_rss_kb(b->o.server_pid);
	r->mem_clients = b->active;
}

static void
phase_steady(struct bench *b, struct report *r)
{
	uint64_t t0, lost0;
	double cpu0, self0;

	phase_reset(b);
	r->steady_clients = b->active;
	lost0 = fails_total(b);
	cpu0 = proc_cpu_s(b->o.server_pid);
	self0 = self_cpu_s();
	b->record_echo = 1;
	t0 = now_ns();
	(void)run_loop(b, t0 + (uint64_t)b->o.steady_s * BENCH_NS_PER_S, NULL, 0, 0);
	b->record_echo = 0;
	r->steady_wall_s = (double)(now_ns() - t0) / 1e9;
	r->steady_server_cpu_s = cpu_delta(cpu0, proc_cpu_s(b->o.server_pid));
	r->steady_bench_cpu_s = self_cpu_s() - self0;
	r->steady_lost = (uint32_t)(fails_total(b) - lost0);
	report_steady(b, r);
}

/*
 * Every taking-part node reports its new membership at once.  split: the
 * cluster breaks into 1..N/2 and N/2+1..N, each half with its own new
 * ring; ffsplit gives the vote to the majority, or on a tie to the half
 * holding the lowest node id.  heal: everybody reports 1..N again.
 */
static void
phase_storm(struct bench *b, struct report *r, int split, uint64_t ring_seq)
{
	struct cluster *cl;
	struct conn *c;
	uint32_t i, j, half = b->o.nodes / 2;
	uint64_t t0, deadline, lost0;
	double cpu0, self0;
	struct phase_result *pr = split ? &r->split : &r->heal;

	phase_reset(b);
	mark_full_clusters(b);
	if (!split || b->o.nodes % 2 == 0) {
		win_lo = 1;
		win_hi = split ? half : b->o.nodes;
	} else {
		win_lo = half + 1;
		win_hi = b->o.nodes;
	}
	lost0 = fails_total(b);
	cpu0 = proc_cpu_s(b->o.server_pid);
	self0 = self_cpu_s();
	b->record_first_vote = !split;
	t0 = now_ns();
	for (i = 0; i < b->o.clusters; i++) {
		cl = &b->clusters[i];
		if (!cl->in_storm)
			continue;
		for (j = 0; j < b->o.nodes; j++) {
			c = &b->conns[cl->first_conn + j];
			if (!split)
				bench_conn_report_membership(b, c, 1, b->o.nodes, 1, ring_seq);
			else if (c->node_id <= half)
				bench_conn_report_membership(b, c, 1, half, 1, ring_seq);
			else
				bench_conn_report_membership(b, c, half + 1, b->o.nodes, half + 1,
				    ring_seq);
		}
	}
	pr->report_s = (double)(now_ns() - t0) / 1e9;
	deadline = t0 + (uint64_t)b->o.phase_timeout * BENCH_NS_PER_S;
	pr->complete = run_loop(b, deadline, storm_done, 0, 0);
	pr->wall_s = (double)(now_ns() - t0) / 1e9;
	/* Give late or wrong votes the chance to show up before counting. */
	(void)run_loop(b, now_ns() + (uint64_t)b->o.settle_ms * BENCH_NS_PER_MS, NULL, 0, 0);
	b->record_first_vote = 0;
	pr->server_cpu_s = cpu_delta(cpu0, proc_cpu_s(b->o.server_pid));
	pr->bench_cpu_s = self_cpu_s() - self0;
	pr->lost_conns = (uint32_t)(fails_total(b) - lost0);
	report_storm(b, pr, t0, win_lo, win_hi, split ? "split" : "heal");
}

/* ---- set-up ---- */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: qnetd-bench [options]\n"
	    "  --host H            server address, loopback only (127.0.0.1)\n"
	    "  --port P            server port (5403)\n"
	    "  --clusters C        clusters (500)\n"
	    "  --nodes N           nodes per cluster (2)\n"
	    "  --tls               STARTTLS when the server offers it\n"
	    "  --nss-db DIR        NSS database with the CA and the client cert\n"
	    "  --cert-nick NAME    client certificate nickname (Cluster Cert)\n"
	    "  --server-name NAME  expected server certificate name (Qnetd Server)\n"
	    "  --cluster-fmt FMT   cluster name format, one %%u (c%%u.bench.qnetd)\n"
	    "  --hb MS             echo (heartbeat) period (2000)\n"
	    "  --init-hb MS        heartbeat interval announced in INIT; the server\n"
	    "                      drops a client silent for 1.5x this (8000, the\n"
	    "                      qdevice default)\n"
	    "  --connect-rate R    connections started per second, 0 = no limit (0)\n"
	    "  --max-pending K     handshakes in flight at most (128)\n"
	    "  --connect-timeout S bound of the connect phase (phase timeout)\n"
	    "  --phase-timeout S   bound of the split and heal phases (60)\n"
	    "  --steady S          length of the steady phase (10)\n"
	    "  --settle MS         wait after settling before counting votes (1000)\n"
	    "  --server-pid PID    read CPU and VmRSS of the daemon from /proc\n"
	    "  --nodelay           TCP_NODELAY on the client sockets\n"
	    "  --quickack          TCP_QUICKACK on the client sockets\n"
	    "  --src-ips K         spread sources over 127.0.0.1..K (IPv4)\n"
	    "  --json              one JSON object on stdout (else one key=value line)\n");
}

static int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

enum {
	OPT_HOST = 256, OPT_PORT, OPT_CLUSTERS, OPT_NODES, OPT_TLS, OPT_NSSDB, OPT_NICK,
	OPT_SNAME, OPT_CFMT, OPT_HB, OPT_RATE, OPT_PENDING, OPT_CTIMEOUT, OPT_PTIMEOUT,
	OPT_STEADY, OPT_SETTLE, OPT_PID, OPT_NODELAY, OPT_QUICKACK, OPT_SRCIPS, OPT_JSON,
	OPT_HELP, OPT_INITHB,
};

static const struct option longopts[] = {
	{ "host", required_argument, NULL, OPT_HOST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "clusters", required_argument, NULL, OPT_CLUSTERS },
	{ "nodes", required_argument, NULL, OPT_NODES },
	{ "tls", no_argument, NULL, OPT_TLS },
	{ "nss-db", required_argument, NULL, OPT_NSSDB },
	{ "cert-nick", required_argument, NULL, OPT_NICK },
	{ "server-name", required_argument, NULL, OPT_SNAME },
	{ "cluster-fmt", required_argument, NULL, OPT_CFMT },
	{ "hb", required_argument, NULL, OPT_HB },
	{ "init-hb", required_argument, NULL, OPT_INITHB },
	{ "connect-rate", required_argument, NULL, OPT_RATE },
	{ "max-pending", required_argument, NULL, OPT_PENDING },
	{ "connect-timeout", required_argument, NULL, OPT_CTIMEOUT },
	{ "phase-timeout", required_argument, NULL, OPT_PTIMEOUT },
	{ "steady", required_argument, NULL, OPT_STEADY },
	{ "settle", required_argument, NULL, OPT_SETTLE },
	{ "server-pid", required_argument, NULL, OPT_PID },
	{ "nodelay", no_argument, NULL, OPT_NODELAY },
	{ "quickack", no_argument, NULL, OPT_QUICKACK },
	{ "src-ips", required_argument, NULL, OPT_SRCIPS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
opt_u32(int ch, const char *arg, struct bench_opts *o)
{
	uint32_t v, pid;

	if (parse_u32(arg, &v) < 0)
		return -1;
	switch (ch) {
	case OPT_CLUSTERS: o->clusters = v; break;
	case OPT_NODES: o->nodes = v; break;
	case OPT_HB: o->hb_ms = v; break;
	case OPT_INITHB: o->init_hb_ms = v; break;
	case OPT_RATE: o->connect_rate = v; break;
	case OPT_PENDING: o->max_pending = v; break;
	case OPT_CTIMEOUT: o->connect_timeout = v; break;
	case OPT_PTIMEOUT: o->phase_timeout = v; break;
	case OPT_STEADY: o->steady_s = v; break;
	case OPT_SETTLE: o->settle_ms = v; break;
	case OPT_SRCIPS: o->src_ips = v; break;
	case OPT_PID: pid = v; o->server_pid = (int)pid; break;
	default: return -1;
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	int ch;

	o->host = "127.0.0.1";
	o->port = "5403";
	o->clusters = 500;
	o->nodes = 2;
	o->cert_nick = "Cluster Cert";
	o->server_name = "Qnetd Server";
	o->cluster_fmt = "c%u.bench.qnetd";
	o->hb_ms = 2000;
	o->init_hb_ms = 8000;
	o->max_pending = 128;
	o->phase_timeout = 60;
	o->steady_s = 10;
	o->settle_ms = 1000;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_HOST: o->host = optarg; break;
		case OPT_PORT: o->port = optarg; break;
		case OPT_TLS: o->tls = 1; break;
		case OPT_NSSDB: o->nss_db = optarg; break;
		case OPT_NICK: o->cert_nick = optarg; break;
		case OPT_SNAME: o->server_name = optarg; break;
		case OPT_CFMT: o->cluster_fmt = optarg; break;
		case OPT_NODELAY: o->nodelay = 1; break;
		case OPT_QUICKACK: o->quickack = 1; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_HELP: usage(stdout); exit(0);
		default:
			if (ch >= OPT_HOST && optarg != NULL && opt_u32(ch, optarg, o) == 0)
				break;
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || o->clusters == 0 || o->nodes == 0 || o->nodes > 64 ||
	    o->hb_ms == 0 || o->init_hb_ms == 0 || o->max_pending == 0 || (o->tls && o->nss_db == NULL)) {
		usage(stderr);
		return -1;
	}
	if (o->connect_timeout == 0)
		o->connect_timeout = o->phase_timeout;
	/* The format must hold exactly one %u and nothing else with a %. */
	if (strstr(o->cluster_fmt, "%u") == NULL ||
	    strchr(strstr(o->cluster_fmt, "%u") + 2, '%') != NULL ||
	    strchr(o->cluster_fmt, '%') != strstr(o->cluster_fmt, "%u")) {
		fprintf(stderr, "qnetd-bench: --cluster-fmt needs exactly one %%u\n");
		return -1;
	}
	return 0;
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	return 0;
}

static int
resolve(struct bench *b)
{
	struct addrinfo hints, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(b->o.host, b->o.port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "qnetd-bench: %s: %s\n", b->o.host, gai_strerror(rc));
		return -1;
	}
	memcpy(&b->addr, ai->ai_addr, ai->ai_addrlen);
	b->addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (!is_loopback(&b->addr)) {
		/* A load generator must not be pointed at a production arbiter. */
		fprintf(stderr, "qnetd-bench: %s is not a loopback address\n", b->o.host);
		return -1;
	}
	return 0;
}

static void
raise_nofile(uint32_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;	/* works as root */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		fprintf(stderr, "qnetd-bench: RLIMIT_NOFILE only %lu, %u wanted\n",
		    (unsigned long)rl.rlim_cur, need);
	}
}

static int
bench_setup(struct bench *b)
{
	uint32_t i, j;
	struct conn *c;

	b->nconns = b->o.clusters * b->o.nodes;
	if (b->nconns / b->o.nodes != b->o.clusters || b->nconns > 10000000) {
		fprintf(stderr, "qnetd-bench: too many connections\n");
		return -1;
	}
	raise_nofile(b->nconns + 64);
	b->conns = calloc(b->nconns, sizeof(*b->conns));
	b->clusters = calloc(b->o.clusters, sizeof(*b->clusters));
	b->heap = calloc(b->nconns + 1, sizeof(*b->heap));
	b->st.done_at = calloc(b->nconns + 1, sizeof(*b->st.done_at));
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (b->conns == NULL || b->clusters == NULL || b->heap == NULL ||
	    b->st.done_at == NULL || b->epfd < 0) {
		perror("qnetd-bench: setup");
		return -1;
	}
	for (i = 0; i < b->o.clusters; i++) {
		b->clusters[i].first_conn = i * b->o.nodes;
		for (j = 0; j < b->o.nodes; j++) {
			c = &b->conns[i * b->o.nodes + j];
			c->fd = -1;
			c->cluster = i;
			c->node_id = j + 1;
		}
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int
main(int argc, char **argv)
{
	static struct bench b;
	static struct report r;
	uint32_t i;
	double self0;

	if (parse_opts(argc, argv, &b.o) < 0)
		return 2;
	report_init(&r);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (resolve(&b) < 0 || bench_setup(&b) < 0)
		return 2;
	if (b.o.tls && bench_tls_init(&b) < 0)
		return 2;
	self0 = self_cpu_s();
	phase_connect(&b, &r);
	if (!interrupted && b.active > 0)
		phase_steady(&b, &r);
	if (!interrupted && b.active > 0)
		phase_storm(&b, &r, 1, 4 + RING_STEP);
	if (!interrupted && b.active > 0)
		phase_storm(&b, &r, 0, 4 + 2 * RING_STEP);
	r.bench_cpu_total_s = self_cpu_s() - self0;
	report_final(&b, &r);
	for (i = 0; i < b.nconns; i++)
		bench_conn_kill(&b, &b.conns[i], FAIL_NONE);
	if (b.o.tls)
		bench_tls_fini(&b);
	return interrupted ? 1 : 0;
}
