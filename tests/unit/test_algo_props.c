/*
 * test_algo_props.c - seeded, reproducible randomized property test of
 * the decision algorithms.
 *
 * A simulator plays one cluster of 2..8 nodes (2 for 2nodelms) against
 * the real algorithm code: nodes connect and disconnect, the corosync
 * membership splits and merges (each new partition gets a fresh ring
 * id), heuristics and the config list change, VOTE_INFOs can fail to
 * queue, and VOTE_INFO_REPLYs arrive late, twice or never.  Messages
 * travel through per-node FIFO queues in both directions, delivered in
 * random order across nodes, as over one TCP connection per node.
 *
 * "Holds ACK": a connected node whose last delivered ACK/NACK (from a
 * VOTE_INFO or a direct reply) is ACK; the ring id carried with that
 * ACK is the node's "ACK ring".  Each ring is a partition of one
 * membership epoch.
 *
 * ffsplit, after every step (safety): let R be the ACK ring of the
 * newest epoch among the holders; no other ring of that epoch is held,
 * and every holder is a member of R.  So the holders always sit in one
 * partition; stale holders of older rings are allowed only when they
 * belong to the newest one.  Two disjoint partitions never both hold.
 *
 * lms / 2nodelms decide each request on its own from the stored state,
 * with no commit protocol, so while reports are in flight two
 * partitions may both hold ACK; that is their contract, not a bug.  What
 * they guarantee, and what is checked: after every step, replies are
 * from the algorithm's vote set and a WAIT_FOR_REPLY leaves the lms
 * timer armed; once settled and every node has re-asked (lms: quorum
 * list, 2nodelms: membership, three passes), the holders share one
 * ring and are exactly the connected nodes of the partition that the
 * rules of protocol.md 3.4/3.5 pick.
 *
 * Liveness (all): at a settle point events stop, every queued message
 * and reply is delivered and pending timers fire; if a reply was lost
 * since the last settle, one node re-sends its membership first (a lost
 * reply stalls ffsplit until the next event, as upstream).  Then a
 * partition that qualifies holds ACK: ffsplit - the connected nodes of
 * the block with a strict majority of the configured nodes, or of
 * exactly one half in a 50:50 split, and nobody else.
 *
 * Hostile sequences (a quarter): clients start up out of order (the
 * membership list first, a changed config instead of the initial one,
 * or no config until the next settle point) and ffsplit clients send
 * lists that are empty or lack the sender, which must be refused with
 * errors 18/19 and change nothing.  Safety is checked as above; before
 * the liveness check every node reports its config and view again,
 * since such start-ups need not trigger a decision (as upstream).
 * Reverting the missing-config fix crashes this test, as Debian's
 * 3.0.3 crashes.
 *
 * Restarts of the daemon: a third of the sequences start as a restarted
 * daemon whose vote memory (include/algo/algo.h, algo_memory_env)
 * remembers a random set of nodes, and after a third of the settle
 * points the daemon restarts: every client is dropped as at a shutdown
 * and the memory remembers what the algorithm noted last, then the nodes
 * reconnect in random order.  The grace ends at a random step and always
 * before the next settle point, whose drain fires the timers that decide
 * again.  Safety is checked at every step as above, during the grace
 * too; the liveness checks run after it.  Every note must be ascending
 * and distinct.
 *
 * Length: argv[1] sequences, argv[2] steps, or QNETD_PROPS_SEQUENCES,
 * QNETD_PROPS_STEPS, QNETD_PROPS_SEED; QNETD_PROPS_ONLY=i replays one
 * sequence.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "algo_harness.h"

#define MAXN 8
#define QCAP 4096
#define MAXRINGS 65536

enum pkind {
	PK_VOTE_INFO,		/* server -> client */
	PK_REPLY,		/* server -> client: direct reply vote */
	PK_CONFIG_INITIAL,	/* client -> server */
	PK_CONFIG_CHANGED,
	PK_MEMBERSHIP,
	PK_QUORUM,
	PK_HEURISTICS,
	PK_VI_REPLY,
	PK_ASK,
	PK_BAD_CONFIG,		/* hostile: empty, or without the sender */
	PK_BAD_MEMBERSHIP,
};

struct pmsg {
	enum pkind kind;
	uint32_t seq;
	enum tlv_vote vote;
	struct tlv_ring_id ring;
	uint32_t ids[MAXN + 1];
	size_t nids;
	enum tlv_heuristics heur;
};

struct pq {
	struct pmsg m[QCAP];
	size_t head, n;
};

struct pnode {
	uint32_t id;
	struct tclient *tc;		/* NULL while disconnected */
	int block;
	enum tlv_heuristics heur;
	int kap;
	enum tlv_vote held;		/* last delivered ACK/NACK */
	struct tlv_ring_id held_ring;
	int disconnect_pending;
	int send_failed;
	struct pq in, out;
};

struct ring_rec {
	uint32_t members;		/* bit i: node i+1 */
	uint64_t epoch;
};

struct sim {
	uint64_t rng;
	enum tlv_decision_algorithm algo;
	struct tlv_tie_breaker tb;
	size_t n;
	struct pnode node[MAXN];
	struct cluster_registry reg;
	struct tlv_ring_id block_ring[MAXN];
	struct ring_rec rings[MAXRINGS];
	uint64_t next_ring_seq, epoch;
	int extra_cfg;			/* config also lists node n+1 (never up) */
	int lost_reply;
	int fail_sends;			/* inject VOTE_INFO queueing failures */
	int hostile;			/* clients break the usual message order */
	int failed;
	/* the vote memory of a restarted daemon (a third of the sequences) */
	uint32_t mem_ids[MAXN];
	size_t mem_n;
	uint32_t mem_left;		/* grace left, ms; 0: over */
	unsigned long mem_end_step;
	uint32_t noted[MAXN];		/* what the algorithm noted last */
	size_t noted_n;
	unsigned long restarts, withheld_steps;
	/* statistics */
	unsigned long steps, settles, acks, events;
};

