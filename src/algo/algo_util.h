/*
 * algo_util.h - private helpers shared by the decision algorithms:
 * sorted node-id sets and a node-id index over a cluster's clients.
 * Not a public contract; only src/algo_*.c include it.
 */
#ifndef QNETD_ALGO_UTIL_H
#define QNETD_ALGO_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "codec/node_list.h"
#include "core/client.h"
#include "core/cluster.h"

/* The distinct node ids of a list, ascending.  ids is NULL when n == 0. */
struct id_set {
	uint32_t *ids;
	size_t n;
};

/* 0, or -1 on out of memory (set left empty). */
int id_set_from_list(struct id_set *s, const struct node_list *nl);
void id_set_free(struct id_set *s);
int id_set_has(const struct id_set *s, uint32_t id);
int id_set_eq(const struct id_set *a, const struct id_set *b);
/* 1 if every id of a is in b. */
int id_set_subset(const struct id_set *a, const struct id_set *b);

/* The clients of a cluster in node-id order, for O(log n) lookups. */
struct client_index {
	struct qnetd_client **v;
	size_t n;
};

/* 0, or -1 on out of memory. */
int client_index_build(struct client_index *ci, const struct qnetd_cluster *cluster);
void client_index_free(struct client_index *ci);
/* Position of the client with node_id, or -1. */
long client_index_find(const struct client_index *ci, uint32_t node_id);

#endif
