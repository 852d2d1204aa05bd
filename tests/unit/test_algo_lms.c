/*
 * test_algo_lms.c - decision tables for lms (protocol.md 3.4), with the
 * [verified] 3-node split driven by the algorithm timer, the kept
 * quirks (size and tie-breaker scope, INT_MAX start, newcomer rule) and
 * the node-id tie-breaker fix.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdlib.h>

#include "check.h"
#include "algo_harness.h"

#define LMS TLV_DECISION_ALGORITHM_LMS
#define NO_ERR TLV_REPLY_ERROR_CODE_NO_ERROR
#define U TLV_HEURISTICS_UNDEFINED
#define P TLV_HEURISTICS_PASS
#define F TLV_HEURISTICS_FAIL

struct world {
	struct cluster_registry reg;
	struct tclient *n[9];
	size_t cnt;
};

static const uint32_t ids_of[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };

static void
w_init(struct world *w, size_t cnt, enum tlv_tie_breaker_mode tb, uint32_t tb_node,
    struct tlv_ring_id ring)
{
	size_t i;

	h_setup();
	memset(w, 0, sizeof(*w));
	if (cluster_registry_init(&w->reg) != 0)
		abort();
	w->cnt = cnt;
	for (i = 1; i <= cnt; i++) {
		w->n[i] = h_new("c", (uint32_t)i, LMS, tb, tb_node, ring);
		CHECK_EQ(h_init(&w->reg, w->n[i]), NO_ERR);
	}
}

static void
w_fini(struct world *w)
{
	size_t i;

	for (i = 1; i <= w->cnt; i++) {
		if (w->n[i] == NULL)
			continue;
		h_disconnect(&w->reg, w->n[i], 1);
		h_free(w->n[i]);
	}
	cluster_registry_destroy(&w->reg);
}

/* Nodes first..last report ring r with membership first..last, heuristics h. */
static void
report(struct world *w, size_t first, size_t last, struct tlv_ring_id r, enum tlv_heuristics h)
{
	enum tlv_vote v;
	size_t i;

	for (i = first; i <= last; i++)
		CHECK_EQ(h_membership(w->n[i], r, &ids_of[first], last - first + 1, h, &v), NO_ERR);
}

static enum tlv_vote
ask(struct world *w, size_t i)
{
	enum tlv_vote v;

	CHECK_EQ(h_ask(w->n[i], &v), NO_ERR);
	return (v);
}

