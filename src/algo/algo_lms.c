/*
 * algo_lms.c - last man standing (protocol.md 3.4).
 *
 * Each request is decided on its own from the rings the clients last
 * reported: partitions are the groups of clients sharing a stored ring
 * id, and the best one (score, then size, then tie-breaker) gets ACK.
 * There is no two-phase commit and no re-vote when a client leaves;
 * both are upstream's design and kept.  While the clients of our own
 * partition still disagree on the ring, the answer is WAIT_FOR_REPLY
 * and the algorithm timer retries every HB/4.
 *
 * Deliberate differences (docs/compat.md): with a node-id tie-breaker
 * the whole partition of the configured node gets ACK, not only the
 * configured node itself; after a restart of the daemon, the partition
 * that held ACK before it (the vote memory) wins ties in place of the
 * tie-breaker during a short grace, and no other partition gets ACK
 * while a remembered node may still reconnect.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "algo/algo.h"
#include "algo_recall.h"
#include "algo_util.h"
#include "base/log.h"

struct lms_partition {
	struct tlv_ring_id ring_id;
	size_t first; /* position of its first client, node-id order */
	long num_nodes;
	long score;
};

struct lms_ring_ent {
	struct tlv_ring_id ring_id;
	size_t pos;
	enum tlv_heuristics heuristics;
};

static void
lms_schedule_retry(struct qnetd_client *client, uint32_t ms)
{
	const struct algo_env *env;

	env = algo_env_get();
	if (env->timer_schedule(client, ms) != 0)
		log_client(LOG_ERR, client, "lms: can't schedule the algorithm timer");
}

/* 1 if a client on a ring other than ring_id holds ACK. */
static int
lms_other_ring_holds(const struct qnetd_client *client, const struct tlv_ring_id *ring_id)
{
	const struct qnetd_client *o;

	TAILQ_FOREACH(o, &client->cluster->clients, cluster_entries) {
		if (o != client && !tlv_ring_id_eq(ring_id, &o->last_ring_id) && algo_holds_ack(o))
			return (1);
	}
	return (0);
}

/*
 * 1 when every other client of our partition (it is in our stored
 * membership, or we are in its) reported the ring we decide for.  Rings
 * are compared first so that the list scans run only for laggards.
 */
static int
lms_ring_ids_match(const struct qnetd_client *client, const struct tlv_ring_id *ring_id, int *oom)
{
	const struct qnetd_client *o;
	struct id_set ours;
	int have_ours, in_ours, res;

	*oom = 0;
	have_ours = 0;
	res = 1;
	TAILQ_FOREACH(o, &client->cluster->clients, cluster_entries) {
		if (o == client || tlv_ring_id_eq(ring_id, &o->last_ring_id))
			continue;
		if (!have_ours) {
			if (id_set_from_list(&ours, &client->last_membership_node_list) != 0) {
				*oom = 1;
				return (0);
			}
			have_ours = 1;
		}
		in_ours = id_set_has(&ours, o->node_id) ||
		    node_list_contains(&o->last_membership_node_list, client->node_id);
		if (in_ours) {
			res = 0;
			break;
		}
	}
	if (have_ours)
		id_set_free(&ours);
	return (res);
}

static int
lms_ring_ent_cmp(const void *a, const void *b)
{
	const struct lms_ring_ent *x, *y;

	x = a;
	y = b;
	if (x->ring_id.node_id != y->ring_id.node_id)
		return (x->ring_id.node_id < y->ring_id.node_id ? -1 : 1);
	if (x->ring_id.seq != y->ring_id.seq)
		return (x->ring_id.seq < y->ring_id.seq ? -1 : 1);
	return (x->pos < y->pos ? -1 : x->pos > y->pos);
}

static int
lms_partition_cmp(const void *a, const void *b)
{
	const struct lms_partition *x, *y;

	x = a;
	y = b;
	return (x->first < y->first ? -1 : x->first > y->first);
}

/*
 * Group the clients by stored ring id (seq 0: not yet reported) into
 * partitions listed in order of their first client, as upstream's list
 * walk would build them.  Sorting keeps this O(n log n).  Returns the
 * number of partitions, or -1 on out of memory.
 */
