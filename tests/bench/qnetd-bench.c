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
 *
 * This file: options, the daemon's CPU and memory from /proc, and the
 * sequence of phases, each run on every shard of the clusters at once
 * (bench_pool.c: this process, or --workers processes) and reported from
 * the shards' merged raw figures (bench_report.c).
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
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_pool.h"
#include "bench_report.h"

#define RING_STEP 4

#define AUTO_CLIENTS 1000	/* --workers auto: TLS clients per worker */
#define AUTO_WORKERS_MAX 32

volatile sig_atomic_t bench_interrupted;

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

int
samples_append(struct samples *s, const uint32_t *v, size_t n)
{
	uint32_t *p;
	size_t cap;

	if (n == 0)
		return 0;
	if (s->n + n > s->cap) {
		cap = s->cap ? s->cap : 1024;
		while (cap < s->n + n)
			cap *= 2;
		p = realloc(s->v, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		s->v = p;
		s->cap = cap;
	}
	memcpy(s->v + s->n, v, n * sizeof(*v));
	s->n += n;
	return 0;
}

void
samples_free(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* ---- /proc readings ---- */

/*
 * The daemon's own children (its worker processes with -S workers=N;
 * event hooks come and go too fast to matter): from /proc/PID/task/PID/
 * children.  Up to max pids into out; the count.
 */
static int
proc_children(int pid, int *out, int max)
{
	char path[64];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	while (n < max && fscanf(f, "%d", &out[n]) == 1)
		n++;
	fclose(f);
	return n;
}

static double
proc_cpu1_s(int pid)
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

#define MAX_WORKERS 1024

/* CPU seconds of the daemon and of its worker processes. */
static double
proc_cpu_s(int pid)
{
	int kids[MAX_WORKERS], n, i;
	double total = proc_cpu1_s(pid), c;

	if (total < 0)
		return -1;
	n = proc_children(pid, kids, MAX_WORKERS);
	for (i = 0; i < n; i++)
		if ((c = proc_cpu1_s(kids[i])) > 0)
			total += c;
	return total;
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
proc_rss1_kb(int pid)
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

/* Resident memory of the daemon and of its worker processes. */
static long
proc_rss_kb(int pid)
{
	int kids[MAX_WORKERS], n, i;
	long total = proc_rss1_kb(pid), k;

	if (total < 0)
		return -1;
	n = proc_children(pid, kids, MAX_WORKERS);
	for (i = 0; i < n; i++)
		if ((k = proc_rss1_kb(kids[i])) > 0)
			total += k;
	return total;
}

/* ---- phases: every command runs on every shard at once ---- */

static int
phase_connect(struct bench_pool *p, const struct bench_opts *o, struct report *r,
    uint32_t *active)
{
	struct bench_cmd cmd = { .type = CMD_CONNECT };
	struct bench_result *m;
	double cpu0;

	r->rss0_kb = proc_rss_kb(o->server_pid);
	cpu0 = proc_cpu_s(o->server_pid);
	cmd.t0 = bench_pool_t0(p);
	cmd.deadline = cmd.t0 + (uint64_t)o->connect_timeout * BENCH_NS_PER_S;
	if (bench_pool_run(p, &cmd, &m) < 0)
		return -1;
	report_connect(o, r, m, cpu_delta(cpu0, proc_cpu_s(o->server_pid)));
	/* Let the daemon free what the handshakes used before measuring. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.type = CMD_IDLE;
	cmd.t0 = now_ns();
	cmd.deadline = cmd.t0 + BENCH_NS_PER_S;
	if (bench_pool_run(p, &cmd, &m) < 0)
		return -1;
	r->rss1_kb = proc_rss_kb(o->server_pid);
	r->mem_clients = *active = m->r.active;
	return 0;
}

static int
phase_steady(struct bench_pool *p, const struct bench_opts *o, struct report *r,
    uint32_t *active)
{
	struct bench_cmd cmd = { .type = CMD_STEADY };
	struct bench_result *m;
	double cpu0;

	cpu0 = proc_cpu_s(o->server_pid);
	cmd.t0 = bench_pool_t0(p);
	cmd.deadline = cmd.t0 + (uint64_t)o->steady_s * BENCH_NS_PER_S;
	if (bench_pool_run(p, &cmd, &m) < 0)
		return -1;
	report_steady(r, m, cpu_delta(cpu0, proc_cpu_s(o->server_pid)));
	*active = m->r.active;
	return 0;
}

/* Split or heal storm, started by every shard at the same moment. */
static int
phase_storm(struct bench_pool *p, const struct bench_opts *o, struct report *r, int split,
    uint64_t ring_seq, uint32_t *active)
{
	struct bench_cmd cmd = { .type = split ? CMD_SPLIT : CMD_HEAL };
	struct bench_result *m;
	double cpu0;

	cpu0 = proc_cpu_s(o->server_pid);
	cmd.t0 = bench_pool_t0(p);
	cmd.deadline = cmd.t0 + (uint64_t)o->phase_timeout * BENCH_NS_PER_S;
	cmd.ring_seq = ring_seq;
	if (bench_pool_run(p, &cmd, &m) < 0)
		return -1;
	report_storm(split ? &r->split : &r->heal, m,
	    cpu_delta(cpu0, proc_cpu_s(o->server_pid)), split ? "split" : "heal");
	*active = m->r.active;
	return 0;
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
	    "  --server-pid PID    read CPU and VmRSS of the daemon (and of its\n"
	    "                      worker processes) from /proc\n"
	    "  --nodelay           TCP_NODELAY on the client sockets\n"
	    "  --quickack          TCP_QUICKACK on the client sockets\n"
	    "  --src-ips K         spread sources over 127.0.0.1..K (IPv4)\n"
	    "  --workers W|auto    generator processes (1), each with its own NSS and\n"
	    "                      a share of the clusters, so that no process holds\n"
	    "                      thousands of TLS connections (NSS's per-handshake\n"
	    "                      cost grows with them); auto: with --tls one per\n"
	    "                      1,000 clients, at most 32, else 1\n"
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
	OPT_HELP, OPT_INITHB, OPT_WORKERS,
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
	{ "workers", required_argument, NULL, OPT_WORKERS },
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
	o->workers = 1;
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
		case OPT_WORKERS:
			if (strcmp(optarg, "auto") == 0)
				o->workers = 0;
			else if (parse_u32(optarg, &o->workers) < 0 || o->workers == 0 ||
			    o->workers > BENCH_WORKERS_MAX) {
				fprintf(stderr, "qnetd-bench: --workers 1..%d or auto\n",
				    BENCH_WORKERS_MAX);
				return -1;
			}
			break;
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
resolve(const struct bench_opts *o, struct sockaddr_storage *addr, socklen_t *addr_len)
{
	struct addrinfo hints, *ai;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(o->host, o->port, &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "qnetd-bench: %s: %s\n", o->host, gai_strerror(rc));
		return -1;
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, ai->ai_addr, ai->ai_addrlen);
	*addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	if (!is_loopback(addr)) {
		/* A load generator must not be pointed at a production arbiter. */
		fprintf(stderr, "qnetd-bench: %s is not a loopback address\n", o->host);
		return -1;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	bench_interrupted = 1;
}

static uint32_t
workers_for(const struct bench_opts *o)
{
	uint32_t n = o->workers, clients = o->clusters * o->nodes;

	if (n == 0) {
		/* auto: keep each process's live TLS connections few (softoken walk). */
		n = o->tls ? (clients + AUTO_CLIENTS - 1) / AUTO_CLIENTS : 1;
		if (n > AUTO_WORKERS_MAX)
			n = AUTO_WORKERS_MAX;
	}
	if (n > o->clusters)
		n = o->clusters;
	return n > 0 ? n : 1;
}

int
main(int argc, char **argv)
{
	static struct bench_pool pool;
	static struct report r;
	struct bench_cmd finish = { .type = CMD_FINISH };
	struct bench_opts o;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct bench_result *m;
	uint32_t active = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	report_init(&r);
	r.workers = workers_for(&o);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (resolve(&o, &addr, &addr_len) < 0)
		return 2;
	if (bench_pool_start(&pool, &o, &addr, addr_len, r.workers) < 0) {
		(void)bench_pool_stop(&pool);
		return 2;
	}
	rc = phase_connect(&pool, &o, &r, &active);
	if (rc == 0 && !bench_interrupted && active > 0)
		rc = phase_steady(&pool, &o, &r, &active);
	if (rc == 0 && !bench_interrupted && active > 0)
		rc = phase_storm(&pool, &o, &r, 1, 4 + RING_STEP, &active);
	if (rc == 0 && !bench_interrupted && active > 0)
		rc = phase_storm(&pool, &o, &r, 0, 4 + 2 * RING_STEP, &active);
	if (rc == 0)
		rc = bench_pool_run(&pool, &finish, &m);
	if (rc < 0) {
		(void)bench_pool_stop(&pool);
		fprintf(stderr, "qnetd-bench: run failed, no results\n");
		return 3;
	}
	r.bench_cpu_total_s = m->r.cpu_s;
	report_final(&o, &r);
	if (bench_pool_stop(&pool) < 0)
		return 3;
	return bench_interrupted ? 1 : 0;
}
