/*
 * algo_test.c - the "test" decision algorithm (protocol.md 3.2): ACK to
 * every membership list and vote request, NO_CHANGE otherwise.  It can
 * leave several partitions quorate at once and exists for debugging.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "algo/algo.h"
#include "algo_util.h"
#include "base/log.h"

static enum tlv_reply_error_code
algo_test_client_init(struct qnetd_client *client)
{

	log_client(LOG_WARNING, client,
	    "uses the test algorithm, which can make "
	    "several partitions quorate at once; do not use it in production");
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static enum tlv_reply_error_code
algo_test_membership_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    const struct tlv_ring_id *ring_id, const struct node_list *nodes,
    enum tlv_heuristics heuristics, enum tlv_vote *result_vote)
{

	(void)client;
	(void)msg_seq;
	(void)ring_id;
	(void)nodes;
	(void)heuristics;
	*result_vote = TLV_VOTE_ACK;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static enum tlv_reply_error_code
algo_test_ask_for_vote_received(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_vote *result_vote)
{

	(void)client;
	(void)msg_seq;
	*result_vote = TLV_VOTE_ACK;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static enum tlv_reply_error_code
algo_test_heuristics_change_received(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_heuristics heuristics, enum tlv_vote *result_vote)
{

	(void)client;
	(void)msg_seq;
	(void)heuristics;
	*result_vote = TLV_VOTE_NO_CHANGE;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

const struct algo_ops algo_test_ops = {
	.name = "test",
	.client_init = algo_test_client_init,
	.config_node_list_received = algo_config_node_list_no_change,
	.membership_node_list_received = algo_test_membership_node_list_received,
	.quorum_node_list_received = algo_quorum_node_list_no_change,
	.client_disconnect = algo_client_data_free,
	.ask_for_vote_received = algo_test_ask_for_vote_received,
	.vote_info_reply_received = algo_vote_info_reply_ignored,
	.heuristics_change_received = algo_test_heuristics_change_received,
	.timer_callback = algo_timer_none,
};
