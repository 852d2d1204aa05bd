/*
 * test_algo_2nodelms.c - decision tables for 2nodelms (protocol.md 3.5).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdlib.h>

#include "check.h"
#include "algo_harness.h"

#define TWO TLV_DECISION_ALGORITHM_2NODELMS
#define NO_ERR TLV_REPLY_ERROR_CODE_NO_ERROR
#define U TLV_HEURISTICS_UNDEFINED
#define P TLV_HEURISTICS_PASS
#define F TLV_HEURISTICS_FAIL

static const uint32_t l1[] = { 1 }, l2[] = { 2 }, l12[] = { 1, 2 }, l123[] = { 1, 2, 3 };

struct world {
	struct cluster_registry reg;
	struct tclient *n[3];
};

static void
w_init(struct world *w, int count, enum tlv_tie_breaker_mode tb, uint32_t tb_node)
{
	int i;

	h_setup();
	memset(w, 0, sizeof(*w));
	if (cluster_registry_init(&w->reg) != 0)
		abort();
	for (i = 1; i <= count; i++) {
		w->n[i] = h_new("c", (uint32_t)i, TWO, tb, tb_node, h_ring(1, 1));
		CHECK_EQ(h_init(&w->reg, w->n[i]), NO_ERR);
	}
}

static void
w_fini(struct world *w)
{
	int i;

	for (i = 1; i <= 2; i++) {
		if (w->n[i] == NULL)
			continue;
		h_disconnect(&w->reg, w->n[i], 1);
		h_free(w->n[i]);
	}
	cluster_registry_destroy(&w->reg);
}

static enum tlv_vote
memb(struct world *w, int i, struct tlv_ring_id r, const uint32_t *ids, size_t n,
    enum tlv_heuristics h)
{
	enum tlv_vote v;

	CHECK_EQ(h_membership(w->n[i], r, ids, n, h, &v), NO_ERR);
	return (v);
}

static void
test_config(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, 1, TLV_TIE_BREAKER_MODE_LOWEST, 0);
	CHECK_EQ(h_config(w.n[1], 1, l123, 3, &v), TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM);
	CHECK_EQ(w.n[1]->c.configuration_node_list.count, 0);
	CHECK_EQ(h_config(w.n[1], 1, l1, 1, &v), TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM);
	CHECK_EQ(h_config(w.n[1], 1, l12, 2, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NO_CHANGE);
	CHECK_EQ(h_quorum(w.n[1], l12, 2, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NO_CHANGE);
	CHECK_EQ(h_heur(w.n[1], P, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NO_CHANGE);
	CHECK_EQ(h_ask(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ASK_LATER);	/* nothing decided yet */
	w_fini(&w);
}

