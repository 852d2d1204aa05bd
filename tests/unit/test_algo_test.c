/*
 * test_algo_test.c - the "test" algorithm (protocol.md 3.2) and algo_get.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdlib.h>

#include "check.h"
#include "algo_harness.h"

#define NO_ERR TLV_REPLY_ERROR_CODE_NO_ERROR

static void
test_table(void)
{
	struct cluster_registry reg;
	struct tclient *a, *b;
	enum tlv_vote v;
	int resched, send;
	static const uint32_t l1[] = { 1 }, l2[] = { 2 }, l12[] = { 1, 2 };

	h_setup();
	if (cluster_registry_init(&reg) != 0)
		abort();
	a = h_new("t", 1, TLV_DECISION_ALGORITHM_TEST, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 1));
	b = h_new("t", 2, TLV_DECISION_ALGORITHM_TEST, TLV_TIE_BREAKER_MODE_LOWEST, 0, h_ring(1, 1));
	CHECK_EQ(h_init(&reg, a), NO_ERR);
	CHECK_EQ(h_init(&reg, b), NO_ERR);
	CHECK_EQ(h_config(a, 1, l12, 2, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NO_CHANGE);
	/* Both halves of a split get ACK: that is why it is only for tests. */
	CHECK_EQ(h_membership(a, h_ring(1, 2), l1, 1, TLV_HEURISTICS_FAIL, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ACK);
	CHECK_EQ(h_membership(b, h_ring(2, 2), l2, 1, TLV_HEURISTICS_FAIL, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ACK);
	CHECK_EQ(h_quorum(a, l12, 2, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NO_CHANGE);
	CHECK_EQ(h_ask(b, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_ACK);
	CHECK_EQ(h_heur(b, TLV_HEURISTICS_PASS, &v), NO_ERR);
	CHECK_EQ(v, TLV_VOTE_NO_CHANGE);
	CHECK_EQ(h_reply(a, 1), NO_ERR);
	resched = send = 1;
	CHECK_EQ(algo_test_ops.timer_callback(&a->c, &resched, &send, &v), NO_ERR);
	CHECK_EQ(resched, 0);
	CHECK_EQ(send, 0);
	CHECK_EQ(h_rec.nvotes, 0);
	h_disconnect(&reg, a, 0);
	h_disconnect(&reg, b, 0);
	CHECK_EQ(reg.count, 0);
	h_free(a);
	h_free(b);
	cluster_registry_destroy(&reg);
}

static void
test_algo_get(void)
{

	CHECK(algo_get(0) == &algo_test_ops);
	CHECK(algo_get(1) == &algo_ffsplit_ops);
	CHECK(algo_get(2) == &algo_2nodelms_ops);
	CHECK(algo_get(3) == &algo_lms_ops);
	CHECK(algo_get(4) == NULL);
	CHECK(algo_get(UINT32_MAX) == NULL);
	CHECK(algo_get(1)->name != NULL);
	h_setup();
	CHECK(algo_env_get() == &h_env);
}

int
main(void)
{

	test_table();
	test_algo_get();
	return (check_exit("algo_test"));
}