static long
lms_build_partitions(const struct qnetd_cluster *cluster, struct lms_partition **out)
{
	const struct qnetd_client *o;
	struct lms_ring_ent *ents;
	struct lms_partition *parts;
	size_t n, i, np, pos;

	*out = NULL;
	if (cluster->client_count == 0)
		return (0);
	ents = malloc(cluster->client_count * sizeof(*ents));
	parts = malloc(cluster->client_count * sizeof(*parts));
	if (ents == NULL || parts == NULL) {
		free(ents);
		free(parts);
		return (-1);
	}
	n = 0;
	pos = 0;
	TAILQ_FOREACH(o, &cluster->clients, cluster_entries) {
		pos++;
		if (o->last_ring_id.seq == 0 || n == cluster->client_count)
			continue;
		ents[n].ring_id = o->last_ring_id;
		ents[n].pos = pos;
		ents[n].heuristics = o->last_heuristics;
		n++;
	}
	qsort(ents, n, sizeof(*ents), lms_ring_ent_cmp);
	np = 0;
	for (i = 0; i < n; i++) {
		if (np == 0 || !tlv_ring_id_eq(&parts[np - 1].ring_id, &ents[i].ring_id)) {
			parts[np].ring_id = ents[i].ring_id;
			parts[np].first = ents[i].pos;
			parts[np].num_nodes = 0;
			parts[np].score = 0;
			np++;
		}
		parts[np - 1].num_nodes++;
		parts[np - 1].score++;
		if (ents[i].heuristics == TLV_HEURISTICS_PASS)
			parts[np - 1].score++;
		else if (ents[i].heuristics == TLV_HEURISTICS_FAIL)
			parts[np - 1].score--;
	}
	free(ents);
	qsort(parts, np, sizeof(*parts), lms_partition_cmp);
	*out = parts;
	return ((long)np);
}

static int
lms_is_blocked_newcomer(const struct qnetd_client *client, const struct tlv_ring_id *ring_id)
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

/*
 * The first partition with the highest key (score or size); *unique is
 * 0 when another partition has the same key.
 */
static const struct lms_partition *
lms_best(const struct lms_partition *parts, long np, int by_score, int *unique)
{
	const struct lms_partition *best;
	long i, k, bk;

	best = &parts[0];
	bk = by_score ? best->score : best->num_nodes;
	for (i = 1; i < np; i++) {
		k = by_score ? parts[i].score : parts[i].num_nodes;
		if (k > bk) {
			best = &parts[i];
			bk = k;
		}
	}
	*unique = 1;
	for (i = 0; i < np; i++) {
		k = by_score ? parts[i].score : parts[i].num_nodes;
		if (&parts[i] != best && k == bk)
			*unique = 0;
	}
	return (best);
}

/*
 * The tie-breaker node over all connected clients and its ring.  The
 * lowest search starts at INT_MAX as upstream's does (ids above it never
 * win); an unknown mode matches nobody.
 */
static enum tlv_vote
lms_tie_break(const struct qnetd_client *client, const struct tlv_ring_id *ring_id)
{
	const struct qnetd_client *o;
	struct tlv_ring_id tb_ring;
	uint32_t tb;

	memset(&tb_ring, 0, sizeof(tb_ring));
	switch (client->tie_breaker.mode) {
	case TLV_TIE_BREAKER_MODE_LOWEST:
		tb = INT_MAX;
		TAILQ_FOREACH(o, &client->cluster->clients, cluster_entries) {
			if (o->node_id < tb) {
				tb = o->node_id;
				tb_ring = o->last_ring_id;
			}
		}
		break;
	case TLV_TIE_BREAKER_MODE_HIGHEST:
		tb = 0;
		TAILQ_FOREACH(o, &client->cluster->clients, cluster_entries) {
			if (o->node_id > tb) {
				tb = o->node_id;
				tb_ring = o->last_ring_id;
			}
		}
		break;
	case TLV_TIE_BREAKER_MODE_NODE_ID:
		/* Fixed: the configured node's ring, so its partition wins. */
		tb = client->tie_breaker.node_id;
		TAILQ_FOREACH(o, &client->cluster->clients, cluster_entries) {
			if (o->node_id == tb)
				tb_ring = o->last_ring_id;
		}
		break;
	default:
		tb = UINT32_MAX;
		break;
	}
	if (client->node_id == tb || tlv_ring_id_eq(&tb_ring, ring_id))
		return (TLV_VOTE_ACK);
	return (TLV_VOTE_NACK);
}

