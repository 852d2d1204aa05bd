/*
 * algo_2nodelms.c - last man standing for two-node clusters
 * (protocol.md 3.5).  A node decides only when its membership changes;
 * the other node is not re-voted when one leaves (upstream behaviour,
 * kept on purpose: the other node learns on its next membership).
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdlib.h>

#include "algo/algo.h"
#include "algo_util.h"
#include "base/log.h"

static enum tlv_reply_error_code
twonode_config_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    int config_version_set, uint64_t config_version, const struct node_list *nodes, int initial,
    enum tlv_vote *result_vote)
{

	(void)msg_seq;
	(void)config_version_set;
	(void)config_version;
	(void)initial;
	if (nodes->count != 2) {
		log_client(LOG_INFO, client,
		    "2nodelms: cluster has %zu configured nodes, "
		    "not 2",
		    nodes->count);
		*result_vote = TLV_VOTE_NACK;
		return (TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM);
	}
	*result_vote = TLV_VOTE_NO_CHANGE;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

/*
 * A node that never voted must not pull the vote away from a partition
 * that already holds it (the same role KAP plays in ffsplit).
 */
static int
twonode_is_blocked_newcomer(const struct qnetd_client *client, const struct tlv_ring_id *ring_id)
{
	const struct qnetd_client *o;

	if (algo_last_result(client) != TLV_VOTE_UNDEFINED)
		return (0);
	TAILQ_FOREACH(o, &client->cluster->clients, cluster_entries) {
		if (!tlv_ring_id_eq(ring_id, &o->last_ring_id) &&
		    algo_last_result(o) == TLV_VOTE_ACK)
			return (1);
	}
	return (0);
}

static enum tlv_vote
twonode_tie_break(const struct qnetd_client *client, uint32_t low, uint32_t high)
{

	switch (client->tie_breaker.mode) {
	case TLV_TIE_BREAKER_MODE_LOWEST:
		return (client->node_id == low ? TLV_VOTE_ACK : TLV_VOTE_NACK);
	case TLV_TIE_BREAKER_MODE_HIGHEST:
		return (client->node_id == high ? TLV_VOTE_ACK : TLV_VOTE_NACK);
	case TLV_TIE_BREAKER_MODE_NODE_ID:
		return (
		    client->node_id == client->tie_breaker.node_id ? TLV_VOTE_ACK : TLV_VOTE_NACK);
	default:
		return (TLV_VOTE_NACK);
	}
}

static enum tlv_reply_error_code
twonode_membership_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    const struct tlv_ring_id *ring_id, const struct node_list *nodes,
    enum tlv_heuristics heuristics, enum tlv_vote *result_vote)
{
	const struct qnetd_client *o;
	enum tlv_heuristics other_heuristics;
	uint32_t low, high;
	size_t connected;
	int cmp;

	(void)msg_seq;
	if (twonode_is_blocked_newcomer(client, ring_id)) {
		/* Not stored: the node stays a newcomer until it really decides. */
		*result_vote = TLV_VOTE_NACK;
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	}
	if (nodes->count == 2) {
		*result_vote = algo_last_result_store(client, TLV_VOTE_ACK);
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	}

	connected = 0;
	low = UINT32_MAX;
	high = 0;
	other_heuristics = TLV_HEURISTICS_UNDEFINED;
	TAILQ_FOREACH(o, &client->cluster->clients, cluster_entries) {
		connected++;
		if (o->node_id < low)
			low = o->node_id;
		if (o->node_id > high)
			high = o->node_id;
		/* With more than two clients, the last other one counts (as upstream). */
		if (o != client)
			other_heuristics = o->last_heuristics;
	}
	if (connected == 1) {
		*result_vote = algo_last_result_store(client, TLV_VOTE_ACK);
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	}

	cmp = tlv_heuristics_cmp(heuristics, other_heuristics);
	if (cmp != 0)
		*result_vote =
		    algo_last_result_store(client, cmp > 0 ? TLV_VOTE_ACK : TLV_VOTE_NACK);
	else
		*result_vote = algo_last_result_store(client, twonode_tie_break(client, low, high));
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static enum tlv_reply_error_code
twonode_ask_for_vote_received(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_vote *result_vote)
{
	enum tlv_vote last;

	(void)msg_seq;
	last = algo_last_result(client);
	*result_vote = last == TLV_VOTE_UNDEFINED ? TLV_VOTE_ASK_LATER : last;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static enum tlv_reply_error_code
twonode_heuristics_change_received(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_heuristics heuristics, enum tlv_vote *result_vote)
{

	(void)msg_seq;
	(void)heuristics;
	log_client(LOG_INFO, client, "2nodelms: heuristics change is not supported");
	*result_vote = TLV_VOTE_NO_CHANGE;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

const struct algo_ops algo_2nodelms_ops = {
	.name = "2nodelms",
	.client_init = algo_last_result_client_init,
	.config_node_list_received = twonode_config_node_list_received,
	.membership_node_list_received = twonode_membership_node_list_received,
	.quorum_node_list_received = algo_quorum_node_list_no_change,
	.client_disconnect = algo_client_data_free,
	.ask_for_vote_received = twonode_ask_for_vote_received,
	.vote_info_reply_received = algo_vote_info_reply_ignored,
	.heuristics_change_received = twonode_heuristics_change_received,
	.timer_callback = algo_timer_none,
};