static struct sim S;
static int g_trace;		/* QNETD_PROPS_TRACE: print every message */
static uint64_t g_seed;
static long g_seq_index;

#define PFAIL(...) do { \
	if (!S.failed) { \
		fprintf(stderr, "props: seed %" PRIu64 " sequence %ld step %lu (%s, n=%zu, tb=%d/%u): ", \
		    g_seed, g_seq_index, S.steps, algo_get(S.algo)->name, S.n, \
		    (int)S.tb.mode, (unsigned)S.tb.node_id); \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n"); \
	} \
	S.failed = 1; \
	check_failures++; \
} while (0)

static uint64_t
rnd(void)
{
	uint64_t z;

	S.rng += 0x9e3779b97f4a7c15ULL;
	z = S.rng;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static size_t
rn(size_t n)
{

	return ((size_t)(rnd() % n));
}

static int
chance(unsigned pct)
{

	return (rn(100) < pct);
}

static void
pq_push(struct pq *q, const struct pmsg *m)
{

	if (q->n == QCAP) {
		fprintf(stderr, "props: queue overflow\n");
		abort();
	}
	q->m[(q->head + q->n) % QCAP] = *m;
	q->n++;
}

static struct pmsg *
pq_at(struct pq *q, size_t i)
{

	return (&q->m[(q->head + i) % QCAP]);
}

static void
pq_pop(struct pq *q, struct pmsg *m)
{

	*m = q->m[q->head];
	q->head = (q->head + 1) % QCAP;
	q->n--;
}

static void
pq_remove(struct pq *q, size_t i)
{

	for (; i + 1 < q->n; i++)
		*pq_at(q, i) = *pq_at(q, i + 1);
	q->n--;
}

static struct pnode *
node_of(const struct qnetd_client *c)
{

	if (c->node_id < 1 || c->node_id > S.n)
		abort();
	return (&S.node[c->node_id - 1]);
}

/* The algo_env: VOTE_INFO goes to the node's inbox. */
static int
p_send_vote_info(struct qnetd_client *client, uint32_t seq, const struct tlv_ring_id *ring_id,
    enum tlv_vote vote)
{
	struct pnode *pn;
	struct pmsg m;

	pn = node_of(client);
	if (S.fail_sends && chance(3)) {
		pn->send_failed = 1;
		return (-1);
	}
	if (g_trace)
		fprintf(stderr, "    VOTE_INFO -> node %u seq %u vote %d ring %u.%" PRIu64 "\n",
		    pn->id, seq, (int)vote, ring_id->node_id, ring_id->seq);
	memset(&m, 0, sizeof(m));
	m.kind = PK_VOTE_INFO;
	m.seq = seq;
	m.ring = *ring_id;
	m.vote = vote;
	pq_push(&pn->in, &m);
	client_record_vote(client, vote);
	return (0);
}

static void
p_schedule_disconnect(struct qnetd_client *client)
{
	struct pnode *pn;

	pn = node_of(client);
	if (!pn->send_failed)
		PFAIL("node %u scheduled for disconnect without a failed send", pn->id);
	pn->disconnect_pending = 1;
}

static int
p_recall(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    struct algo_recall *out)
{

	(void)cluster;
	if (S.mem_n == 0 || S.mem_left == 0 || algorithm != S.algo)
		return (0);
	out->ids = S.mem_ids;
	out->n = S.mem_n;
	out->grace_left_ms = S.mem_left;
	return (1);
}

static void
p_note(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    const uint32_t *ids, size_t n)
{
	size_t i;

	(void)cluster;
	if (algorithm != S.algo)
		PFAIL("note for algorithm %d", (int)algorithm);
	for (i = 1; i < n; i++)
		if (ids[i] <= ids[i - 1])
			PFAIL("note not ascending and distinct");
	S.noted_n = 0;
	for (i = 0; i < n && S.noted_n < MAXN; i++)
		if (ids[i] >= 1 && ids[i] <= S.n)
			S.noted[S.noted_n++] = ids[i];
}

static const struct algo_memory_env p_mem_env = { .recall = p_recall, .note = p_note };

static const struct algo_env p_env = {
	.send_vote_info = p_send_vote_info,
	.timer_schedule = h_timer_schedule,
	.timer_abort = h_timer_abort,
	.schedule_disconnect = p_schedule_disconnect,
};

/* ---- ground truth ---- */

static size_t
block_ids(int block, uint32_t *ids)
{
	size_t i, k;

	k = 0;
	for (i = 0; i < S.n; i++)
		if (S.node[i].block == block)
			ids[k++] = S.node[i].id;
	return (k);
}

static uint32_t
block_mask(int block)
{
	uint32_t m;
	size_t i;

	m = 0;
	for (i = 0; i < S.n; i++)
		if (S.node[i].block == block)
			m |= 1u << i;
	return (m);
}

static size_t
config_ids(uint32_t *ids)
{
	size_t i;

	for (i = 0; i < S.n; i++)
		ids[i] = S.node[i].id;
	if (S.extra_cfg)
		ids[i++] = (uint32_t)S.n + 1;
	return (i);
}

static struct tlv_ring_id
new_ring(int block)
{
	struct tlv_ring_id r;
	uint32_t ids[MAXN] = { 0 };

	if (S.next_ring_seq >= MAXRINGS) {
		fprintf(stderr, "props: too many rings\n");
		abort();
	}
	r.node_id = block_ids(block, ids) > 0 ? ids[0] : 0;
	r.seq = S.next_ring_seq++;
	S.rings[r.seq].members = block_mask(block);
	S.rings[r.seq].epoch = S.epoch;
	return (r);
}

static void
enqueue_membership(struct pnode *pn)
{
	struct pmsg m;

	memset(&m, 0, sizeof(m));
	m.kind = PK_MEMBERSHIP;
	m.ring = S.block_ring[pn->block];
	m.nids = block_ids(pn->block, m.ids);
	m.heur = pn->heur;
	pq_push(&pn->out, &m);
	m.kind = PK_QUORUM;
	pq_push(&pn->out, &m);
}

/* ---- server side ---- */

static void
disconnect_node(struct pnode *pn, int going_down)
{

	if (pn->tc == NULL)
		return;
	if (g_trace)
		fprintf(stderr, "  disconnect node %u\n", pn->id);
	h_disconnect(&S.reg, pn->tc, going_down);
	h_free(pn->tc);
	pn->tc = NULL;
	pn->held = TLV_VOTE_UNDEFINED;
	pn->disconnect_pending = 0;
	pn->send_failed = 0;
	pn->in.n = pn->out.n = 0;
}

static void
process_pending_disconnects(void)
{
	size_t i;

	for (i = 0; i < S.n; i++)
		if (S.node[i].disconnect_pending)
			disconnect_node(&S.node[i], 0);
}

/* The direct-reply votes each algorithm may give. */
static int
vote_allowed(enum tlv_vote v)
{

	switch (S.algo) {
	case TLV_DECISION_ALGORITHM_FFSPLIT:
		return (v == TLV_VOTE_ASK_LATER || v == TLV_VOTE_WAIT_FOR_REPLY ||
		    v == TLV_VOTE_NO_CHANGE);
	case TLV_DECISION_ALGORITHM_LMS:
		return (v == TLV_VOTE_ACK || v == TLV_VOTE_NACK ||
		    v == TLV_VOTE_WAIT_FOR_REPLY || v == TLV_VOTE_NO_CHANGE);
	default:
		/* WAIT_FOR_REPLY: an ACK held back for the grace after a restart. */
		return (v == TLV_VOTE_ACK || v == TLV_VOTE_NACK ||
		    v == TLV_VOTE_ASK_LATER || v == TLV_VOTE_NO_CHANGE ||
		    (v == TLV_VOTE_WAIT_FOR_REPLY && S.mem_n > 0));
	}
}

/* ffsplit must refuse lists that are empty or lack the sender, storing nothing. */
static void
server_handle_bad(struct pnode *pn, const struct pmsg *m)
{
	enum tlv_reply_error_code rc;
	struct node_list before;
	enum tlv_vote v;

	if (m->kind == PK_BAD_CONFIG) {
		before = pn->tc->c.configuration_node_list;
		rc = h_config(pn->tc, 0, m->ids, m->nids, &v);
		if (rc != TLV_REPLY_ERROR_CODE_INVALID_CONFIG_NODE_LIST ||
		    pn->tc->c.configuration_node_list.nodes != before.nodes)
			PFAIL("bad config list: error %d", (int)rc);
	} else {
		before = pn->tc->c.last_membership_node_list;
		rc = h_membership(pn->tc, m->ring, m->ids, m->nids, m->heur, &v);
		if (rc != TLV_REPLY_ERROR_CODE_INVALID_MEMBERSHIP_NODE_LIST ||
		    pn->tc->c.last_membership_node_list.nodes != before.nodes)
			PFAIL("bad membership list: error %d", (int)rc);
	}
}

static void
server_handle(struct pnode *pn, const struct pmsg *m)
{
	enum tlv_reply_error_code rc;
	enum tlv_vote v;
	struct pmsg r;
	uint32_t ids[MAXN + 1];
	size_t n;

	v = TLV_VOTE_UNDEFINED;
	if (g_trace)
		fprintf(stderr, "  server <- node %u: kind %d seq %u ring %u.%" PRIu64 " n %zu heur %d\n",
		    pn->id, (int)m->kind, m->seq, m->ring.node_id, m->ring.seq, m->nids, (int)m->heur);
	switch (m->kind) {
	case PK_CONFIG_INITIAL:
	case PK_CONFIG_CHANGED:
		n = config_ids(ids);
		rc = h_config(pn->tc, m->kind == PK_CONFIG_INITIAL, ids, n, &v);
		if (S.algo == TLV_DECISION_ALGORITHM_2NODELMS && n != 2) {
			if (rc != TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM)
				PFAIL("2nodelms accepted a %zu-node config", n);
		} else if (rc != TLV_REPLY_ERROR_CODE_NO_ERROR) {
			PFAIL("config list rejected: %d", (int)rc);
		}
		break;
	case PK_MEMBERSHIP:
		rc = h_membership(pn->tc, m->ring, m->ids, m->nids, m->heur, &v);
		break;
	case PK_QUORUM:
		rc = h_quorum(pn->tc, m->ids, m->nids, &v);
		break;
	case PK_HEURISTICS:
		rc = h_heur(pn->tc, m->heur, &v);
		break;
	case PK_ASK:
		rc = h_ask(pn->tc, &v);
		if (S.algo == TLV_DECISION_ALGORITHM_FFSPLIT &&
		    rc != TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE)
			PFAIL("ffsplit answered ASK_FOR_VOTE");
		break;
	case PK_BAD_CONFIG:
	case PK_BAD_MEMBERSHIP:
		server_handle_bad(pn, m);
		return;
	case PK_VI_REPLY:
		rc = h_reply(pn->tc, m->seq);
		if (rc != TLV_REPLY_ERROR_CODE_NO_ERROR)
			PFAIL("VOTE_INFO_REPLY gave error %d", (int)rc);
		return;
	default:
		abort();
	}
	if (g_trace)
		fprintf(stderr, "    -> rc %d vote %d (config %zu, membership %zu)\n", (int)rc, (int)v,
		    pn->tc->c.configuration_node_list.count, pn->tc->c.last_membership_node_list.count);
	if (rc != TLV_REPLY_ERROR_CODE_NO_ERROR)
		return;
	if (!vote_allowed(v))
		PFAIL("node %u: reply vote %d not in the algorithm's set", pn->id, (int)v);
	if (S.algo != TLV_DECISION_ALGORITHM_FFSPLIT && v == TLV_VOTE_WAIT_FOR_REPLY &&
	    !pn->tc->timer_armed)
		PFAIL("node %u: WAIT_FOR_REPLY without an armed timer", pn->id);
	memset(&r, 0, sizeof(r));
	r.kind = PK_REPLY;
	r.vote = v;
	r.ring = pn->tc->c.last_ring_id;
	pq_push(&pn->in, &r);
}

static void
fire_timer(struct pnode *pn)
{
	enum tlv_reply_error_code rc;
	enum tlv_vote v;
	int resched, send;

	pn->tc->timer_armed = 0;
	resched = send = 0;
	v = TLV_VOTE_WAIT_FOR_REPLY;
	rc = h_ops(pn->tc)->timer_callback(&pn->tc->c, &resched, &send, &v);
	if (rc != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		PFAIL("timer callback error %d", (int)rc);
		return;
	}
	if (send) {
		if (v != TLV_VOTE_ACK && v != TLV_VOTE_NACK)
			PFAIL("timer sends vote %d", (int)v);
		pn->tc->c.algo_timer_vote_info_seq++;
		if (p_send_vote_info(&pn->tc->c, pn->tc->c.algo_timer_vote_info_seq,
		    &pn->tc->c.last_ring_id, v) != 0)
			pn->disconnect_pending = 1;
	}
	if (resched)
		pn->tc->timer_armed = 1;
	if (v == TLV_VOTE_WAIT_FOR_REPLY && !pn->tc->timer_armed)
		PFAIL("node %u: timer gave up while waiting", pn->id);
}

/* ---- client side ---- */

static void
client_deliver(struct pnode *pn, const struct pmsg *m)
{
	struct pmsg r;

	if (g_trace)
		fprintf(stderr, "  node %u <- %s seq %u vote %d ring %u.%" PRIu64 "\n", pn->id,
		    m->kind == PK_VOTE_INFO ? "VOTE_INFO" : "reply", m->seq, (int)m->vote,
		    m->ring.node_id, m->ring.seq);

	if (m->vote == TLV_VOTE_ACK || m->vote == TLV_VOTE_NACK) {
		pn->held = m->vote;
		pn->held_ring = m->ring;
		if (m->vote == TLV_VOTE_ACK)
			S.acks++;
	}
	if (m->kind == PK_VOTE_INFO) {
		memset(&r, 0, sizeof(r));
		r.kind = PK_VI_REPLY;
		r.seq = m->seq;
		pq_push(&pn->out, &r);
	}
}

/* ---- events ---- */

static void
ev_connect(struct pnode *pn)
{
	struct pmsg m;

	if (g_trace)
		fprintf(stderr, "  connect node %u (kap %d)\n", pn->id, pn->kap);
	pn->tc = h_new("props", pn->id, S.algo, S.tb.mode, S.tb.node_id,
	    S.block_ring[pn->block]);
	pn->tc->c.keep_active_partition_tie_breaker = pn->kap;
	if (h_init(&S.reg, pn->tc) != TLV_REPLY_ERROR_CODE_NO_ERROR)
		PFAIL("client_init failed");
	pn->held = TLV_VOTE_UNDEFINED;
	memset(&m, 0, sizeof(m));
	m.kind = PK_CONFIG_INITIAL;
	if (!S.hostile) {
		pq_push(&pn->out, &m);
		enqueue_membership(pn);
		return;
	}
	/* Any order, a changed list instead of the initial one, or none yet. */
	switch (rn(4)) {
	case 0:
		pq_push(&pn->out, &m);
		enqueue_membership(pn);
		break;
	case 1:
		enqueue_membership(pn);
		pq_push(&pn->out, &m);
		break;
	case 2:
		m.kind = PK_CONFIG_CHANGED;
		enqueue_membership(pn);
		pq_push(&pn->out, &m);
		break;
	default:
		enqueue_membership(pn);
		break;
	}
}

static void
ev_hostile(struct pnode *pn)
{
	struct pmsg m;

	if (pn->tc == NULL || S.algo != TLV_DECISION_ALGORITHM_FFSPLIT)
		return;
	memset(&m, 0, sizeof(m));
	m.kind = chance(50) ? PK_BAD_CONFIG : PK_BAD_MEMBERSHIP;
	m.ring = S.block_ring[pn->block];
	if (chance(50)) {
		/* Everybody but the sender. */
		m.nids = config_ids(m.ids);
		m.ids[pn->id - 1] = m.ids[m.nids - 1];
		m.nids--;
	}
	pq_push(&pn->out, &m);
}

/* A new random partitioning; changed blocks get fresh rings. */
static void
ev_split(void)
{
	struct tlv_ring_id old_ring[MAXN];
	uint32_t old_mask[MAXN], mask;
	size_t i, j, nb;
	int relabel[MAXN], b;

	for (i = 0; i < S.n; i++) {
		old_ring[i] = S.block_ring[S.node[i].block];
		old_mask[i] = block_mask(S.node[i].block);
	}
	nb = 1 + rn(S.n < 3 ? S.n : 3);
	for (i = 0; i < S.n; i++)
		S.node[i].block = (int)rn(nb);
	/* Relabel blocks 0.. in order of first appearance. */
	for (i = 0; i < MAXN; i++)
		relabel[i] = -1;
	b = 0;
	for (i = 0; i < S.n; i++) {
		if (relabel[S.node[i].block] < 0)
			relabel[S.node[i].block] = b++;
		S.node[i].block = relabel[S.node[i].block];
	}
	S.epoch++;
	for (j = 0; j < (size_t)b; j++) {
		mask = block_mask((int)j);
		S.block_ring[j].seq = 0;
		for (i = 0; i < S.n; i++)
			if (S.node[i].block == (int)j && old_mask[i] == mask)
				S.block_ring[j] = old_ring[i];
		if (S.block_ring[j].seq == 0)
			S.block_ring[j] = new_ring((int)j);
	}
	for (i = 0; i < S.n; i++) {
		if (S.node[i].tc == NULL)
			continue;
		if (!tlv_ring_id_eq(&old_ring[i], &S.block_ring[S.node[i].block]))
			enqueue_membership(&S.node[i]);
	}
}

static void
ev_heuristics(struct pnode *pn)
{
	struct pmsg m;

	/*
	 * Heuristics start undefined (not configured) and, once running,
	 * pass or fail; the session layer rejects a change to UNDEFINED.
	 */
	pn->heur = chance(50) ? TLV_HEURISTICS_PASS : TLV_HEURISTICS_FAIL;
	if (pn->tc == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.kind = PK_HEURISTICS;
	m.heur = pn->heur;
	pq_push(&pn->out, &m);
}

static void
ev_config(void)
{
	struct pmsg m;
	size_t i;

	S.extra_cfg = !S.extra_cfg;
	memset(&m, 0, sizeof(m));
	m.kind = PK_CONFIG_CHANGED;
	for (i = 0; i < S.n; i++)
		if (S.node[i].tc != NULL)
			pq_push(&S.node[i].out, &m);
}

static int
find_vi_reply(struct pnode *pn, size_t *pos)
{
	size_t i;

	for (i = 0; i < pn->out.n; i++) {
		if (pq_at(&pn->out, i)->kind == PK_VI_REPLY) {
			*pos = i;
			return (1);
		}
	}
	return (0);
}

static void
deliver_in(struct pnode *pn)
{
	struct pmsg m;

	pq_pop(&pn->in, &m);
	client_deliver(pn, &m);
}

static void
deliver_out(struct pnode *pn)
{
	struct pmsg m;

	pq_pop(&pn->out, &m);
	server_handle(pn, &m);
}

static void
random_event(void)
{
	struct pnode *pn;
	size_t r, pos;
	struct pmsg m;

	pn = &S.node[rn(S.n)];
	r = rn(100);
	S.events++;
	if (r < 35) {
		if (pn->in.n > 0)
			deliver_in(pn);
	} else if (r < 70) {
		if (pn->out.n > 0 && pn->tc != NULL)
			deliver_out(pn);
	} else if (r < 76) {
		if (pn->tc == NULL)
			ev_connect(pn);
	} else if (r < 79) {
		disconnect_node(pn, 0);
	} else if (r < 85) {
		ev_split();
	} else if (r < 90) {
		ev_heuristics(pn);
	} else if (r < 91) {
		if (S.algo != TLV_DECISION_ALGORITHM_2NODELMS || chance(10))
			ev_config();
	} else if (r < 93) {
		if (find_vi_reply(pn, &pos)) {	/* lost */
			pq_remove(&pn->out, pos);
			S.lost_reply = 1;
		}
	} else if (r < 95) {
		if (find_vi_reply(pn, &pos)) {	/* twice, the copy late */
			m = *pq_at(&pn->out, pos);
			pq_push(&pn->out, &m);
		}
	} else if (r < 98) {
		if (pn->tc != NULL && pn->tc->timer_armed)
			fire_timer(pn);
	} else if (r < 99 || !S.hostile) {
		if (pn->tc != NULL) {
			memset(&m, 0, sizeof(m));
			m.kind = PK_ASK;
			pq_push(&pn->out, &m);
		}
	} else {
		ev_hostile(pn);
	}
	process_pending_disconnects();
}

/* ---- properties ---- */

static void
check_ffsplit_safety(void)
{
	const struct ring_rec *rr, *best;
	uint64_t best_seq;
	size_t i;
	int tie;

	check_count++;
	best = NULL;
	best_seq = 0;
	tie = 0;
	for (i = 0; i < S.n; i++) {
		if (S.node[i].tc == NULL || S.node[i].held != TLV_VOTE_ACK)
			continue;
		rr = &S.rings[S.node[i].held_ring.seq];
		if (best == NULL || rr->epoch > best->epoch) {
			best = rr;
			best_seq = S.node[i].held_ring.seq;
			tie = 0;
		} else if (rr->epoch == best->epoch && S.node[i].held_ring.seq != best_seq) {
			tie = 1;
		}
	}
	if (best == NULL)
		return;
	if (tie)
		PFAIL("two partitions of one epoch hold ACK");
	for (i = 0; i < S.n; i++) {
		if (S.node[i].tc == NULL || S.node[i].held != TLV_VOTE_ACK)
			continue;
		if (!(best->members & (1u << i)))
			PFAIL("node %u holds ACK outside the newest ACK partition", S.node[i].id);
	}
}

static size_t
connected_in_block(int block)
{
	size_t i, k;

	k = 0;
	for (i = 0; i < S.n; i++)
		if (S.node[i].block == block && S.node[i].tc != NULL)
			k++;
	return (k);
}

/* Holders must be exactly the connected nodes of block win (-1: nobody). */
static void
dump(void)
{
	size_t i;
	struct pnode *pn;

	for (i = 0; i < S.n; i++) {
		pn = &S.node[i];
		fprintf(stderr, "  node %u: %s block %d ring %u.%" PRIu64 " heur %d held %d "
		    "held_ring %u.%" PRIu64 " stored_ring %u.%" PRIu64 " last_sent %d\n",
		    pn->id, pn->tc != NULL ? "up" : "down", pn->block,
		    S.block_ring[pn->block].node_id, S.block_ring[pn->block].seq, (int)pn->heur,
		    (int)pn->held, pn->held_ring.node_id, pn->held_ring.seq,
		    pn->tc != NULL ? pn->tc->c.last_ring_id.node_id : 0,
		    pn->tc != NULL ? pn->tc->c.last_ring_id.seq : 0,
		    pn->tc != NULL ? (int)pn->tc->c.last_sent_vote : -1);
	}
}

static void
expect_holders(int win, const char *why)
{
	size_t i;
	int should;

	check_count++;
	for (i = 0; i < S.n; i++) {
		if (S.node[i].tc == NULL)
			continue;
		should = win >= 0 && S.node[i].block == win;
		if (should != (S.node[i].held == TLV_VOTE_ACK)) {
			PFAIL("settled (%s): node %u %s ACK (expected block %d)", why,
			    S.node[i].id, should ? "lacks" : "wrongly holds", win);
			dump();
			return;
		}
	}
}

static int
nblocks(void)
{
	size_t i;
	int nb;

	nb = 0;
	for (i = 0; i < S.n; i++)
		if (S.node[i].block + 1 > nb)
			nb = S.node[i].block + 1;
	return (nb);
}

static void
check_ffsplit_liveness(void)
{
	size_t ncfg, sz;
	int b, half[2], nhalf, win;

	ncfg = S.n + (S.extra_cfg ? 1 : 0);
	win = -1;
	nhalf = 0;
	for (b = 0; b < nblocks(); b++) {
		if (connected_in_block(b) == 0)
			continue;
		sz = block_ids(b, (uint32_t[MAXN]){ 0 });
		if (sz > ncfg / 2)
			win = b;
		else if (ncfg % 2 == 0 && sz == ncfg / 2 && nhalf < 2)
			half[nhalf++] = b;
	}
	if (win >= 0 || nhalf == 0) {
		expect_holders(win, "majority or none");
		return;
	}
	/* 50:50: exactly one qualifying half holds. */
	win = S.node[0].block;
	for (b = 0; b < (int)S.n; b++) {
		if (S.node[b].tc != NULL && S.node[b].held == TLV_VOTE_ACK) {
			win = S.node[b].block;
			break;
		}
	}
	if (win != half[0] && (nhalf < 2 || win != half[1])) {
		PFAIL("settled 50:50: no qualifying half holds ACK");
		return;
	}
	expect_holders(win, "50:50");
}

static long
block_score(int b)
{
	long s;
	size_t i;

	s = 0;
	for (i = 0; i < S.n; i++) {
		if (S.node[i].block != b || S.node[i].tc == NULL)
			continue;
		s++;
		if (S.node[i].heur == TLV_HEURISTICS_PASS)
			s++;
		else if (S.node[i].heur == TLV_HEURISTICS_FAIL)
			s--;
	}
	return (s);
}

/* Independent restatement of protocol.md 3.4 over the ground truth. */
static int
lms_oracle(void)
{
	size_t i, nparts, k;
	long best, cnt;
	int b, winner, uniq, tbb;
	uint32_t tb;

	nparts = 0;
	winner = -1;
	for (b = 0; b < nblocks(); b++)
		if (connected_in_block(b) > 0) {
			nparts++;
			winner = b;
		}
	if (nparts <= 1)
		return (winner);
	best = LONG_MIN;
	for (b = 0; b < nblocks(); b++)
		if (connected_in_block(b) > 0 && block_score(b) > best)
			best = block_score(b);
	uniq = 0;
	for (b = 0; b < nblocks(); b++)
		if (connected_in_block(b) > 0 && block_score(b) == best) {
			uniq++;
			winner = b;
		}
	if (uniq == 1)
		return (winner);
	k = 0;
	for (b = 0; b < nblocks(); b++)
		if (connected_in_block(b) > k)
			k = connected_in_block(b);
	uniq = 0;
	for (b = 0; b < nblocks(); b++)
		if (connected_in_block(b) == k) {
			uniq++;
			winner = b;
		}
	if (uniq == 1)
		return (winner);
	tbb = -1;
	cnt = 0;
	tb = S.tb.mode == TLV_TIE_BREAKER_MODE_LOWEST ? UINT32_MAX : 0;
	for (i = 0; i < S.n; i++) {
		if (S.node[i].tc == NULL)
			continue;
		if ((S.tb.mode == TLV_TIE_BREAKER_MODE_LOWEST && S.node[i].id < tb) ||
		    (S.tb.mode == TLV_TIE_BREAKER_MODE_HIGHEST && S.node[i].id > tb) ||
		    (S.tb.mode == TLV_TIE_BREAKER_MODE_NODE_ID && S.node[i].id == S.tb.node_id)) {
			tb = S.node[i].id;
			tbb = S.node[i].block;
			cnt++;
		}
	}
	(void)cnt;
	return (tbb);
}

static int
twonode_oracle(void)
{
	int c1, c2, cmp;

	c1 = S.node[0].tc != NULL;
	c2 = S.node[1].tc != NULL;
	if (S.node[0].block == S.node[1].block || !c1 || !c2)
		return (c1 ? S.node[0].block : S.node[1].block);
	cmp = tlv_heuristics_cmp(S.node[0].heur, S.node[1].heur);
	if (cmp != 0)
		return (cmp > 0 ? S.node[0].block : S.node[1].block);
	switch (S.tb.mode) {
	case TLV_TIE_BREAKER_MODE_LOWEST:
		return (S.node[0].block);
	case TLV_TIE_BREAKER_MODE_HIGHEST:
		return (S.node[1].block);
	default:
		if (S.tb.node_id == 1 || S.tb.node_id == 2)
			return (S.node[S.tb.node_id - 1].block);
		return (-1);
	}
}

static void
drain(void)
{
	size_t i, rounds;
	int busy;

	for (rounds = 0; rounds < 100000 && !S.failed; rounds++) {
		busy = 0;
		for (i = 0; i < S.n; i++) {
			if (S.node[i].in.n > 0 || (S.node[i].out.n > 0 && S.node[i].tc != NULL))
				busy = 1;
		}
		if (!busy) {
			for (i = 0; i < S.n; i++) {
				if (S.node[i].tc != NULL && S.node[i].tc->timer_armed) {
					fire_timer(&S.node[i]);
					busy = 1;
				}
			}
			process_pending_disconnects();
			if (!busy)
				return;
			continue;
		}
		i = rn(S.n);
		if (S.node[i].in.n > 0 && (chance(50) || S.node[i].out.n == 0))
			deliver_in(&S.node[i]);
		else if (S.node[i].out.n > 0 && S.node[i].tc != NULL)
			deliver_out(&S.node[i]);
		process_pending_disconnects();
		if (S.algo == TLV_DECISION_ALGORITHM_FFSPLIT)
			check_ffsplit_safety();
	}
	if (!S.failed)
		PFAIL("did not settle");
}

static void
reask_all(void)
{
	size_t i, pass;
	struct pmsg m;

	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < S.n; i++) {
			if (S.node[i].tc == NULL)
				continue;
			memset(&m, 0, sizeof(m));
			m.kind = S.algo == TLV_DECISION_ALGORITHM_LMS ? PK_QUORUM : PK_MEMBERSHIP;
			m.ring = S.block_ring[S.node[i].block];
			m.nids = block_ids(S.node[i].block, m.ids);
			m.heur = S.node[i].heur;
			pq_push(&S.node[i].out, &m);
			drain();
		}
	}
}

static void
settle_and_check(void)
{
	struct pnode *pn;
	struct pmsg m;
	size_t i;
	int win;

	S.fail_sends = 0;
	/* The grace is over: the drain fires the timers that decide again. */
	S.mem_left = 0;
	drain();
	if (S.lost_reply && S.algo == TLV_DECISION_ALGORITHM_FFSPLIT) {
		for (i = 0; i < S.n; i++) {
			pn = &S.node[i];
			if (pn->tc != NULL && pn->tc->c.last_membership_node_list.count > 0) {
				enqueue_membership(pn);
				break;
			}
		}
		drain();
	}
	if (S.hostile && S.algo == TLV_DECISION_ALGORITHM_FFSPLIT) {
		/*
		 * Out-of-order start-ups may never trigger a decision (as
		 * upstream); every node reports its config and view again.
		 */
		for (i = 0; i < S.n; i++) {
			pn = &S.node[i];
			if (pn->tc == NULL)
				continue;
			memset(&m, 0, sizeof(m));
			m.kind = PK_CONFIG_CHANGED;
			pq_push(&pn->out, &m);
			enqueue_membership(pn);
		}
		drain();
	}
	S.lost_reply = 0;
	S.settles++;
	switch (S.algo) {
	case TLV_DECISION_ALGORITHM_FFSPLIT:
		check_ffsplit_liveness();
		break;
	case TLV_DECISION_ALGORITHM_LMS:
		reask_all();
		win = lms_oracle();
		expect_holders(win, "lms rules");
		break;
	default:
		reask_all();
		win = twonode_oracle();
		expect_holders(win, "2nodelms rules");
		break;
	}
}

/*
 * The daemon restarts: every client goes as at a shutdown (no
 * recomputation), the memory holds what was noted last, the grace runs
 * until a random step before the next settle point, and the nodes come
 * back in random order.
 */
static void
restart(unsigned long next_settle)
{
	size_t i, k, t, order[MAXN];

	for (i = 0; i < S.n; i++)
		disconnect_node(&S.node[i], 1);
	memcpy(S.mem_ids, S.noted, S.noted_n * sizeof(*S.noted));
	S.mem_n = S.noted_n;
	S.mem_left = S.mem_n > 0 ? 1 + (uint32_t)rn(20000) : 0;
	S.mem_end_step = S.steps + rn(next_settle - S.steps);
	S.restarts++;
	if (g_trace)
		fprintf(stderr, "  restart: %zu node(s) remembered\n", S.mem_n);
	for (i = 0; i < S.n; i++)
		order[i] = i;
	for (i = S.n; i > 1; i--) {
		k = rn(i);
		t = order[i - 1];
		order[i - 1] = order[k];
		order[k] = t;
	}
	for (i = 0; i < S.n; i++)
		if (chance(80))
			ev_connect(&S.node[order[i]]);
}

static void
run_sequence(long idx, unsigned long steps)
{
	static const enum tlv_decision_algorithm algos[] = {
		TLV_DECISION_ALGORITHM_FFSPLIT, TLV_DECISION_ALGORITHM_FFSPLIT,
		TLV_DECISION_ALGORITHM_LMS, TLV_DECISION_ALGORITHM_2NODELMS,
	};
	unsigned long next_settle;
	size_t i;

	memset(&S, 0, sizeof(S));
	S.rng = g_seed * 0x100000001b3ULL + (uint64_t)idx;
	(void)rnd();
	algo_env_set(&p_env);
	if (cluster_registry_init(&S.reg) != 0)
		abort();
	S.algo = algos[rn(4)];
	S.hostile = chance(25);
	S.n = S.algo == TLV_DECISION_ALGORITHM_2NODELMS ? 2 : 2 + rn(MAXN - 1);
	S.tb.mode = (enum tlv_tie_breaker_mode)(1 + rn(3));
	S.tb.node_id = S.tb.mode == TLV_TIE_BREAKER_MODE_NODE_ID ? (uint32_t)(1 + rn(S.n + 1)) : 0;
	S.next_ring_seq = 1;
	S.epoch = 1;
	for (i = 0; i < S.n; i++) {
		S.node[i].id = (uint32_t)(i + 1);
		S.node[i].block = 0;
		S.node[i].kap = chance(70);
		S.node[i].heur = TLV_HEURISTICS_UNDEFINED;
	}
	S.block_ring[0] = new_ring(0);
	if (chance(33)) {
		/* A restarted daemon: some nodes remembered, some reconnect first. */
		for (i = 0; i < S.n; i++)
			if (chance(40))
				S.mem_ids[S.mem_n++] = S.node[i].id;
		S.mem_left = S.mem_n > 0 ? 1 + (uint32_t)rn(20000) : 0;
		S.mem_end_step = rn(300);
		for (i = 0; i < S.n; i++)
			S.node[i].block = (int)rn(2);
		S.block_ring[1] = new_ring(1);
		S.block_ring[0] = new_ring(0);
	}
	algo_memory_env_set(&p_mem_env);
	for (i = 0; i < S.n; i++)
		if (chance(70))
			ev_connect(&S.node[i]);
	next_settle = 50 + rn(400);
	for (S.steps = 0; S.steps < steps && !S.failed; S.steps++) {
		S.fail_sends = 1;
		if (S.steps == S.mem_end_step)
			S.mem_left = 0;
		if (S.mem_left > 0)
			S.withheld_steps++;
		random_event();
		if (S.algo == TLV_DECISION_ALGORITHM_FFSPLIT)
			check_ffsplit_safety();
		if (S.steps == next_settle) {
			settle_and_check();
			next_settle = S.steps + 50 + rn(400);
			if (!S.failed && chance(33))
				restart(next_settle);
		}
		if (S.next_ring_seq > MAXRINGS - 64)
			break;
	}
	if (!S.failed)
		settle_and_check();
	for (i = 0; i < S.n; i++)
		disconnect_node(&S.node[i], chance(50));
	if (S.reg.count != 0)
		PFAIL("cluster left behind");
	cluster_registry_destroy(&S.reg);
}

static unsigned long
param(int argc, char **argv, int i, const char *env, unsigned long def)
{
	const char *s;

	s = argc > i ? argv[i] : getenv(env);
	return (s != NULL ? strtoul(s, NULL, 0) : def);
}

int
main(int argc, char **argv)
{
	unsigned long seqs, steps, total_steps, total_settles, total_acks, total_restarts,
	    total_grace;
	const char *only;
	clock_t t0;
	long i, first, last;

	seqs = param(argc, argv, 1, "QNETD_PROPS_SEQUENCES", 300);
	steps = param(argc, argv, 2, "QNETD_PROPS_STEPS", 2000);
	g_seed = param(0, argv, 3, "QNETD_PROPS_SEED", 20261125);
	only = getenv("QNETD_PROPS_ONLY");
	g_trace = getenv("QNETD_PROPS_TRACE") != NULL;
	first = only != NULL ? atol(only) : 0;
	last = only != NULL ? first + 1 : (long)seqs;
	total_steps = total_settles = total_acks = total_restarts = total_grace = 0;
	t0 = clock();
	for (i = first; i < last; i++) {
		g_seq_index = i;
		run_sequence(i, steps);
		total_steps += S.steps;
		total_settles += S.settles;
		total_acks += S.acks;
		total_restarts += S.restarts;
		total_grace += S.withheld_steps;
		if (S.failed)
			break;
	}
	printf("props: seed %" PRIu64 ", %ld sequences x %lu steps: %lu steps, %lu settle "
	    "checks, %lu ACKs delivered, %.1f s\n", g_seed, last - first, steps, total_steps,
	    total_settles, total_acks, (double)(clock() - t0) / CLOCKS_PER_SEC);
	printf("props: %lu restarts, %lu steps in a grace\n", total_restarts, total_grace);
	return (check_exit("algo_props"));
}
