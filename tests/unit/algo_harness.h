/*
 * algo_harness.h - a tiny stand-in for the session layer, for the
 * algorithm unit tests: it calls the algorithm handlers exactly as
 * protocol.md 2.8/2.9 and include/algo/algo.h describe (old lists visible,
 * new ones stored only after NO_ERROR, disconnect while still in the
 * cluster) and installs an algo_env that records every VOTE_INFO,
 * timer and disconnect.  Header-only; every test includes it once.
 */
#ifndef QNETD_TEST_ALGO_HARNESS_H
#define QNETD_TEST_ALGO_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "algo/algo.h"
#include "core/client.h"
#include "core/cluster.h"
#include "codec/node_list.h"

#define H_MAX_VOTES 65536

struct tclient {
	struct qnetd_client c;		/* first: env callbacks cast back */
	int timer_armed;
	uint32_t timer_ms;
	int disconnect_scheduled;
	int fail_send;			/* make send_vote_info fail */
	int in_cluster;
};

struct h_vote {
	struct qnetd_client *client;
	uint32_t seq;
	struct tlv_ring_id ring;
	enum tlv_vote vote;
};

struct h_rec {
	struct h_vote votes[H_MAX_VOTES];
	size_t nvotes;
	size_t timer_schedules;
	size_t disconnects;
};

static struct h_rec h_rec;

static inline struct tclient *
h_tc(struct qnetd_client *c)
{

	return ((struct tclient *)(void *)c);
}

static inline int
h_send_vote_info(struct qnetd_client *client, uint32_t seq, const struct tlv_ring_id *ring_id,
    enum tlv_vote vote)
{
	struct h_vote *v;

	if (h_tc(client)->fail_send)
		return (-1);
	if (h_rec.nvotes < H_MAX_VOTES) {
		v = &h_rec.votes[h_rec.nvotes++];
		v->client = client;
		v->seq = seq;
		v->ring = *ring_id;
		v->vote = vote;
	}
	client_record_vote(client, vote);
	return (0);
}

static inline int
h_timer_schedule(struct qnetd_client *client, uint32_t ms)
{

	h_tc(client)->timer_armed = 1;
	h_tc(client)->timer_ms = ms;
	h_rec.timer_schedules++;
	return (0);
}

static inline void
h_timer_abort(struct qnetd_client *client)
{

	h_tc(client)->timer_armed = 0;
}

static inline void
h_schedule_disconnect(struct qnetd_client *client)
{

	h_tc(client)->disconnect_scheduled = 1;
	h_rec.disconnects++;
}

static const struct algo_env h_env = {
	.send_vote_info = h_send_vote_info,
	.timer_schedule = h_timer_schedule,
	.timer_abort = h_timer_abort,
	.schedule_disconnect = h_schedule_disconnect,
};

static inline void
h_setup(void)
{

	memset(&h_rec, 0, sizeof(h_rec));
	algo_env_set(&h_env);
}

static inline void
h_clear_votes(void)
{

	h_rec.nvotes = 0;
}

static inline const struct algo_ops *
h_ops(const struct tclient *tc)
{

	return (algo_get(tc->c.decision_algorithm));
}

static inline void
h_list(struct node_list *nl, const uint32_t *ids, size_t n)
{
	size_t i;

	node_list_init(nl);
	for (i = 0; i < n; i++)
		if (node_list_add(nl, ids[i], 0, TLV_NODE_STATE_MEMBER) != 0)
			abort();
}

static inline struct tclient *
h_new(const char *cluster, uint32_t node_id, enum tlv_decision_algorithm algo,
    enum tlv_tie_breaker_mode tb_mode, uint32_t tb_node, struct tlv_ring_id ring)
{
	struct tclient *tc;

	tc = calloc(1, sizeof(*tc));
	if (tc == NULL)
		abort();
	client_state_init(&tc->c);
	tc->c.cluster_name = strdup(cluster);
	if (tc->c.cluster_name == NULL)
		abort();
	tc->c.cluster_name_len = strlen(cluster);
	snprintf(tc->c.addr_str, sizeof(tc->c.addr_str), "10.0.0.%u:5403", (unsigned)node_id);
	tc->c.node_id = node_id;
	tc->c.decision_algorithm = algo;
	tc->c.tie_breaker.mode = tb_mode;
	tc->c.tie_breaker.node_id = tb_node;
	tc->c.heartbeat_interval = 8000;
	tc->c.last_ring_id = ring;
	return (tc);
}

/* INIT steps 11-13: join the cluster, client_init, state INITIALISED. */
static inline enum tlv_reply_error_code
h_init(struct cluster_registry *reg, struct tclient *tc)
{
	enum tlv_reply_error_code rc;

	if (cluster_registry_add_client(reg, &tc->c) == NULL)
		abort();
	tc->in_cluster = 1;
	rc = h_ops(tc)->client_init(&tc->c);
	if (rc == TLV_REPLY_ERROR_CODE_NO_ERROR)
		tc->c.state = CLIENT_STATE_INITIALISED;
	return (rc);
}

static inline void
h_store_vote(struct tclient *tc, enum tlv_reply_error_code rc, enum tlv_vote vote)
{

	if (rc == TLV_REPLY_ERROR_CODE_NO_ERROR)
		client_record_vote(&tc->c, vote);
}

