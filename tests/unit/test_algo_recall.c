/*
 * test_algo_recall.c - decision tables for the vote memory after a
 * restart of the daemon (docs/compat.md, "Restart during a standing
 * split"): ffsplit with keep-active-partition on and off, lms and
 * 2nodelms, with a remembered partition whose grace is running or over,
 * and the grace expiry path (the algorithm timer decides again).
 *
 * The story of issue 15: two nodes, node 2 alone held the vote, node 1
 * is back but cannot see node 2; the daemon restarts and the clients
 * reconnect in either order.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdio.h>
#include <stdlib.h>

#include "algo_harness.h"
#include "check.h"

#define FF TLV_DECISION_ALGORITHM_FFSPLIT
#define LMS TLV_DECISION_ALGORITHM_LMS
#define TWO TLV_DECISION_ALGORITHM_2NODELMS
#define LOW TLV_TIE_BREAKER_MODE_LOWEST
#define NO_ERR TLV_REPLY_ERROR_CODE_NO_ERROR
#define U TLV_HEURISTICS_UNDEFINED
#define P TLV_HEURISTICS_PASS
#define F TLV_HEURISTICS_FAIL
#define ACK TLV_VOTE_ACK
#define NACK TLV_VOTE_NACK

static const uint32_t l12[] = { 1, 2 };
static const uint32_t l1[] = { 1 };
static const uint32_t l2[] = { 2 };

/* The fake memory: one cluster, "c". */
static struct {
	enum tlv_decision_algorithm algo;
	uint32_t ids[8];
	size_t n;
	uint32_t left_ms; /* 0: grace over */
	uint32_t noted[8];
	size_t noted_n;
	size_t notes;
	int other_algo; /* the memory is for another algorithm */
} mem;

static int
m_recall(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    struct algo_recall *out)
{

	(void)cluster;
	if (mem.n == 0 || mem.left_ms == 0 || algorithm != mem.algo)
		return (0);
	out->ids = mem.ids;
	out->n = mem.n;
	out->grace_left_ms = mem.left_ms;
	return (1);
}

static void
m_note(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    const uint32_t *ids, size_t n)
{

	(void)cluster;
	CHECK(algorithm == mem.algo || mem.other_algo);
	CHECK(n <= 8);
	mem.noted_n = n < 8 ? n : 8;
	memcpy(mem.noted, ids, mem.noted_n * sizeof(*ids));
	mem.notes++;
}

static const struct algo_memory_env m_env = { .recall = m_recall, .note = m_note };

struct world {
	struct cluster_registry reg;
	struct tclient *n[3];
	enum tlv_decision_algorithm algo;
	int kap;
};

/* A restarted daemon that remembers node 2's partition, grace 16 s. */
static void
w_init(struct world *w, enum tlv_decision_algorithm algo, int kap, int remember)
{

	h_setup();
	memset(w, 0, sizeof(*w));
	memset(&mem, 0, sizeof(mem));
	if (cluster_registry_init(&w->reg) != 0)
		abort();
	w->algo = algo;
	w->kap = kap;
	mem.algo = algo;
	if (remember) {
		mem.ids[0] = 2;
		mem.n = 1;
		mem.left_ms = 16000;
	}
	algo_memory_env_set(&m_env);
}

static void
w_fini(struct world *w)
{
	size_t i;

	for (i = 1; i <= 2; i++) {
		if (w->n[i] == NULL)
			continue;
		h_disconnect(&w->reg, w->n[i], 1);
		h_free(w->n[i]);
	}
	cluster_registry_destroy(&w->reg);
	algo_memory_env_set(NULL);
}

static void
reply_all(void)
{
	size_t i, n;

	n = h_rec.nvotes;
	for (i = 0; i < n; i++)
		CHECK_EQ(h_reply(h_tc(h_rec.votes[i].client), h_rec.votes[i].seq), NO_ERR);
}

/* ffsplit: answer VOTE_INFOs until the round is over. */
static void
settle(void)
{
	size_t done = 0;

	while (done < h_rec.nvotes) {
		CHECK_EQ(h_reply(h_tc(h_rec.votes[done].client), h_rec.votes[done].seq), NO_ERR);
		done++;
	}
}

static enum tlv_vote
last_vote(const struct tclient *tc)
{
	const struct h_vote *v;

	v = h_last_vote_to(tc);
	return (v != NULL ? v->vote : TLV_VOTE_UNDEFINED);
}

