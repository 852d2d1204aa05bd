/*
 * algo_recall.c - the algorithms' side of the vote memory: plain data
 * from and to the daemon (algo_memory_env), never a file.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdlib.h>

#include "algo_recall.h"
#include "core/cluster.h"

int
recall_get(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    struct algo_recall *r)
{
	const struct algo_memory_env *env;

	env = algo_memory_env_get();
	if (env == NULL || cluster == NULL)
		return (0);
	if (!env->recall(cluster, algorithm, r))
		return (0);
	/* A memory without nodes or without time left is no memory. */
	return (r->n > 0 && r->ids != NULL && r->grace_left_ms > 0);
}

int
recall_has(const struct algo_recall *r, uint32_t id)
{
	size_t lo, hi, mid;

	lo = 0;
	hi = r->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->ids[mid] == id)
			return (1);
		if (r->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (0);
}

int
recall_all_reported(const struct algo_recall *r, const struct qnetd_cluster *cluster)
{
	const struct qnetd_client *c;
	size_t i;

	for (i = 0; i < r->n; i++) {
		c = cluster_find_client_by_node_id(cluster, r->ids[i]);
		if (c == NULL || c->last_ring_id.seq == 0)
			return (0);
	}
	return (1);
}

enum recall_side
recall_side(const struct algo_recall *r, const struct qnetd_client *client,
    const struct tlv_ring_id *ring_id)
{
	const struct qnetd_client *o;
	int ours, theirs;

	ours = recall_has(r, client->node_id);
	theirs = 0;
	TAILQ_FOREACH(o, &client->cluster->clients, cluster_entries) {
		if (o == client || o->last_ring_id.seq == 0 || !recall_has(r, o->node_id))
			continue;
		if (tlv_ring_id_eq(&o->last_ring_id, ring_id))
			ours = 1;
		else
			theirs = 1;
	}
	if (ours && theirs)
		return (RECALL_BOTH);
	return (ours ? RECALL_OURS : theirs ? RECALL_THEIRS : RECALL_NONE);
}

void
recall_note(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    const uint32_t *ids, size_t n)
{
	const struct algo_memory_env *env;

	env = algo_memory_env_get();
	if (env != NULL && cluster != NULL)
		env->note(cluster, algorithm, ids, n);
}

void
recall_note_holders(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
    int (*holds)(const struct qnetd_client *), const struct qnetd_client *skip)
{
	const struct qnetd_client *c;
	uint32_t *ids;
	size_t n;

	if (algo_memory_env_get() == NULL || cluster == NULL)
		return;
	ids = malloc((cluster->client_count > 0 ? cluster->client_count : 1) * sizeof(*ids));
	if (ids == NULL)
		return;
	n = 0;
	/* Node-id order and one client per node id: ascending and distinct. */
	TAILQ_FOREACH(c, &cluster->clients, cluster_entries) {
		if (n == cluster->client_count)
			break;
		if (c != skip && holds(c) && (n == 0 || ids[n - 1] != c->node_id))
			ids[n++] = c->node_id;
	}
	recall_note(cluster, algorithm, ids, n);
	free(ids);
}
