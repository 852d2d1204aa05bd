/*
 * cluster.c - registry of clusters by name and the node-id ordered
 * client list of each cluster.
 *
 * Lookups hash the name (FNV-1a over the exact bytes and length), so a
 * server holding thousands of clusters finds one in O(1); the table
 * doubles when it holds more clusters than buckets.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/keyed_hash.h"
#include "core/cluster.h"

#define CLUSTER_REGISTRY_MIN_BUCKETS 64

static uint64_t
cluster_hash(const struct cluster_registry *reg, const char *name, size_t len)
{
	/* Keyed: a peer that picks cluster names cannot pick their bucket. */
	return (keyed_hash(&reg->hash_key, name, len));
}

static size_t
cluster_bucket(const struct cluster_registry *reg, uint64_t hash)
{
	return ((size_t)(hash & (reg->nbuckets - 1)));
}

/* The cluster named name whose hash is hash, or NULL. */
static struct qnetd_cluster *
find_hashed(const struct cluster_registry *reg, const char *name, size_t name_len, uint64_t hash)
{
	struct qnetd_cluster *cluster;

	if (reg->nbuckets == 0)
		return (NULL);
	for (cluster = reg->buckets[cluster_bucket(reg, hash)]; cluster != NULL;
	     cluster = cluster->hash_next) {
		if (cluster->name_len == name_len && memcmp(cluster->name, name, name_len) == 0)
			return (cluster);
	}
	return (NULL);
}

int
cluster_registry_init(struct cluster_registry *reg)
{

	/* A weak key (no randomness at all) still works; it is only guessable. */
	(void)keyed_hash_key_random(&reg->hash_key);
	reg->buckets = calloc(CLUSTER_REGISTRY_MIN_BUCKETS, sizeof(*reg->buckets));
	if (reg->buckets == NULL)
		return (-1);
	reg->nbuckets = CLUSTER_REGISTRY_MIN_BUCKETS;
	reg->count = 0;
	TAILQ_INIT(&reg->clusters);
	TAILQ_INIT(&reg->cursors);
	reg->hooks = NULL;
	return (0);
}

static void
cluster_free(struct qnetd_cluster *cluster)
{

	if (cluster->algorithm_data_free != NULL)
		cluster->algorithm_data_free(cluster);
	free(cluster->name);
	free(cluster);
}

void
cluster_registry_destroy(struct cluster_registry *reg)
{
	struct qnetd_cluster *cluster;

	if (reg->hooks != NULL)
		reg->hooks->destroyed(reg);
	while ((cluster = TAILQ_FIRST(&reg->clusters)) != NULL) {
		TAILQ_REMOVE(&reg->clusters, cluster, entries);
		cluster_free(cluster);
	}
	free(reg->buckets);
	reg->buckets = NULL;
	reg->nbuckets = 0;
	reg->count = 0;
}

struct qnetd_cluster *
cluster_registry_find(const struct cluster_registry *reg, const char *name, size_t name_len)
{
	if (reg->nbuckets == 0)
		return (NULL);
	return (find_hashed(reg, name, name_len, cluster_hash(reg, name, name_len)));
}

/* Doubling keeps chains short; failing to grow only costs speed. */
static void
cluster_registry_grow(struct cluster_registry *reg)
{
	struct qnetd_cluster **nb, *cluster;
	size_t n, b;

	if (reg->nbuckets > SIZE_MAX / 2 / sizeof(*nb))
		return;
	n = reg->nbuckets * 2;
	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return;
	free(reg->buckets);
	reg->buckets = nb;
	reg->nbuckets = n;
	TAILQ_FOREACH(cluster, &reg->clusters, entries) {
		b = cluster_bucket(reg, cluster->hash);
		cluster->hash_next = nb[b];
		nb[b] = cluster;
	}
}