static enum tlv_vote
lms_choose(const struct qnetd_client *client, const struct tlv_ring_id *ring_id,
    const struct lms_partition *parts, long np, const struct algo_recall *r)
{
	const struct lms_partition *best;
	enum recall_side side;
	int unique;

	best = lms_best(parts, np, 1, &unique);
	if (unique)
		return (tlv_ring_id_eq(&best->ring_id, ring_id) ? TLV_VOTE_ACK : TLV_VOTE_NACK);
	/* Upstream compares sizes over all partitions, not only the tied ones. */
	best = lms_best(parts, np, 0, &unique);
	if (unique)
		return (tlv_ring_id_eq(&best->ring_id, ring_id) ? TLV_VOTE_ACK : TLV_VOTE_NACK);
	if (r != NULL) {
		/* The grace: the partition that held the vote wins the tie. */
		side = recall_side(r, client, ring_id);
		if (side == RECALL_OURS && !lms_other_ring_holds(client, ring_id))
			return (TLV_VOTE_ACK);
		if (side == RECALL_THEIRS)
			return (TLV_VOTE_NACK);
	}
	return (lms_tie_break(client, ring_id));
}

/*
 * The grace after a restart: a partition without a remembered node gets
 * no ACK while a remembered node may still reconnect.  The answer waits;
 * the timer asks again, at the latest when the grace ends.
 */
static int
lms_withhold(const struct qnetd_client *client, const struct tlv_ring_id *ring_id,
    const struct algo_recall *r)
{
	enum recall_side side;

	side = recall_side(r, client, ring_id);
	if (side == RECALL_OURS || side == RECALL_BOTH)
		return (0);
	return (!recall_all_reported(r, client->cluster));
}

static void
lms_decide(struct qnetd_client *client, const struct tlv_ring_id *ring_id,
    const struct lms_partition *parts, long np, enum tlv_vote *result_vote)
{
	struct algo_recall rec, *r;
	enum tlv_vote vote;
	uint32_t ms;

	r = recall_get(client->cluster, TLV_DECISION_ALGORITHM_LMS, &rec) ? &rec : NULL;
	if (np == 1) {
		/* One partition: votequorum decides, not us. */
		vote = TLV_VOTE_ACK;
	} else if (lms_is_blocked_newcomer(client, ring_id)) {
		/* Not stored, so the node stays a newcomer. */
		*result_vote = TLV_VOTE_NACK;
		return;
	} else {
		vote = lms_choose(client, ring_id, parts, np, r);
	}
	if (vote == TLV_VOTE_ACK && r != NULL && lms_withhold(client, ring_id, r)) {
		/* Not stored either: the node stays a newcomer. */
		ms = client->heartbeat_interval / 4;
		lms_schedule_retry(client, ms < r->grace_left_ms ? ms : r->grace_left_ms);
		log_client(LOG_DEBUG, client, "lms: remembered partition not back yet, waiting");
		*result_vote = TLV_VOTE_WAIT_FOR_REPLY;
		return;
	}
	*result_vote = algo_last_result_store(client, TLV_DECISION_ALGORITHM_LMS, vote);
}

