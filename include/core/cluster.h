/*
 * cluster.h - registry of clusters by name (hash table, O(1) lookup) and
 * the clients of each cluster kept in node-id order.  Pure: no sockets.
 */
#ifndef QNETD_CLUSTER_H
#define QNETD_CLUSTER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "base/keyed_hash.h"
#include "core/client.h"

TAILQ_HEAD(qnetd_client_list, qnetd_client);

struct cluster_cursor;
struct cluster_registry;
struct qnetd_cluster;

/*
 * Told before a client or cluster is unlinked, and when the registry is
 * destroyed, so that open listings stay valid.  Set by the first cursor
 * (cluster_cursor.c): the registry itself knows nothing of cursors.
 */
struct cluster_registry_hooks {
	void (*client_removed)(struct cluster_registry *reg, const struct qnetd_client *client);
	void (*cluster_removed)(struct cluster_registry *reg, const struct qnetd_cluster *cluster);
	void (*destroyed)(struct cluster_registry *reg);
};

struct qnetd_cluster {
	char *name; /* owned, NUL-terminated */
	size_t name_len;
	struct qnetd_client_list clients; /* node-id order */
	size_t client_count;
	void *algorithm_data; /* owned by the algorithm */
	void (*algorithm_data_free)(
	    struct qnetd_cluster *cluster); /* called when the cluster is freed, if set */
	uint64_t hash;                      /* keyed_hash of the name under the registry's key */
	uint64_t created_ns; /* CLOCK_MONOTONIC at creation: listing order across workers */
	struct qnetd_cluster *hash_next;
	TAILQ_ENTRY(qnetd_cluster) entries; /* creation order */
};

struct cluster_registry {
	struct keyed_hash_key hash_key; /* random per registry (per start) */
	struct qnetd_cluster **buckets;
	size_t nbuckets;
	size_t count;
	TAILQ_HEAD(, qnetd_cluster) clusters;       /* creation order, for listings */
	TAILQ_HEAD(, cluster_cursor) cursors;       /* open listings (cluster_cursor.h) */
	const struct cluster_registry_hooks *hooks; /* NULL until a cursor opens */
};

/* 0, or -1 on out of memory. */
int cluster_registry_init(struct cluster_registry *reg);
/* Frees every cluster (not the clients); open cursors are left DONE. */
void cluster_registry_destroy(struct cluster_registry *reg);

/* Cluster with exactly this name (length and bytes), or NULL. */
struct qnetd_cluster *cluster_registry_find(const struct cluster_registry *reg, const char *name,
    size_t name_len);

/*
 * Put client into the cluster named client->cluster_name, creating the
 * cluster on first use, inserted in node-id order; sets client->cluster.
 * Returns the cluster, or NULL on out of memory (nothing changed).
 */
struct qnetd_cluster *cluster_registry_add_client(struct cluster_registry *reg,
    struct qnetd_client *client);

/* Remove client from its cluster; frees the cluster when it empties.  No-op if client->cluster is NULL. */
void cluster_registry_del_client(struct cluster_registry *reg, struct qnetd_client *client);

/* Client of the cluster with that node id, or NULL. */
struct qnetd_client *cluster_find_client_by_node_id(const struct qnetd_cluster *cluster,
    uint32_t node_id);

#endif