/* [verified] 3 nodes: {1} on ring 1.c vs {2,3} on ring 2.c. */
static void
test_verified_3node(void)
{
	struct world w;
	enum tlv_vote v;
	static const uint32_t l1[] = { 1 }, l23[] = { 2, 3 }, l123[] = { 1, 2, 3 };
	size_t i;

	w_init(&w, 3, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 0xb));
	for (i = 1; i <= 3; i++) {
		CHECK_EQ(h_config(w.n[i], 1, l123, 3, &v), NO_ERR);
		CHECK_EQ(v, TLV_VOTE_NO_CHANGE);
	}
	for (i = 1; i <= 3; i++) {
		CHECK_EQ(h_membership(w.n[i], h_ring(1, 0xb), l123, 3, U, &v), NO_ERR);
		CHECK_EQ(v, TLV_VOTE_ACK);	/* one partition */
	}
	CHECK_EQ(h_membership(w.n[1], h_ring(1, 0xc), l1, 1, U, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_WAIT_FOR_REPLY);
	CHECK(w.n[1]->timer_armed && w.n[1]->timer_ms == 2000);
	CHECK_EQ(h_membership(w.n[2], h_ring(2, 0xc), l23, 2, U, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_WAIT_FOR_REPLY);
	CHECK_EQ(h_membership(w.n[3], h_ring(2, 0xc), l23, 2, U, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_WAIT_FOR_REPLY);
	CHECK_EQ(h_rec.nvotes, 0);
	for (i = 1; i <= 3; i++) {
		CHECK(w.n[i]->timer_armed);
		CHECK_EQ(h_fire_timer(w.n[i], &v), NO_ERR);
		CHECK(!w.n[i]->timer_armed);
	}
	CHECK_EQ(h_rec.nvotes, 3);
	CHECK(h_rec.votes[0].client == &w.n[1]->c && h_rec.votes[0].vote == TLV_VOTE_NACK);
	CHECK(h_rec.votes[1].client == &w.n[2]->c && h_rec.votes[1].vote == TLV_VOTE_ACK);
	CHECK(h_rec.votes[2].client == &w.n[3]->c && h_rec.votes[2].vote == TLV_VOTE_ACK);
	CHECK_EQ(h_rec.votes[0].seq, 1);
	CHECK(h_rec.votes[1].ring.node_id == 2 && h_rec.votes[1].ring.seq == 0xc);
	/* Later quorum lists and vote requests agree. */
	CHECK_EQ(h_quorum(w.n[1], l123, 3, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NACK);
	CHECK_EQ(ask(&w, 2), TLV_VOTE_ACK);
	CHECK_EQ(ask(&w, 3), TLV_VOTE_ACK);
	/* A disconnect pushes nothing to the others. */
	h_clear_votes();
	h_disconnect(&w.reg, w.n[2], 0);
	h_free(w.n[2]);
	w.n[2] = NULL;
	CHECK_EQ(h_rec.nvotes, 0);
	w_fini(&w);
}

/* The timer keeps waiting while our partition is not settled. */
static void
test_timer_wait(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, 2, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 0));
	/* Nobody has a ring yet (seq 0): no partition, wait. */
	CHECK_EQ(ask(&w, 1), TLV_VOTE_WAIT_FOR_REPLY);
	CHECK(w.n[1]->timer_armed);
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_WAIT_FOR_REPLY);
	CHECK(w.n[1]->timer_armed);	/* rescheduled */
	CHECK_EQ(h_rec.nvotes, 0);
	report(&w, 1, 2, h_ring(1, 5), U);
	CHECK_EQ(h_fire_timer(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ACK);
	CHECK(!w.n[1]->timer_armed);
	CHECK_EQ(h_rec.nvotes, 1);
	/* Other algorithm-neutral messages. */
	CHECK_EQ(h_heur(w.n[1], F, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NO_CHANGE);
	CHECK_EQ(h_reply(w.n[1], 1), NO_ERR);
	w_fini(&w);
}

/*
 * Tie-breakers in an even split with equal scores and sizes.  node_id
 * mode: the configured node's whole partition gets ACK (upstream: only
 * the configured node itself); an unconnected configured node: nobody.
 */
static void
test_tie_breakers(void)
{
	static const struct {
		enum tlv_tie_breaker_mode mode;
		uint32_t node;
		enum tlv_vote expect[5];
	} rows[] = {
		{ TLV_TIE_BREAKER_MODE_LOWEST, 0,
		    { 0, TLV_VOTE_ACK, TLV_VOTE_ACK, TLV_VOTE_NACK, TLV_VOTE_NACK } },
		{ TLV_TIE_BREAKER_MODE_HIGHEST, 0,
		    { 0, TLV_VOTE_NACK, TLV_VOTE_NACK, TLV_VOTE_ACK, TLV_VOTE_ACK } },
		{ TLV_TIE_BREAKER_MODE_NODE_ID, 2,
		    { 0, TLV_VOTE_ACK, TLV_VOTE_ACK, TLV_VOTE_NACK, TLV_VOTE_NACK } },
		{ TLV_TIE_BREAKER_MODE_NODE_ID, 4,
		    { 0, TLV_VOTE_NACK, TLV_VOTE_NACK, TLV_VOTE_ACK, TLV_VOTE_ACK } },
		{ TLV_TIE_BREAKER_MODE_NODE_ID, 7,
		    { 0, TLV_VOTE_NACK, TLV_VOTE_NACK, TLV_VOTE_NACK, TLV_VOTE_NACK } },
	};
	struct world w;
	size_t r, i;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		w_init(&w, 4, rows[r].mode, rows[r].node, h_ring(1, 1));
		report(&w, 1, 4, h_ring(1, 1), U);
		report(&w, 1, 2, h_ring(1, 2), U);
		report(&w, 3, 4, h_ring(3, 2), U);
		for (i = 1; i <= 4; i++)
			CHECK_EQ(ask(&w, i), rows[r].expect[i]);
		w_fini(&w);
	}
}

/* Highest score wins; a unique score needs no other criterion. */
static void
test_score(void)
{
	struct world w;

	w_init(&w, 3, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 1));
	report(&w, 1, 3, h_ring(1, 1), U);
	report(&w, 1, 2, h_ring(1, 2), F);	/* 2 nodes, score 0 */
	report(&w, 3, 3, h_ring(3, 2), P);	/* 1 node, score 2 */
	CHECK_EQ(ask(&w, 1), TLV_VOTE_NACK);
	CHECK_EQ(ask(&w, 2), TLV_VOTE_NACK);
	CHECK_EQ(ask(&w, 3), TLV_VOTE_ACK);
	w_fini(&w);
}

/*
 * Size scope (kept): with the top score shared, the largest partition
 * over ALL partitions wins, even a lower-scoring one.
 * A = {1,2} U,U score 2; B = {3} P score 2; C = {4,5,6} F score 0.
 */
static void
test_size_scope(void)
{
	struct world w;
	size_t i;

	w_init(&w, 6, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 1));
	report(&w, 1, 6, h_ring(1, 1), U);
	report(&w, 1, 2, h_ring(1, 2), U);
	report(&w, 3, 3, h_ring(3, 2), P);
	report(&w, 4, 6, h_ring(4, 2), F);
	for (i = 1; i <= 3; i++)
		CHECK_EQ(ask(&w, i), TLV_VOTE_NACK);
	for (i = 4; i <= 6; i++)
		CHECK_EQ(ask(&w, i), TLV_VOTE_ACK);
	w_fini(&w);
}

/*
 * Tie-breaker scope (kept): scores tie between {2} and {3}, sizes tie
 * everywhere, and the lowest node (1) sits in the lower-scoring {1},
 * which gets the ACK.
 */