/* Node id connects alone in its partition, with heuristics h; the reply vote. */
static enum tlv_vote
w_connect(struct world *w, uint32_t id, enum tlv_heuristics h)
{
	enum tlv_vote v;

	w->n[id] = h_new("c", id, w->algo, LOW, 0, h_ring(0, 0));
	w->n[id]->c.keep_active_partition_tie_breaker = w->kap;
	CHECK_EQ(h_init(&w->reg, w->n[id]), NO_ERR);
	CHECK_EQ(h_config(w->n[id], 1, l12, 2, &v), NO_ERR);
	CHECK_EQ(h_membership(w->n[id], h_ring(id, 10 + id), id == 1 ? l1 : l2, 1, h, &v), NO_ERR);
	/* lms decides on stored rings: the quorum list that follows decides. */
	if (w->algo == LMS)
		CHECK_EQ(h_quorum(w->n[id], id == 1 ? l1 : l2, 1, &v), NO_ERR);
	return (v);
}

/* ---- ffsplit ---- */

/* Node 1 first: no ACK during the grace; node 2 back: it gets the vote. */
static void
test_ffsplit_remembered_returns(void)
{
	struct world w;

	w_init(&w, FF, 1, 1);
	CHECK_EQ(w_connect(&w, 1, U), TLV_VOTE_NO_CHANGE);
	CHECK_EQ(last_vote(w.n[1]), NACK);
	CHECK(w.n[1]->timer_armed);
	CHECK_EQ(w.n[1]->timer_ms, 16000);
	CHECK_EQ(mem.notes, 0); /* a withheld round keeps the memory */
	settle();
	CHECK_EQ(last_vote(w.n[1]), NACK);
	h_clear_votes();
	CHECK_EQ(w_connect(&w, 2, U), TLV_VOTE_NO_CHANGE);
	settle();
	CHECK_EQ(last_vote(w.n[1]), NACK);
	CHECK_EQ(last_vote(w.n[2]), ACK);
	CHECK(!w.n[1]->timer_armed); /* decided: no re-run at the grace end */
	CHECK_EQ(mem.noted_n, 1);
	CHECK_EQ(mem.noted[0], 2);
	w_fini(&w);
}

/* Node 2 first: it gets the vote; node 1 then loses the KAP step. */
static void
test_ffsplit_remembered_first(void)
{
	struct world w;

	w_init(&w, FF, 1, 1);
	w_connect(&w, 2, U);
	settle();
	CHECK_EQ(last_vote(w.n[2]), ACK);
	h_clear_votes();
	w_connect(&w, 1, U);
	settle();
	CHECK_EQ(last_vote(w.n[1]), NACK);
	CHECK_EQ(h_votes_to(w.n[2]), 1);
	CHECK_EQ(last_vote(w.n[2]), ACK);
	w_fini(&w);
}

/* Node 2 never comes back: the grace ends, the timer decides, node 1 wins. */
static void
test_ffsplit_grace_expires(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, FF, 1, 1);
	w_connect(&w, 1, U);
	settle();
	h_clear_votes();
	/* The timer fires early (still 5 ms left): withheld again, re-armed. */
	mem.left_ms = 5;
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	settle();
	CHECK_EQ(last_vote(w.n[1]), NACK);
	CHECK(w.n[1]->timer_armed);
	CHECK_EQ(w.n[1]->timer_ms, 5);
	h_clear_votes();
	mem.left_ms = 0;
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	settle();
	CHECK_EQ(last_vote(w.n[1]), ACK);
	CHECK(!w.n[1]->timer_armed);
	CHECK_EQ(mem.noted_n, 1);
	CHECK_EQ(mem.noted[0], 1);
	/* Node 2 comes late: normal KAP, node 1 keeps the vote. */
	h_clear_votes();
	w_connect(&w, 2, U);
	settle();
	CHECK_EQ(last_vote(w.n[2]), NACK);
	CHECK_EQ(last_vote(w.n[1]), ACK);
	w_fini(&w);
}