static enum tlv_reply_error_code
lms_do(struct qnetd_client *client, const struct tlv_ring_id *ring_id, enum tlv_vote *result_vote)
{
	struct lms_partition *parts;
	long np;
	int oom;

	algo_env_get()->timer_abort(client);
	if (!lms_ring_ids_match(client, ring_id, &oom)) {
		if (oom)
			return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
		lms_schedule_retry(client, client->heartbeat_interval / 4);
		*result_vote = algo_last_result_store(client, TLV_DECISION_ALGORITHM_LMS,
		    TLV_VOTE_WAIT_FOR_REPLY);
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	}
	np = lms_build_partitions(client->cluster, &parts);
	if (np < 0)
		return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
	if (np == 0) {
		lms_schedule_retry(client, client->heartbeat_interval / 4);
		*result_vote = algo_last_result_store(client, TLV_DECISION_ALGORITHM_LMS,
		    TLV_VOTE_WAIT_FOR_REPLY);
	} else {
		lms_decide(client, ring_id, parts, np, result_vote);
	}
	free(parts);
	log_client(LOG_DEBUG, client, "lms: %ld partition(s), vote %s", np,
	    tlv_vote_to_str(*result_vote));
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static enum tlv_reply_error_code
lms_config_node_list_received(struct qnetd_client *client, uint32_t msg_seq, int config_version_set,
    uint64_t config_version, const struct node_list *nodes, int initial, enum tlv_vote *result_vote)
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
lms_membership_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    const struct tlv_ring_id *ring_id, const struct node_list *nodes,
    enum tlv_heuristics heuristics, enum tlv_vote *result_vote)
{

	(void)msg_seq;
	(void)nodes;
	(void)heuristics;
	return (lms_do(client, ring_id, result_vote));
}

static enum tlv_reply_error_code
lms_quorum_node_list_received(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_quorate quorate, const struct node_list *nodes, enum tlv_vote *result_vote)
{

	(void)msg_seq;
	(void)quorate;
	(void)nodes;
	return (lms_do(client, &client->last_ring_id, result_vote));
}

static void
lms_client_disconnect(struct qnetd_client *client, int server_going_down)
{

	/* A shutdown keeps the memory as it was: it is what the restart needs. */
	if (!server_going_down && algo_holds_ack(client))
		recall_note_holders(client->cluster, TLV_DECISION_ALGORITHM_LMS, algo_holds_ack,
		    client);
	free(client->algorithm_data);
	client->algorithm_data = NULL;
}

static enum tlv_reply_error_code
lms_ask_for_vote_received(struct qnetd_client *client, uint32_t msg_seq, enum tlv_vote *result_vote)
{

	(void)msg_seq;
	return (lms_do(client, &client->last_ring_id, result_vote));
}

static enum tlv_reply_error_code
lms_heuristics_change_received(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_heuristics heuristics, enum tlv_vote *result_vote)
{

	(void)msg_seq;
	(void)heuristics;
	log_client(LOG_INFO, client, "lms: heuristics change is not supported");
	*result_vote = TLV_VOTE_NO_CHANGE;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static enum tlv_reply_error_code
lms_timer_callback(struct qnetd_client *client, int *reschedule_timer, int *send_vote,
    enum tlv_vote *result_vote)
{
	enum tlv_reply_error_code rc;

	*reschedule_timer = 0;
	*send_vote = 0;
	rc = lms_do(client, &client->last_ring_id, result_vote);
	if (rc != TLV_REPLY_ERROR_CODE_NO_ERROR)
		return (rc);
	if (*result_vote == TLV_VOTE_ACK || *result_vote == TLV_VOTE_NACK)
		*send_vote = 1;
	else if (*result_vote == TLV_VOTE_WAIT_FOR_REPLY)
		*reschedule_timer = 1;
	return (rc);
}

const struct algo_ops algo_lms_ops = {
	.name = "lms",
	.client_init = algo_last_result_client_init,
	.config_node_list_received = lms_config_node_list_received,
	.membership_node_list_received = lms_membership_node_list_received,
	.quorum_node_list_received = lms_quorum_node_list_received,
	.client_disconnect = lms_client_disconnect,
	.ask_for_vote_received = lms_ask_for_vote_received,
	.vote_info_reply_received = algo_vote_info_reply_ignored,
	.heuristics_change_received = lms_heuristics_change_received,
	.timer_callback = lms_timer_callback,
};