static void
test_tb_scope(void)
{
	struct world w;

	w_init(&w, 3, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 1));
	report(&w, 1, 3, h_ring(1, 1), U);
	report(&w, 1, 1, h_ring(1, 2), F);
	report(&w, 2, 2, h_ring(2, 2), U);
	report(&w, 3, 3, h_ring(3, 2), U);
	CHECK_EQ(ask(&w, 1), TLV_VOTE_ACK);
	CHECK_EQ(ask(&w, 2), TLV_VOTE_NACK);
	CHECK_EQ(ask(&w, 3), TLV_VOTE_NACK);
	w_fini(&w);
}

/* Kept: the lowest search starts at INT_MAX, so bigger ids never win. */
static void
test_int_max(void)
{
	struct cluster_registry reg;
	struct tclient *a, *b;
	enum tlv_vote v;
	static const uint32_t la[] = { 0x80000001u }, lb[] = { 0x80000002u };

	h_setup();
	if (cluster_registry_init(&reg) != 0)
		abort();
	a = h_new("c", la[0], LMS, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 1));
	b = h_new("c", lb[0], LMS, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 1));
	CHECK_EQ(h_init(&reg, a), NO_ERR);
	CHECK_EQ(h_init(&reg, b), NO_ERR);
	CHECK_EQ(h_membership(a, h_ring(la[0], 2), la, 1, U, &v), NO_ERR);
	CHECK_EQ(h_membership(b, h_ring(lb[0], 2), lb, 1, U, &v), NO_ERR);
	CHECK_EQ(h_ask(a, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NACK);
	CHECK_EQ(h_ask(b, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NACK);
	h_disconnect(&reg, a, 1);
	h_disconnect(&reg, b, 1);
	h_free(a);
	h_free(b);
	cluster_registry_destroy(&reg);
}

/*
 * Newcomer rule: a node that never decided gets NACK (not stored) while
 * another ring holds ACK; once the holder loses it, the newcomer can win.
 */
static void
test_newcomer(void)
{
	struct world w;
	enum tlv_vote v;
	static const uint32_t l1[] = { 1 }, l2[] = { 2 };

	w_init(&w, 1, TLV_TIE_BREAKER_MODE_HIGHEST, 0, h_ring(1, 1));
	CHECK_EQ(h_membership(w.n[1], h_ring(1, 2), l1, 1, U, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ACK);
	w.cnt = 2;
	w.n[2] = h_new("c", 2, LMS, TLV_TIE_BREAKER_MODE_HIGHEST, 0, h_ring(2, 2));
	CHECK_EQ(h_init(&w.reg, w.n[2]), NO_ERR);
	CHECK_EQ(h_membership(w.n[2], h_ring(2, 2), l2, 1, U, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NACK);	/* highest would pick 2, but 1 holds ACK */
	CHECK_EQ(ask(&w, 2), TLV_VOTE_NACK);
	CHECK_EQ(ask(&w, 1), TLV_VOTE_NACK);	/* 1 re-decides: highest is 2 */
	CHECK_EQ(ask(&w, 2), TLV_VOTE_ACK);
	w_fini(&w);
}

/*
 * Caveat (kept): a stored WAIT_FOR_REPLY ends newcomer status, so the
 * timer's re-run may take the vote from the holder's partition.
 */
static void
test_newcomer_after_wait(void)
{
	struct world w;
	enum tlv_vote v;
	static const uint32_t l1[] = { 1 }, l2[] = { 2 }, l12[] = { 1, 2 };

	w_init(&w, 1, TLV_TIE_BREAKER_MODE_HIGHEST, 0, h_ring(1, 1));
	CHECK_EQ(h_membership(w.n[1], h_ring(1, 2), l1, 1, U, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ACK);
	w.cnt = 2;
	w.n[2] = h_new("c", 2, LMS, TLV_TIE_BREAKER_MODE_HIGHEST, 0, h_ring(1, 1));
	CHECK_EQ(h_init(&w.reg, w.n[2]), NO_ERR);
	/* Node 2 first reports an old view naming node 1: a newcomer, NACK. */
	CHECK_EQ(h_membership(w.n[2], h_ring(1, 1), l12, 2, U, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NACK);
	/* Its stored view still names node 1 on another ring: wait (stored). */
	CHECK_EQ(h_membership(w.n[2], h_ring(2, 3), l2, 1, U, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_WAIT_FOR_REPLY);
	/* The timer re-runs it as a non-newcomer: highest -> ACK, while node 1 still holds its ACK. */
	CHECK_EQ(h_fire_timer(w.n[2], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ACK);
	CHECK_EQ(w.n[1]->c.last_sent_ack_nack_vote, TLV_VOTE_ACK);
	CHECK_EQ(ask(&w, 1), TLV_VOTE_NACK);
	w_fini(&w);
}

int
main(void)
{

	test_verified_3node();
	test_timer_wait();
	test_tie_breakers();
	test_score();
	test_size_scope();
	test_tb_scope();
	test_int_max();
	test_newcomer();
	test_newcomer_after_wait();
	return (check_exit("algo_lms"));
}