static inline enum tlv_reply_error_code
h_config(struct tclient *tc, int initial, const uint32_t *ids, size_t n, enum tlv_vote *vote)
{
	enum tlv_reply_error_code rc;
	struct node_list nl;

	h_list(&nl, ids, n);
	*vote = TLV_VOTE_UNDEFINED;
	rc = h_ops(tc)->config_node_list_received(&tc->c, 1, 1, 7, &nl, initial, vote);
	if (rc == TLV_REPLY_ERROR_CODE_NO_ERROR) {
		node_list_move(&tc->c.configuration_node_list, &nl);
		tc->c.config_version_set = 1;
		tc->c.config_version = 7;
	}
	node_list_destroy(&nl);
	h_store_vote(tc, rc, *vote);
	return (rc);
}

static inline enum tlv_reply_error_code
h_membership(struct tclient *tc, struct tlv_ring_id ring, const uint32_t *ids, size_t n,
    enum tlv_heuristics heur, enum tlv_vote *vote)
{
	enum tlv_reply_error_code rc;
	struct node_list nl;

	h_list(&nl, ids, n);
	*vote = TLV_VOTE_UNDEFINED;
	rc = h_ops(tc)->membership_node_list_received(&tc->c, 1, &ring, &nl, heur, vote);
	if (rc == TLV_REPLY_ERROR_CODE_NO_ERROR) {
		node_list_move(&tc->c.last_membership_node_list, &nl);
		tc->c.last_ring_id = ring;
		tc->c.last_membership_heuristics = heur;
		tc->c.last_heuristics = heur;
	}
	node_list_destroy(&nl);
	h_store_vote(tc, rc, *vote);
	return (rc);
}

static inline enum tlv_reply_error_code
h_quorum(struct tclient *tc, const uint32_t *ids, size_t n, enum tlv_vote *vote)
{
	enum tlv_reply_error_code rc;
	struct node_list nl;

	h_list(&nl, ids, n);
	*vote = TLV_VOTE_UNDEFINED;
	rc = h_ops(tc)->quorum_node_list_received(&tc->c, 1, TLV_QUORATE_QUORATE, &nl, vote);
	if (rc == TLV_REPLY_ERROR_CODE_NO_ERROR)
		node_list_move(&tc->c.last_quorum_node_list, &nl);
	node_list_destroy(&nl);
	h_store_vote(tc, rc, *vote);
	return (rc);
}

static inline enum tlv_reply_error_code
h_ask(struct tclient *tc, enum tlv_vote *vote)
{
	enum tlv_reply_error_code rc;

	*vote = TLV_VOTE_UNDEFINED;
	rc = h_ops(tc)->ask_for_vote_received(&tc->c, 1, vote);
	h_store_vote(tc, rc, *vote);
	return (rc);
}

static inline enum tlv_reply_error_code
h_heur(struct tclient *tc, enum tlv_heuristics heur, enum tlv_vote *vote)
{
	enum tlv_reply_error_code rc;

	*vote = TLV_VOTE_UNDEFINED;
	rc = h_ops(tc)->heuristics_change_received(&tc->c, 1, heur, vote);
	if (rc == TLV_REPLY_ERROR_CODE_NO_ERROR) {
		tc->c.last_regular_heuristics = heur;
		tc->c.last_heuristics = heur;
	}
	h_store_vote(tc, rc, *vote);
	return (rc);
}

static inline enum tlv_reply_error_code
h_reply(struct tclient *tc, uint32_t seq)
{

	return (h_ops(tc)->vote_info_reply_received(&tc->c, seq));
}

/* The algorithm timer fires: as the session layer's timer callback. */
static inline enum tlv_reply_error_code
h_fire_timer(struct tclient *tc, enum tlv_vote *vote)
{
	enum tlv_reply_error_code rc;
	int resched, send;

	tc->timer_armed = 0;
	resched = send = 0;
	*vote = TLV_VOTE_WAIT_FOR_REPLY;
	rc = h_ops(tc)->timer_callback(&tc->c, &resched, &send, vote);
	if (rc != TLV_REPLY_ERROR_CODE_NO_ERROR)
		return (rc);
	if (send) {
		tc->c.algo_timer_vote_info_seq++;
		if (h_send_vote_info(&tc->c, tc->c.algo_timer_vote_info_seq,
		    &tc->c.last_ring_id, *vote) != 0)
			h_schedule_disconnect(&tc->c);
	}
	if (resched)
		tc->timer_armed = 1;
	return (rc);
}

/* Disconnect (protocol.md 2.9): algorithm first, then leave the cluster. */
static inline void
h_disconnect(struct cluster_registry *reg, struct tclient *tc, int going_down)
{

	if (tc->c.state == CLIENT_STATE_INITIALISED)
		h_ops(tc)->client_disconnect(&tc->c, going_down);
	if (tc->in_cluster)
		cluster_registry_del_client(reg, &tc->c);
	tc->in_cluster = 0;
	tc->timer_armed = 0;
	tc->c.state = CLIENT_STATE_ACCEPTED; /* fixture reset */
}

static inline void
h_free(struct tclient *tc)
{

	client_state_destroy(&tc->c);
	free(tc);
}

/* The last VOTE_INFO queued to c since the last h_clear_votes(), or NULL. */
static inline const struct h_vote *
h_last_vote_to(const struct tclient *tc)
{
	size_t i;

	for (i = h_rec.nvotes; i > 0; i--)
		if (h_rec.votes[i - 1].client == &tc->c)
			return (&h_rec.votes[i - 1]);
	return (NULL);
}

static inline size_t
h_votes_to(const struct tclient *tc)
{
	size_t i, n;

	n = 0;
	for (i = 0; i < h_rec.nvotes; i++)
		if (h_rec.votes[i].client == &tc->c)
			n++;
	return (n);
}

static inline struct tlv_ring_id
h_ring(uint32_t node_id, uint64_t seq)
{
	struct tlv_ring_id r;

	r.node_id = node_id;
	r.seq = seq;
	return (r);
}

#endif
