/*
 * bench_run.c - one shard of qnetd-bench's clusters: the epoll loop that
 * drives its connections, and the phases, run as commands from the
 * coordinator (bench_pool.c).  Each command is answered with the shard's
 * raw figures (counts, timestamps, latency samples), which the coordinator
 * merges over the shards before anything is computed from them.
 *
 * With one worker the shard is every cluster and runs in the main
 * process; with W workers each worker process holds one.  Between
 * commands a worker keeps its connections alive (echoes, votes) while it
 * waits on its command channel.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define EVENTS_MAX 1024
#define CTL_IDX UINT32_MAX	/* epoll tag of the command channel */

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

/* ---- the command channel ---- */

/* A command arrived, or the coordinator is gone (then the worker ends). */
static void
ctl_read(struct bench *b)
{
	struct bench_cmd cmd;
	ssize_t n;

	do
		n = recv(b->ctl_fd, &cmd, sizeof(cmd), MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		_exit(3);	/* the coordinator died: PR_SET_PDEATHSIG may not have */
	if (n != (ssize_t)sizeof(cmd) || b->cmd_ready) {
		fprintf(stderr, "qnetd-bench: worker %u: bad command from the coordinator\n",
		    b->worker);
		_exit(3);
	}
	b->cmd = cmd;
	b->cmd_ready = 1;
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
		if (now >= deadline || bench_interrupted)
			return 0;
		wake = deadline;
		if (b->heap_n > 0 && b->heap[0].t < wake)
			wake = b->heap[0].t;
		timeout = (int)((wake - now + BENCH_NS_PER_MS - 1) / BENCH_NS_PER_MS);
		/*
		 * Paced by --connect-rate: look again in 1 ms.  Held back by
		 * --max-pending instead: a handshake ending is an event anyway,
		 * and W workers waking every millisecond for nothing add up.
		 */
		if (connecting && b->next_start < b->nconns && b->pending < b->o.max_pending &&
		    timeout > 1)
			timeout = 1;
		if (timeout > 100)
			timeout = 100;
		n = epoll_wait(b->epfd, ev, EVENTS_MAX, timeout);
		if (n < 0 && errno != EINTR) {
			perror("qnetd-bench: epoll_wait");
			return 0;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == CTL_IDX) {
				ctl_read(b);
				continue;
			}
			bench_conn_event(b, &b->conns[ev[i].data.u32], ev[i].events);
			/* A batch of TLS handshakes is slow: keep heartbeats on time. */
			if (b->heap_n > 0 && (i & 7) == 7)
				fire_echoes(b, now_ns());
		}
	}
}