static struct qnetd_cluster *
cluster_new(struct cluster_registry *reg, const char *name, size_t name_len, uint64_t hash)
{
	struct qnetd_cluster *cluster;
	struct timespec ts;
	size_t b;

	cluster = calloc(1, sizeof(*cluster));
	if (cluster == NULL)
		return (NULL);
	cluster->name = malloc(name_len + 1);
	if (cluster->name == NULL) {
		free(cluster);
		return (NULL);
	}
	if (name_len > 0)
		memcpy(cluster->name, name, name_len);
	cluster->name[name_len] = '\0';
	cluster->name_len = name_len;
	TAILQ_INIT(&cluster->clients);
	/* One clock for every process: workers' listings merge in this order. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		cluster->created_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;

	cluster->hash = hash;
	b = cluster_bucket(reg, hash);
	cluster->hash_next = reg->buckets[b];
	reg->buckets[b] = cluster;
	TAILQ_INSERT_TAIL(&reg->clusters, cluster, entries);
	reg->count++;
	if (reg->count > reg->nbuckets)
		cluster_registry_grow(reg);
	return (cluster);
}

static void
cluster_unlink(struct cluster_registry *reg, struct qnetd_cluster *cluster)
{
	struct qnetd_cluster **pp;

	pp = &reg->buckets[cluster_bucket(reg, cluster->hash)];
	while (*pp != NULL && *pp != cluster)
		pp = &(*pp)->hash_next;
	if (*pp != NULL)
		*pp = cluster->hash_next;
	if (reg->hooks != NULL)
		reg->hooks->cluster_removed(reg, cluster);
	TAILQ_REMOVE(&reg->clusters, cluster, entries);
	reg->count--;
}

/*
 * Clients usually join in rising node-id order, so search from the tail:
 * the common case is O(1).
 */
static void
cluster_insert_sorted(struct qnetd_cluster *cluster, struct qnetd_client *client)
{
	struct qnetd_client *it;

	TAILQ_FOREACH_REVERSE(it, &cluster->clients, qnetd_client_list, cluster_entries) {
		if (it->node_id <= client->node_id) {
			TAILQ_INSERT_AFTER(&cluster->clients, it, client, cluster_entries);
			return;
		}
	}
	TAILQ_INSERT_HEAD(&cluster->clients, client, cluster_entries);
}

struct qnetd_cluster *
cluster_registry_add_client(struct cluster_registry *reg, struct qnetd_client *client)
{
	struct qnetd_cluster *cluster;
	const char *name;
	uint64_t hash;

	name = client->cluster_name != NULL ? client->cluster_name : "";
	hash = cluster_hash(reg, name, client->cluster_name_len);
	cluster = find_hashed(reg, name, client->cluster_name_len, hash);
	if (cluster == NULL) {
		cluster = cluster_new(reg, name, client->cluster_name_len, hash);
		if (cluster == NULL)
			return (NULL);
	}
	cluster_insert_sorted(cluster, client);
	cluster->client_count++;
	client->cluster = cluster;
	return (cluster);
}

void
cluster_registry_del_client(struct cluster_registry *reg, struct qnetd_client *client)
{
	struct qnetd_cluster *cluster;

	cluster = client->cluster;
	if (cluster == NULL)
		return;
	if (reg->hooks != NULL)
		reg->hooks->client_removed(reg, client);
	TAILQ_REMOVE(&cluster->clients, client, cluster_entries);
	cluster->client_count--;
	client->cluster = NULL;
	if (cluster->client_count == 0) {
		cluster_unlink(reg, cluster);
		cluster_free(cluster);
	}
}

struct qnetd_client *
cluster_find_client_by_node_id(const struct qnetd_cluster *cluster, uint32_t node_id)
{
	struct qnetd_client *it;

	TAILQ_FOREACH(it, &cluster->clients, cluster_entries) {
		if (it->node_id == node_id)
			return (it);
		if (it->node_id > node_id)
			break;
	}
	return (NULL);
}