/* [verified] {1} vs {2}: node 1 ACK, node 2 NACK (lowest). */
static void
test_verified_split(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, 1, TLV_TIE_BREAKER_MODE_LOWEST, 0);
	w.n[2] = h_new("c", 2, TWO, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 1));
	CHECK_EQ(h_init(&w.reg, w.n[2]), NO_ERR);
	CHECK_EQ(memb(&w, 1, h_ring(1, 1), l12, 2, U), TLV_VOTE_ACK);
	CHECK_EQ(memb(&w, 2, h_ring(1, 1), l12, 2, U), TLV_VOTE_ACK);
	CHECK_EQ(memb(&w, 1, h_ring(1, 2), l1, 1, U), TLV_VOTE_ACK);
	CHECK_EQ(memb(&w, 2, h_ring(2, 2), l2, 1, U), TLV_VOTE_NACK);
	CHECK_EQ(h_ask(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ACK);
	CHECK_EQ(h_ask(w.n[2], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NACK);
	/* No re-vote when node 1 leaves; node 2 learns on its next membership. */
	h_disconnect(&w.reg, w.n[1], 0);
	h_free(w.n[1]);
	w.n[1] = NULL;
	CHECK_EQ(h_rec.nvotes, 0);
	CHECK_EQ(h_ask(w.n[2], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NACK);
	CHECK_EQ(memb(&w, 2, h_ring(2, 3), l2, 1, U), TLV_VOTE_ACK);	/* last man */
	w_fini(&w);
}

/* Heuristics first, then each tie-breaker mode. */
static void
test_table(void)
{
	static const struct {
		enum tlv_tie_breaker_mode mode;
		uint32_t node;
		enum tlv_heuristics h1, h2;
		enum tlv_vote v1, v2;
	} rows[] = {
		{ TLV_TIE_BREAKER_MODE_LOWEST, 0, U, U, TLV_VOTE_ACK, TLV_VOTE_NACK },
		{ TLV_TIE_BREAKER_MODE_HIGHEST, 0, U, U, TLV_VOTE_NACK, TLV_VOTE_ACK },
		{ TLV_TIE_BREAKER_MODE_NODE_ID, 2, P, P, TLV_VOTE_NACK, TLV_VOTE_ACK },
		{ TLV_TIE_BREAKER_MODE_NODE_ID, 5, U, U, TLV_VOTE_NACK, TLV_VOTE_NACK },
		{ TLV_TIE_BREAKER_MODE_LOWEST, 0, F, P, TLV_VOTE_NACK, TLV_VOTE_ACK },
		{ TLV_TIE_BREAKER_MODE_HIGHEST, 0, P, U, TLV_VOTE_ACK, TLV_VOTE_NACK },
	};
	struct world w;
	size_t r;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		w_init(&w, 1, rows[r].mode, rows[r].node);
		w.n[2] = h_new("c", 2, TWO, rows[r].mode, rows[r].node, h_ring(1, 1));
		CHECK_EQ(h_init(&w.reg, w.n[2]), NO_ERR);
		CHECK_EQ(memb(&w, 1, h_ring(1, 1), l12, 2, rows[r].h1), TLV_VOTE_ACK);
		CHECK_EQ(memb(&w, 2, h_ring(1, 1), l12, 2, rows[r].h2), TLV_VOTE_ACK);
		/* Each compares its new value with the other's stored one. */
		CHECK_EQ(memb(&w, 1, h_ring(1, 2), l1, 1, rows[r].h1), rows[r].v1);
		CHECK_EQ(memb(&w, 2, h_ring(2, 2), l2, 1, rows[r].h2), rows[r].v2);
		w_fini(&w);
	}
}

/* Newcomer: a fresh node on another ring gets NACK while the other holds ACK. */
static void
test_newcomer(void)
{
	struct world w;
	enum tlv_vote v;

	w_init(&w, 0, TLV_TIE_BREAKER_MODE_LOWEST, 0);
	w.n[2] = h_new("c", 2, TWO, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(2, 1));
	CHECK_EQ(h_init(&w.reg, w.n[2]), NO_ERR);
	CHECK_EQ(memb(&w, 2, h_ring(2, 2), l2, 1, U), TLV_VOTE_ACK);	/* alone */
	w.n[1] = h_new("c", 1, TWO, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 2));
	CHECK_EQ(h_init(&w.reg, w.n[1]), NO_ERR);
	CHECK_EQ(memb(&w, 1, h_ring(1, 2), l1, 1, U), TLV_VOTE_NACK);	/* lowest, but a newcomer */
	CHECK_EQ(h_ask(w.n[1], &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ASK_LATER);	/* the NACK was not stored */
	/* Once node 2 re-decides (lowest -> NACK), node 1 can win. */
	CHECK_EQ(memb(&w, 2, h_ring(2, 3), l2, 1, U), TLV_VOTE_NACK);
	CHECK_EQ(memb(&w, 1, h_ring(1, 3), l1, 1, U), TLV_VOTE_ACK);
	w_fini(&w);
}

int
main(void)
{

	test_config();
	test_verified_split();
	test_table();
	test_newcomer();
	return (check_exit("algo_2nodelms"));
}
