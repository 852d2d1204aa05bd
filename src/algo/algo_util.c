/*
 * algo_util.c - sorted node-id sets and a client index, so that the
 * algorithms compare node lists in O(n log n) instead of O(n^2): a
 * hostile cluster may hold thousands of clients with ~2700-node lists;
 * and the do-nothing handlers that several algorithms share.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdlib.h>
#include <string.h>

#include "algo_recall.h"
#include "algo_util.h"

static int
id_cmp(const void *a, const void *b)
{
	uint32_t x, y;

	x = *(const uint32_t *)a;
	y = *(const uint32_t *)b;
	return (x < y ? -1 : x > y);
}

int
id_set_from_list(struct id_set *s, const struct node_list *nl)
{
	size_t i, n;

	s->ids = NULL;
	s->n = 0;
	if (nl->count == 0)
		return (0);
	s->ids = malloc(nl->count * sizeof(*s->ids));
	if (s->ids == NULL)
		return (-1);
	for (i = 0; i < nl->count; i++)
		s->ids[i] = nl->nodes[i].node_id;
	qsort(s->ids, nl->count, sizeof(*s->ids), id_cmp);
	/* Lists may repeat an id; a set keeps one. */
	n = 1;
	for (i = 1; i < nl->count; i++)
		if (s->ids[i] != s->ids[n - 1])
			s->ids[n++] = s->ids[i];
	s->n = n;
	return (0);
}

void
id_set_free(struct id_set *s)
{

	free(s->ids);
	s->ids = NULL;
	s->n = 0;
}

int
id_set_has(const struct id_set *s, uint32_t id)
{
	size_t lo, hi, mid;

	lo = 0;
	hi = s->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->ids[mid] == id)
			return (1);
		if (s->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (0);
}

int
id_set_eq(const struct id_set *a, const struct id_set *b)
{

	if (a->n != b->n)
		return (0);
	return (a->n == 0 || memcmp(a->ids, b->ids, a->n * sizeof(*a->ids)) == 0);
}

int
id_set_subset(const struct id_set *a, const struct id_set *b)
{
	size_t i, j;

	if (a->n > b->n)
		return (0);
	for (i = 0, j = 0; i < a->n; i++) {
		while (j < b->n && b->ids[j] < a->ids[i])
			j++;
		if (j == b->n || b->ids[j] != a->ids[i])
			return (0);
	}
	return (1);
}

int
client_index_build(struct client_index *ci, const struct qnetd_cluster *cluster)
{
	struct qnetd_client *c;
	size_t n;

	ci->v = NULL;
	ci->n = 0;
	if (cluster->client_count == 0)
		return (0);
	ci->v = malloc(cluster->client_count * sizeof(*ci->v));
	if (ci->v == NULL)
		return (-1);
	n = 0;
	TAILQ_FOREACH(c, &cluster->clients, cluster_entries) {
		if (n == cluster->client_count)
			break;
		ci->v[n++] = c;
	}
	ci->n = n;
	return (0);
}

void
client_index_free(struct client_index *ci)
{

	free(ci->v);
	ci->v = NULL;
	ci->n = 0;
}

long
client_index_find(const struct client_index *ci, uint32_t node_id)
{
	size_t lo, hi, mid;

	lo = 0;
	hi = ci->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ci->v[mid]->node_id == node_id)
			return ((long)mid);
		if (ci->v[mid]->node_id < node_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (-1);
}

enum tlv_reply_error_code
algo_config_node_list_no_change(struct qnetd_client *client, uint32_t msg_seq,
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

enum tlv_reply_error_code
algo_quorum_node_list_no_change(struct qnetd_client *client, uint32_t msg_seq,
    enum tlv_quorate quorate, const struct node_list *nodes, enum tlv_vote *result_vote)
{
	/* Informative only, in every algorithm but lms. */
	(void)client;
	(void)msg_seq;
	(void)quorate;
	(void)nodes;
	*result_vote = TLV_VOTE_NO_CHANGE;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

enum tlv_reply_error_code
algo_vote_info_reply_ignored(struct qnetd_client *client, uint32_t msg_seq)
{
	(void)client;
	(void)msg_seq;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

enum tlv_reply_error_code
algo_timer_none(struct qnetd_client *client, int *reschedule_timer, int *send_vote,
    enum tlv_vote *result_vote)
{
	(void)client;
	(void)result_vote;
	*reschedule_timer = 0;
	*send_vote = 0;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

void
algo_client_data_free(struct qnetd_client *client, int server_going_down)
{
	(void)server_going_down;
	free(client->algorithm_data);
	client->algorithm_data = NULL;
}

enum tlv_reply_error_code
algo_last_result_client_init(struct qnetd_client *client)
{
	struct algo_last_result *d;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
	d->vote = TLV_VOTE_UNDEFINED;
	client->algorithm_data = d;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

enum tlv_vote
algo_last_result(const struct qnetd_client *client)
{
	const struct algo_last_result *d = client->algorithm_data;

	return (d != NULL ? d->vote : TLV_VOTE_UNDEFINED);
}

int
algo_holds_ack(const struct qnetd_client *client)
{
	return (algo_last_result(client) == TLV_VOTE_ACK);
}

enum tlv_vote
algo_last_result_store(struct qnetd_client *client, enum tlv_decision_algorithm algorithm,
    enum tlv_vote vote)
{
	struct algo_last_result *d = client->algorithm_data;
	enum tlv_vote old;

	if (d == NULL)
		return (vote);
	old = d->vote;
	d->vote = vote;
	if ((old == TLV_VOTE_ACK) != (vote == TLV_VOTE_ACK))
		recall_note_holders(client->cluster, algorithm, algo_holds_ack, NULL);
	return (vote);
}
