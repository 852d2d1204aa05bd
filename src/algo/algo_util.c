/*
 * algo_util.c - sorted node-id sets and a client index, so that the
 * algorithms compare node lists in O(n log n) instead of O(n^2): a
 * hostile cluster may hold thousands of clients with ~2700-node lists.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdlib.h>
#include <string.h>

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