/* The trigger of a withheld round leaves: another client holds the timer. */
static void
test_ffsplit_timer_moves(void)
{
	struct world w;
	static const uint32_t l123[] = { 1, 2, 3 };
	struct tclient *n3;
	enum tlv_vote v;

	w_init(&w, FF, 1, 1);
	w_connect(&w, 1, U);
	settle();
	/* Node 3 of a 3-node config joins node 1's partition (config changes too). */
	n3 = h_new("c", 3, FF, LOW, 0, h_ring(0, 0));
	n3->c.keep_active_partition_tie_breaker = 1;
	CHECK_EQ(h_init(&w.reg, n3), NO_ERR);
	CHECK_EQ(h_config(n3, 1, l123, 3, &v), NO_ERR);
	CHECK_EQ(h_config(w.n[1], 0, l123, 3, &v), NO_ERR);
	CHECK_EQ(h_membership(w.n[1], h_ring(1, 20), (const uint32_t[]){ 1, 3 }, 2, U, &v), NO_ERR);
	CHECK_EQ(h_membership(n3, h_ring(1, 20), (const uint32_t[]){ 1, 3 }, 2, U, &v), NO_ERR);
	settle();
	/* {1,3} is a majority of 3 and holds no remembered node: still withheld. */
	CHECK_EQ(last_vote(n3), NACK);
	CHECK(n3->timer_armed);
	h_clear_votes();
	h_disconnect(&w.reg, n3, 0);
	settle();
	CHECK(w.n[1]->timer_armed);
	h_free(n3);
	mem.left_ms = 0;
	h_clear_votes();
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	settle();
	/* Node 1 still reports {1,3}, a majority of 3: the grace is over, ACK. */
	CHECK_EQ(last_vote(w.n[1]), ACK);
	CHECK(!w.n[1]->timer_armed);
	w_fini(&w);
}

/* The remembered partition is back but no longer qualifies: normal rules. */
static void
test_ffsplit_remembered_loses(void)
{
	struct world w;

	w_init(&w, FF, 1, 1);
	w_connect(&w, 1, P);
	settle();
	h_clear_votes();
	w_connect(&w, 2, F);
	settle();
	CHECK_EQ(last_vote(w.n[1]), ACK);
	CHECK_EQ(last_vote(w.n[2]), NACK);
	w_fini(&w);
}

/* Keep-active-partition off: the memory changes nothing. */
static void
test_ffsplit_kap_off(void)
{
	struct world w;

	w_init(&w, FF, 0, 1);
	w_connect(&w, 1, U);
	settle();
	CHECK_EQ(last_vote(w.n[1]), ACK);
	CHECK(!w.n[1]->timer_armed);
	w_fini(&w);
}

/* Without a memory (stale or none), the first one back wins: upstream. */
static void
test_ffsplit_no_memory(void)
{
	struct world w;

	w_init(&w, FF, 1, 0);
	w_connect(&w, 1, U);
	settle();
	CHECK_EQ(last_vote(w.n[1]), ACK);
	h_clear_votes();
	w_connect(&w, 2, U);
	settle();
	CHECK_EQ(last_vote(w.n[2]), NACK);
	CHECK_EQ(h_votes_to(w.n[1]), 1);
	w_fini(&w);
}

/* A memory of another algorithm is not applied. */
static void
test_ffsplit_other_algorithm(void)
{
	struct world w;

	w_init(&w, FF, 1, 1);
	mem.algo = LMS;
	mem.other_algo = 1;
	w_connect(&w, 1, U);
	settle();
	CHECK_EQ(last_vote(w.n[1]), ACK);
	w_fini(&w);
}

/* ---- lms ---- */

static void
test_lms_remembered_returns(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, LMS, 0, 1);
	CHECK_EQ(w_connect(&w, 1, U), TLV_VOTE_WAIT_FOR_REPLY);
	CHECK(w.n[1]->timer_armed);
	CHECK_EQ(w.n[1]->timer_ms, 2000); /* HB/4, shorter than the grace */
	CHECK_EQ(mem.notes, 0);
	CHECK_EQ(w_connect(&w, 2, U), ACK); /* the tie goes to the remembered node */
	CHECK_EQ(mem.noted_n, 1);
	CHECK_EQ(mem.noted[0], 2);
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, NACK); /* a newcomer against the holder */
	CHECK_EQ(last_vote(w.n[1]), NACK);
	w_fini(&w);
}

static void
test_lms_remembered_first(void)
{
	struct world w;

	w_init(&w, LMS, 0, 1);
	CHECK_EQ(w_connect(&w, 2, U), ACK);
	CHECK_EQ(w_connect(&w, 1, U), NACK);
	w_fini(&w);
}

