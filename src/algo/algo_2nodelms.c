/*
 * algo_2nodelms.c - last man standing for two-node clusters
 * (protocol.md 3.5).  A node decides only when its membership changes;
 * the other node is not re-voted when one leaves (upstream behaviour,
 * kept on purpose: the other node learns on its next membership).
 *
 * Deliberate difference (docs/compat.md): after a restart of the daemon,
 * the node that held ACK before it (the vote memory) wins a heuristics
 * tie in place of the tie-breaker during a short grace, and the other
 * node gets no ACK while the remembered one may still reconnect.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdlib.h>

#include "algo/algo.h"
#include "algo_recall.h"
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

/*
 * The heuristics tie.  During the grace after a restart the node that
 * held ACK before it wins, unless the other node holds ACK now.
 */
static enum tlv_vote
twonode_tie(const struct qnetd_client *client, const struct tlv_ring_id *ring_id,
    const struct algo_recall *r, uint32_t low, uint32_t high)
{
	const struct qnetd_client *o;
	enum recall_side side;

	if (r != NULL) {
		side = recall_side(r, client, ring_id);
		if (side == RECALL_THEIRS)
			return (TLV_VOTE_NACK);
		if (side == RECALL_OURS) {
			TAILQ_FOREACH(o, &client->cluster->clients, cluster_entries)
				if (o != client && !tlv_ring_id_eq(ring_id, &o->last_ring_id) &&
				    algo_holds_ack(o))
					return (twonode_tie_break(client, low, high));
			return (TLV_VOTE_ACK);
		}
	}
	return (twonode_tie_break(client, low, high));
}

/* protocol.md 3.5 for one membership report; *store: keep the result. */
static enum tlv_vote
twonode_decide(const struct qnetd_client *client, const struct tlv_ring_id *ring_id,
    const struct node_list *nodes, enum tlv_heuristics heuristics, const struct algo_recall *r,
    int *store)
{
	const struct qnetd_client *o;
	enum tlv_heuristics other_heuristics;
	uint32_t low, high;
	size_t connected;
	int cmp;

	*store = 1;
	if (twonode_is_blocked_newcomer(client, ring_id)) {
		/* Not stored: the node stays a newcomer until it really decides. */
		*store = 0;
		return (TLV_VOTE_NACK);
	}
	if (nodes->count == 2)
		return (TLV_VOTE_ACK);
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
	if (connected == 1)
		return (TLV_VOTE_ACK);
	cmp = tlv_heuristics_cmp(heuristics, other_heuristics);
	if (cmp != 0)
		return (cmp > 0 ? TLV_VOTE_ACK : TLV_VOTE_NACK);
	return (twonode_tie(client, ring_id, r, low, high));
}

/*
 * Decide, and during the grace after a restart hold back an ACK to a
 * node that is not the remembered one while that one may still
 * reconnect: the answer is WAIT_FOR_REPLY and the timer decides again
 * when the grace ends.
 */
static enum tlv_vote
twonode_run(struct qnetd_client *client, const struct tlv_ring_id *ring_id,
    const struct node_list *nodes, enum tlv_heuristics heuristics)
{
	struct algo_last_result *d;
	struct algo_recall rec, *r;
	enum recall_side side;
	enum tlv_vote vote;
	int store;

	d = client->algorithm_data;
	r = recall_get(client->cluster, TLV_DECISION_ALGORITHM_2NODELMS, &rec) ? &rec : NULL;
	vote = twonode_decide(client, ring_id, nodes, heuristics, r, &store);
	if (d != NULL && d->withheld) {
		d->withheld = 0;
		algo_env_get()->timer_abort(client);
	}
	if (vote == TLV_VOTE_ACK && r != NULL && d != NULL) {
		side = recall_side(r, client, ring_id);
		if (side != RECALL_OURS && side != RECALL_BOTH &&
		    !recall_all_reported(r, client->cluster)) {
			d->withheld = 1;
			if (algo_env_get()->timer_schedule(client, r->grace_left_ms) != 0)
				log_client(LOG_ERR, client,
				    "2nodelms: can't schedule the algorithm timer");
			log_client(LOG_DEBUG, client,
			    "2nodelms: remembered node not back yet, waiting");
			return (TLV_VOTE_WAIT_FOR_REPLY);
		}
	}
	return (
	    store ? algo_last_result_store(client, TLV_DECISION_ALGORITHM_2NODELMS, vote) : vote);
}

static enum tlv_reply_error_code
twonode_membership_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    const struct tlv_ring_id *ring_id, const struct node_list *nodes,
    enum tlv_heuristics heuristics, enum tlv_vote *result_vote)
{

	(void)msg_seq;
	*result_vote = twonode_run(client, ring_id, nodes, heuristics);
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static void
twonode_client_disconnect(struct qnetd_client *client, int server_going_down)
{

	/* A shutdown keeps the memory as it was: it is what the restart needs. */
	if (!server_going_down && algo_holds_ack(client))
		recall_note_holders(client->cluster, TLV_DECISION_ALGORITHM_2NODELMS,
		    algo_holds_ack, client);
	free(client->algorithm_data);
	client->algorithm_data = NULL;
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

/* Only a withheld answer arms the timer: decide again from the stored report. */
static enum tlv_reply_error_code
twonode_timer_callback(struct qnetd_client *client, int *reschedule_timer, int *send_vote,
    enum tlv_vote *result_vote)
{
	struct algo_last_result *d;

	*reschedule_timer = 0;
	*send_vote = 0;
	*result_vote = TLV_VOTE_NO_CHANGE;
	d = client->algorithm_data;
	if (d == NULL || !d->withheld)
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	d->withheld = 0;
	*result_vote = twonode_run(client, &client->last_ring_id,
	    &client->last_membership_node_list, client->last_heuristics);
	if (*result_vote == TLV_VOTE_ACK || *result_vote == TLV_VOTE_NACK)
		*send_vote = 1;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

const struct algo_ops algo_2nodelms_ops = {
	.name = "2nodelms",
	.client_init = algo_last_result_client_init,
	.config_node_list_received = twonode_config_node_list_received,
	.membership_node_list_received = twonode_membership_node_list_received,
	.quorum_node_list_received = algo_quorum_node_list_no_change,
	.client_disconnect = twonode_client_disconnect,
	.ask_for_vote_received = twonode_ask_for_vote_received,
	.vote_info_reply_received = algo_vote_info_reply_ignored,
	.heuristics_change_received = twonode_heuristics_change_received,
	.timer_callback = twonode_timer_callback,
};