static void
wait_until(struct bench *b, uint64_t t)
{
	if (now_ns() < t)
		(void)run_loop(b, t, NULL, 0, 0);
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

static int
cmd_ready_done(struct bench *b)
{
	return b->cmd_ready;
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
	samples_free(&b->st.settle);
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
cmd_connect(struct bench *b, const struct bench_cmd *cmd, struct bench_res *r)
{
	uint32_t i;
	double self0;

	phase_reset(b);
	win_lo = 1;
	win_hi = b->o.nodes;
	for (i = 0; i < b->o.clusters; i++)
		b->clusters[i].in_storm = 1;
	wait_until(b, cmd->t0);
	self0 = self_cpu_s();
	b->record_first_vote = 1;
	r->t_start = now_ns();
	r->complete = run_loop(b, cmd->deadline, connect_done, 1, r->t_start);
	r->t_end = now_ns();
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
	r->attempted = b->next_start;
	r->not_started = b->nconns - b->next_start;
	b->record_first_vote = 0;
	r->cpu_s = self_cpu_s() - self0;
}

static void
cmd_steady(struct bench *b, const struct bench_cmd *cmd, struct bench_res *r)
{
	uint64_t lost0;
	double self0;

	wait_until(b, cmd->t0);
	phase_reset(b);
	r->clients = b->active;
	lost0 = fails_total(b);
	self0 = self_cpu_s();
	b->record_echo = 1;
	r->t_start = now_ns();
	(void)run_loop(b, cmd->deadline, NULL, 0, 0);
	b->record_echo = 0;
	r->t_end = now_ns();
	r->cpu_s = self_cpu_s() - self0;
	r->lost = (uint32_t)(fails_total(b) - lost0);
	r->echo_sent = b->st.echo_sent;
	r->echo_late = b->st.echo_late;
}

/* Counts the ACKs of one cluster and checks they are on the expected side. */
static int
count_votes(struct bench *b, const struct cluster *cl, struct bench_res *r)
{
	const struct conn *c;
	uint32_t j, acks = 0, wrong = 0;

	for (j = 0; j < b->o.nodes; j++) {
		c = &b->conns[cl->first_conn + j];
		if (c->state != CONN_ACTIVE) {
			/* The server dropped it (or it failed): not a vote decision. */
			r->lost_node++;
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
		r->zero_ack++;
	else if (acks > win_hi - win_lo + 1)
		r->multi_ack++;
	else if (wrong != 0)
		r->wrong_side++;
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
		    "vote %d (seq %u) for ring %u.%llu\n", name, b->cluster_base + idx,
		    c->node_id, (int)c->state, c->ring.node_id,
		    (unsigned long long)c->ring.seq, (int)c->vote, c->vote_info_seq,
		    c->vote_ring.node_id, (unsigned long long)c->vote_ring.seq);
	}
}

static void
storm_count(struct bench *b, struct bench_res *r, const char *name)
{
	const struct cluster *cl;
	uint32_t i;

	for (i = 0; i < b->o.clusters; i++) {
		cl = &b->clusters[i];
		if (!cl->in_storm)
			continue;
		r->clusters++;
		if (count_votes(b, cl, r) < 0)
			continue;
		if (cl->t_settled == 0) {
			if (r->unsettled++ < 3)
				show_cluster(b, i, name);
			continue;
		}
		r->settled++;
		samples_add(&b->st.settle, cl->t_settled > cl->t_last_report ?
		    cl->t_settled - cl->t_last_report : 0);
		if (cl->t_settled > r->t_last_settled)
			r->t_last_settled = cl->t_settled;
	}
}

/*
 * Every taking-part node reports its new membership at once.  split: the
 * cluster breaks into 1..N/2 and N/2+1..N, each half with its own new
 * ring; ffsplit gives the vote to the majority, or on a tie to the half
 * holding the lowest node id.  heal: everybody reports 1..N again.
 */
static void
cmd_storm(struct bench *b, const struct bench_cmd *cmd, struct bench_res *r)
{
	struct cluster *cl;
	struct conn *c;
	uint32_t i, j, half = b->o.nodes / 2;
	uint64_t lost0, ring_seq = cmd->ring_seq;
	double self0;
	int split = cmd->type == CMD_SPLIT;

	wait_until(b, cmd->t0);
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
	self0 = self_cpu_s();
	b->record_first_vote = !split;
	r->t_start = now_ns();
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
	r->t_reports = now_ns();
	r->complete = run_loop(b, cmd->deadline, storm_done, 0, 0);
	r->t_end = now_ns();
	/* Give late or wrong votes the chance to show up before counting. */
	(void)run_loop(b, now_ns() + (uint64_t)b->o.settle_ms * BENCH_NS_PER_MS, NULL, 0, 0);
	b->record_first_vote = 0;
	r->cpu_s = self_cpu_s() - self0;
	r->lost = (uint32_t)(fails_total(b) - lost0);
	storm_count(b, r, split ? "split" : "heal");
}

void
bench_run_cmd(struct bench *b, const struct bench_cmd *cmd, struct bench_result *out)
{
	struct bench_res *r = &out->r;

	memset(out, 0, sizeof(*out));
	r->type = cmd->type;
	switch (cmd->type) {
	case CMD_READY:
		b->cpu0 = self_cpu_s();
		break;
	case CMD_CONNECT:
		cmd_connect(b, cmd, r);
		out->done_at = b->st.done_at;
		r->n_done = b->st.done_n;
		out->lat = b->st.handshake;
		out->fv = b->st.first_vote;
		break;
	case CMD_IDLE:
		r->t_start = now_ns();
		(void)run_loop(b, cmd->deadline, NULL, 0, 0);
		r->t_end = now_ns();
		break;
	case CMD_STEADY:
		cmd_steady(b, cmd, r);
		out->lat = b->st.echo_rtt;
		break;
	case CMD_SPLIT:
	case CMD_HEAL:
		cmd_storm(b, cmd, r);
		out->lat = b->st.settle;
		out->fv = b->st.first_vote;
		break;
	case CMD_FINISH:
		r->cpu_s = self_cpu_s() - b->cpu0;
		break;
	default:
		break;
	}
	r->active = b->active;
	r->interrupted = bench_interrupted != 0;
	memcpy(r->fails, b->fails, sizeof(r->fails));
	memcpy(r->server_errors, b->server_errors, sizeof(r->server_errors));
	r->n_lat = out->lat.n;
	r->n_fv = out->fv.n;
}

int
bench_run_wait_cmd(struct bench *b, struct bench_cmd *cmd, uint64_t deadline)
{
	struct pollfd pfd;
	uint64_t now, until;

	while (!b->cmd_ready) {
		now = now_ns();
		if (now >= deadline)
			return -1;
		if (!bench_interrupted) {
			until = now + 100 * BENCH_NS_PER_MS;
			(void)run_loop(b, until < deadline ? until : deadline, cmd_ready_done, 0, 0);
			continue;
		}
		/* Interrupted: the loop returns at once; the coordinator says what next. */
		pfd.fd = b->ctl_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) > 0)
			ctl_read(b);
	}
	*cmd = b->cmd;
	b->cmd_ready = 0;
	return 0;
}

/* ---- set-up ---- */

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

int
bench_run_setup(struct bench *b)
{
	struct epoll_event ev;
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
	/* Worker 0 keeps the single-process sequence; the others differ. */
	b->rnd = 0x9e3779b97f4a7c15ULL + (uint64_t)b->worker * 0xbf58476d1ce4e5b9ULL;
	if (b->rnd == 0)
		b->rnd = 1;
	if (b->ctl_fd >= 0) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = CTL_IDX;
		if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->ctl_fd, &ev) < 0) {
			perror("qnetd-bench: epoll_ctl");
			return -1;
		}
	}
	return 0;
}

void
bench_run_close(struct bench *b)
{
	uint32_t i;

	for (i = 0; i < b->nconns; i++)
		bench_conn_kill(b, &b->conns[i], FAIL_NONE);
}
