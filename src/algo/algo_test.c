/*
 * algo_test.c - the "test" decision algorithm (protocol.md 3.2): ACK to
 * every membership list and vote request, NO_CHANGE otherwise.  It can
 * leave several partitions quorate at once and exists for debugging.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "algo/algo.h"
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
algo_test_config_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    int config_version_set, uint64_t config_version, const struct node_list *nodes, int initial,
    enum tlv_vote *result_vote)
{

	(void)client;
	(void)msg_seq;
	(void)config_version_set;
	(void)config_version;
	(void)nodes;
	(void)initial;
	*result_vote = TLV_VOTE_NO_CHANGE;
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
algo_test_quorum_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_quorate quorate, const struct node_list *nodes, enum tlv_vote *result_vote)
{

	(void)client;
	(void)msg_seq;
	(void)quorate;
	(void)nodes;
	*result_vote = TLV_VOTE_NO_CHANGE;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static void
algo_test_client_disconnect(struct qnetd_client *client, int server_going_down)
{

	(void)server_going_down;
	client->algorithm_data = NULL;
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
algo_test_vote_info_reply_received(struct qnetd_client *client, uint32_t msg_seq)
{

	(void)client;
	(void)msg_seq;
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

static enum tlv_reply_error_code
algo_test_timer_callback(struct qnetd_client *client, int *reschedule_timer, int *send_vote,
    enum tlv_vote *result_vote)
{

	(void)client;
	(void)result_vote;
	*reschedule_timer = 0;
	*send_vote = 0;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

const struct algo_ops algo_test_ops = {
	.name = "test",
	.client_init = algo_test_client_init,
	.config_node_list_received = algo_test_config_node_list_received,
	.membership_node_list_received = algo_test_membership_node_list_received,
	.quorum_node_list_received = algo_test_quorum_node_list_received,
	.client_disconnect = algo_test_client_disconnect,
	.ask_for_vote_received = algo_test_ask_for_vote_received,
	.vote_info_reply_received = algo_test_vote_info_reply_received,
	.heuristics_change_received = algo_test_heuristics_change_received,
	.timer_callback = algo_test_timer_callback,
};
