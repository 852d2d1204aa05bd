/*
 * test_cluster.c - cluster registry: lookup by exact name, node-id
 * order, freeing on empty (with the algorithm's free hook), creation
 * order, growth under many clusters.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/client.h"
#include "core/cluster.h"

static int freed_hooks;

static void
count_free(struct qnetd_cluster *cluster)
{

	freed_hooks++;
	free(cluster->algorithm_data);
	cluster->algorithm_data = NULL;
}

static struct qnetd_client *
mk(const char *name, size_t len, uint32_t node_id)
{
	struct qnetd_client *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	client_state_init(c);
	c->cluster_name = malloc(len + 1);
	if (c->cluster_name == NULL)
		abort();
	memcpy(c->cluster_name, name, len);
	c->cluster_name[len] = '\0';
	c->cluster_name_len = len;
	c->node_id = node_id;
	return (c);
}

static void
rm(struct cluster_registry *reg, struct qnetd_client *c)
{

	cluster_registry_del_client(reg, c);
	client_state_destroy(c);
	free(c);
}

static void
test_client_state(void)
{
	struct qnetd_client c;

	client_state_init(&c);
	CHECK_EQ(c.heartbeat_interval, 120000);
	CHECK_EQ(c.last_sent_vote, TLV_VOTE_UNDEFINED);
	CHECK_EQ(c.configuration_node_list.count, 0);
	client_record_vote(&c, TLV_VOTE_ASK_LATER);
	CHECK_EQ(c.last_sent_vote, TLV_VOTE_ASK_LATER);
	CHECK_EQ(c.last_sent_ack_nack_vote, TLV_VOTE_UNDEFINED);
	CHECK(c.last_vote_change != 0);
	client_record_vote(&c, TLV_VOTE_NACK);
	client_record_vote(&c, TLV_VOTE_NO_CHANGE);
	CHECK_EQ(c.last_sent_vote, TLV_VOTE_NO_CHANGE);
	CHECK_EQ(c.last_sent_ack_nack_vote, TLV_VOTE_NACK);
	CHECK_EQ(node_list_add(&c.last_membership_node_list, 1, 0, 0), 0);
	client_state_destroy(&c);
	CHECK_EQ(c.last_membership_node_list.count, 0);
	client_state_destroy(&c);	/* twice is harmless */
}

static void
test_order_and_lookup(void)
{
	struct cluster_registry reg;
	struct qnetd_client *a3, *a1, *a2, *b1, *n1, *n2;
	struct qnetd_cluster *ca, *cb, *it;
	struct qnetd_client *c;
	uint32_t prev;
	int i;

	CHECK_EQ(cluster_registry_init(&reg), 0);
	a3 = mk("alpha", 5, 3);
	a1 = mk("alpha", 5, 1);
	a2 = mk("alpha", 5, 2);
	b1 = mk("beta", 4, 1);
	/* Names are compared by length and bytes: "ab" and "ab\0x" differ. */
	n1 = mk("ab", 2, 1);
	n2 = mk("ab\0x", 4, 1);

	ca = cluster_registry_add_client(&reg, a3);
	CHECK(ca != NULL);
	CHECK(cluster_registry_add_client(&reg, a1) == ca);
	CHECK(cluster_registry_add_client(&reg, a2) == ca);
	cb = cluster_registry_add_client(&reg, b1);
	CHECK(cb != NULL && cb != ca);
	CHECK(cluster_registry_add_client(&reg, n1) != cluster_registry_add_client(&reg, n2));
	CHECK_EQ(reg.count, 4);
	CHECK(a1->cluster == ca && b1->cluster == cb);
	CHECK_EQ(ca->client_count, 3);

	prev = 0;
	i = 0;
	TAILQ_FOREACH(c, &ca->clients, cluster_entries) {
		CHECK(c->node_id > prev);
		prev = c->node_id;
		i++;
	}
	CHECK_EQ(i, 3);
	CHECK(cluster_registry_find(&reg, "alpha", 5) == ca);
	CHECK(cluster_registry_find(&reg, "alph", 4) == NULL);
	CHECK(cluster_registry_find(&reg, "alphax", 5) == ca);
	CHECK(cluster_registry_find(&reg, "ab", 2) == n1->cluster);
	CHECK(cluster_registry_find(&reg, "ab\0x", 4) == n2->cluster);
	CHECK(cluster_find_client_by_node_id(ca, 2) == a2);
	CHECK(cluster_find_client_by_node_id(ca, 4) == NULL);
	CHECK(cluster_find_client_by_node_id(ca, 0) == NULL);

	/* creation order */
	it = TAILQ_FIRST(&reg.clusters);
	CHECK(it == ca);
	CHECK(TAILQ_NEXT(it, entries) == cb);

	/* Emptying a cluster frees it and runs the algorithm's hook. */
	freed_hooks = 0;
	cb->algorithm_data = malloc(16);
	cb->algorithm_data_free = count_free;
	rm(&reg, b1);
	CHECK_EQ(freed_hooks, 1);
	CHECK(cluster_registry_find(&reg, "beta", 4) == NULL);
	CHECK_EQ(reg.count, 3);
	rm(&reg, a2);
	CHECK_EQ(ca->client_count, 2);
	CHECK(cluster_find_client_by_node_id(ca, 2) == NULL);
	CHECK(cluster_registry_find(&reg, "alpha", 5) == ca);
	{
		struct qnetd_client *lone = mk("alpha", 5, 9);

		cluster_registry_del_client(&reg, lone);	/* no cluster: no-op */
		CHECK_EQ(ca->client_count, 2);
		client_state_destroy(lone);
		free(lone);
	}
	rm(&reg, a1);
	rm(&reg, a3);
	CHECK(cluster_registry_find(&reg, "alpha", 5) == NULL);
	rm(&reg, n1);
	rm(&reg, n2);
	CHECK_EQ(reg.count, 0);
	CHECK(TAILQ_EMPTY(&reg.clusters));
	cluster_registry_destroy(&reg);
}

static void
test_many(void)
{
	enum { N = 20000 };
	struct cluster_registry reg;
	struct qnetd_client **cl;
	struct qnetd_cluster *cluster;
	char name[32];
	int i, ok, len;

	CHECK_EQ(cluster_registry_init(&reg), 0);
	cl = calloc(N, sizeof(*cl));
	if (cl == NULL)
		abort();
	for (i = 0; i < N; i++) {
		len = snprintf(name, sizeof(name), "cluster-%d", i / 2);
		cl[i] = mk(name, (size_t)len, (uint32_t)(N - i));
		if (cluster_registry_add_client(&reg, cl[i]) == NULL)
			abort();
	}
	CHECK_EQ(reg.count, N / 2);
	CHECK(reg.nbuckets >= N / 2);
	ok = 1;
	for (i = 0; i < N; i += 2) {
		len = snprintf(name, sizeof(name), "cluster-%d", i / 2);
		cluster = cluster_registry_find(&reg, name, (size_t)len);
		if (cluster != cl[i]->cluster || cluster->client_count != 2 ||
		    TAILQ_FIRST(&cluster->clients) != cl[i + 1])
			ok = 0;
	}
	CHECK(ok);
	/* destroy frees the clusters but not the clients */
	cluster_registry_destroy(&reg);
	for (i = 0; i < N; i++) {
		client_state_destroy(cl[i]);
		free(cl[i]);
	}
	free(cl);
}

int
main(void)
{

	test_client_state();
	test_order_and_lookup();
	test_many();
	return (check_exit("cluster"));
}