static void
test_lms_grace_expires(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, LMS, 0, 1);
	CHECK_EQ(w_connect(&w, 1, U), TLV_VOTE_WAIT_FOR_REPLY);
	mem.left_ms = 700;
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_WAIT_FOR_REPLY);
	CHECK_EQ(w.n[1]->timer_ms, 700); /* the grace end, sooner than HB/4 */
	CHECK(w.n[1]->timer_armed);
	mem.left_ms = 0;
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, ACK);
	CHECK_EQ(last_vote(w.n[1]), ACK);
	CHECK_EQ(mem.noted_n, 1);
	CHECK_EQ(mem.noted[0], 1);
	/* Node 2 late: a newcomer against the holder. */
	CHECK_EQ(w_connect(&w, 2, U), NACK);
	w_fini(&w);
}

static void
test_lms_no_memory(void)
{
	struct world w;

	w_init(&w, LMS, 0, 0);
	CHECK_EQ(w_connect(&w, 1, U), ACK);
	CHECK_EQ(w_connect(&w, 2, U), NACK);
	w_fini(&w);
}

/* The holder leaving (not a shutdown) empties the memory; a shutdown does not. */
static void
test_lms_notes_on_leave(void)
{
	struct world w;

	w_init(&w, LMS, 0, 0);
	CHECK_EQ(w_connect(&w, 2, U), ACK);
	CHECK_EQ(mem.noted_n, 1);
	h_disconnect(&w.reg, w.n[2], 0);
	h_free(w.n[2]);
	w.n[2] = NULL;
	CHECK_EQ(mem.noted_n, 0);
	CHECK_EQ(w_connect(&w, 1, U), ACK);
	mem.notes = 0;
	h_disconnect(&w.reg, w.n[1], 1);
	h_free(w.n[1]);
	w.n[1] = NULL;
	CHECK_EQ(mem.notes, 0);
	w_fini(&w);
}

/* ---- 2nodelms ---- */

static void
test_2nodelms_remembered_returns(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, TWO, 0, 1);
	CHECK_EQ(w_connect(&w, 1, U), TLV_VOTE_WAIT_FOR_REPLY);
	CHECK(w.n[1]->timer_armed);
	CHECK_EQ(w.n[1]->timer_ms, 16000);
	CHECK_EQ(h_ask(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ASK_LATER);
	CHECK_EQ(w_connect(&w, 2, U), ACK);
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, NACK);
	CHECK_EQ(last_vote(w.n[1]), NACK);
	CHECK(!w.n[1]->timer_armed);
	w_fini(&w);
}

static void
test_2nodelms_grace_expires(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, TWO, 0, 1);
	CHECK_EQ(w_connect(&w, 1, U), TLV_VOTE_WAIT_FOR_REPLY);
	mem.left_ms = 0;
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, ACK);
	CHECK_EQ(last_vote(w.n[1]), ACK);
	CHECK_EQ(mem.noted[0], 1);
	CHECK_EQ(w_connect(&w, 2, U), NACK);
	w_fini(&w);
}

/* Heuristics still decide: the remembered node with a failing check loses. */
static void
test_2nodelms_remembered_loses(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, TWO, 0, 1);
	CHECK_EQ(w_connect(&w, 1, P), TLV_VOTE_WAIT_FOR_REPLY);
	CHECK_EQ(w_connect(&w, 2, F), NACK);
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, ACK);
	w_fini(&w);
}

static void
test_2nodelms_no_memory(void)
{
	struct world w;

	w_init(&w, TWO, 0, 0);
	CHECK_EQ(w_connect(&w, 1, U), ACK);
	CHECK_EQ(w_connect(&w, 2, U), NACK);
	w_fini(&w);
}

int
main(void)
{

	test_ffsplit_remembered_returns();
	test_ffsplit_remembered_first();
	test_ffsplit_grace_expires();
	test_ffsplit_timer_moves();
	test_ffsplit_remembered_loses();
	test_ffsplit_kap_off();
	test_ffsplit_no_memory();
	test_ffsplit_other_algorithm();
	test_lms_remembered_returns();
	test_lms_remembered_first();
	test_lms_grace_expires();
	test_lms_no_memory();
	test_lms_notes_on_leave();
	test_2nodelms_remembered_returns();
	test_2nodelms_grace_expires();
	test_2nodelms_remembered_loses();
	test_2nodelms_no_memory();
	(void)reply_all;
	return (check_exit("algo_recall"));
}
