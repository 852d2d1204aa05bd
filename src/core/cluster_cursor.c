/*
 * cluster_cursor.c - registry positions that survive removals (see
 * cluster_cursor.h).
 *
 * The registry keeps the open cursors in a list and calls the hooks set
 * here (cluster.h) before each removal; the removal hooks walk
 * it and move any cursor standing on the element being unlinked to that
 * element's successor, which is still reachable because the hooks run
 * before the unlink.  There is no per-element reference count, so
 * client.h and the session code know nothing of cursors.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stddef.h>

#include "core/cluster_cursor.h"

static void client_removed(struct cluster_registry *reg, const struct qnetd_client *client);
static void cluster_removed(struct cluster_registry *reg, const struct qnetd_cluster *cluster);
static void detach_all(struct cluster_registry *reg);

static const struct cluster_registry_hooks cursor_hooks = {
	.client_removed = client_removed,
	.cluster_removed = cluster_removed,
	.destroyed = detach_all,
};

void
cluster_cursor_init(struct cluster_cursor *cur, struct cluster_registry *reg)
{

	reg->hooks = &cursor_hooks;
	cur->reg = reg;
	cur->state = CLUSTER_CURSOR_AT_START;
	cur->cluster = TAILQ_FIRST(&reg->clusters);
	cur->client = NULL;
	TAILQ_INSERT_TAIL(&reg->cursors, cur, entries);
}

static void
cursor_finish(struct cluster_cursor *cur)
{

	cur->reg = NULL;
	cur->state = CLUSTER_CURSOR_AT_START;
	cur->cluster = NULL;
	cur->client = NULL;
}

void
cluster_cursor_destroy(struct cluster_cursor *cur)
{

	if (cur->reg != NULL)
		TAILQ_REMOVE(&cur->reg->cursors, cur, entries);
	cursor_finish(cur);
}

enum cluster_cursor_item
cluster_cursor_peek(const struct cluster_cursor *cur, struct qnetd_cluster **cluster,
    struct qnetd_client **client)
{

	*cluster = NULL;
	*client = NULL;
	switch (cur->state) {
	case CLUSTER_CURSOR_AT_START:
		if (cur->cluster == NULL)
			return (CLUSTER_CURSOR_DONE);
		*cluster = cur->cluster;
		return (CLUSTER_CURSOR_CLUSTER);
	case CLUSTER_CURSOR_IN_BODY:
		if (cur->client == NULL)
			return (CLUSTER_CURSOR_CLUSTER_END);
		*cluster = cur->cluster;
		*client = cur->client;
		return (CLUSTER_CURSOR_CLIENT);
	case CLUSTER_CURSOR_AT_END:
		return (CLUSTER_CURSOR_CLUSTER_END);
	}

	return (CLUSTER_CURSOR_DONE);
}

void
cluster_cursor_advance(struct cluster_cursor *cur)
{

	switch (cur->state) {
	case CLUSTER_CURSOR_AT_START:
		if (cur->cluster == NULL)
			return;
		cur->state = CLUSTER_CURSOR_IN_BODY;
		cur->client = TAILQ_FIRST(&cur->cluster->clients);
		break;
	case CLUSTER_CURSOR_IN_BODY:
		if (cur->client != NULL) {
			cur->client = TAILQ_NEXT(cur->client, cluster_entries);
			break;
		}
		cur->state = CLUSTER_CURSOR_AT_START;
		cur->cluster = TAILQ_NEXT(cur->cluster, entries);
		break;
	case CLUSTER_CURSOR_AT_END:
		cur->state = CLUSTER_CURSOR_AT_START;
		break;
	}
}

void
cluster_cursor_skip_cluster(struct cluster_cursor *cur)
{

	if (cur->state == CLUSTER_CURSOR_AT_START && cur->cluster != NULL)
		cur->cluster = TAILQ_NEXT(cur->cluster, entries);
}

/* Before client is unlinked: a cursor on it moves to its successor. */
static void
client_removed(struct cluster_registry *reg, const struct qnetd_client *client)
{
	struct cluster_cursor *cur;

	TAILQ_FOREACH(cur, &reg->cursors, entries) {
		if (cur->state == CLUSTER_CURSOR_IN_BODY && cur->client == client)
			cur->client = TAILQ_NEXT(client, cluster_entries);
	}
}

/* Before cluster is unlinked: a cursor on it owes its end, then moves on. */
static void
cluster_removed(struct cluster_registry *reg, const struct qnetd_cluster *cluster)
{
	struct cluster_cursor *cur;

	TAILQ_FOREACH(cur, &reg->cursors, entries) {
		if (cur->cluster != cluster)
			continue;
		/* Started and not ended: its end is still owed to the reader. */
		if (cur->state == CLUSTER_CURSOR_IN_BODY)
			cur->state = CLUSTER_CURSOR_AT_END;
		cur->cluster = TAILQ_NEXT(cluster, entries);
		cur->client = NULL;
	}
}

/* The registry goes: every cursor yields DONE and is unregistered. */
static void
detach_all(struct cluster_registry *reg)
{
	struct cluster_cursor *cur;

	while ((cur = TAILQ_FIRST(&reg->cursors)) != NULL) {
		TAILQ_REMOVE(&reg->cursors, cur, entries);
		cursor_finish(cur);
	}
}
