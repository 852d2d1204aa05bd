/*
 * cluster_cursor.h - a position in the cluster registry (clusters in
 * creation order, each cluster's clients in node-id order) that stays
 * valid across event-loop turns while clusters and clients come and go.
 *
 * A cursor is registered with its registry; cluster.c calls the
 * registry's hooks (struct cluster_registry_hooks, set by the first
 * cursor) before it unlinks an element, and a cursor standing on it is
 * moved to its successor.  A cursor therefore never holds a freed
 * pointer, and a removal costs O(1) when no cursor is open, else
 * O(open cursors) (the IPC server opens at most one per connection,
 * ipc_max_clients).  Elements added behind the cursor are not visited,
 * those added ahead are: a walk over several turns is not a snapshot.
 *
 * The walk yields, in order, for each cluster: CLUSTER_CURSOR_CLUSTER
 * (its start), CLUSTER_CURSOR_CLIENT for each client, then
 * CLUSTER_CURSOR_CLUSTER_END; finally CLUSTER_CURSOR_DONE.  Every start
 * is matched by exactly one end, even when the cluster goes away halfway.
 */
#ifndef QNETD_CLUSTER_CURSOR_H
#define QNETD_CLUSTER_CURSOR_H

#include <sys/queue.h>

#include "core/cluster.h"

enum cluster_cursor_item {
	CLUSTER_CURSOR_DONE,
	CLUSTER_CURSOR_CLUSTER,     /* *cluster set */
	CLUSTER_CURSOR_CLIENT,      /* *cluster and *client set */
	CLUSTER_CURSOR_CLUSTER_END, /* nothing set: the cluster may be gone */
};

/* Where a cursor stands; private to cluster_cursor.c. */
enum cluster_cursor_state {
	CLUSTER_CURSOR_AT_START, /* before cluster's start; cluster NULL: done */
	CLUSTER_CURSOR_IN_BODY,  /* in cluster, before client; client NULL: at its end */
	CLUSTER_CURSOR_AT_END,   /* at the end of a cluster that is gone; cluster: the next */
};

struct cluster_cursor {
	struct cluster_registry *reg; /* NULL: not registered (destroyed or detached) */
	enum cluster_cursor_state state;
	struct qnetd_cluster *cluster;
	struct qnetd_client *client;
	TAILQ_ENTRY(cluster_cursor) entries; /* in reg->cursors */
};

/* Start at the first cluster of reg and register the cursor with reg. */
void cluster_cursor_init(struct cluster_cursor *cur, struct cluster_registry *reg);
/* Unregister (idempotent).  The cursor then yields DONE. */
void cluster_cursor_destroy(struct cluster_cursor *cur);

/*
 * The item at the cursor, without moving: sets *cluster and *client as
 * the item says (others to NULL).  Pointers are valid until the registry
 * changes or the loop turns.
 */
enum cluster_cursor_item cluster_cursor_peek(const struct cluster_cursor *cur,
    struct qnetd_cluster **cluster, struct qnetd_client **client);
/* Move past the item cluster_cursor_peek() returns.  No-op once DONE. */
void cluster_cursor_advance(struct cluster_cursor *cur);
/* At a CLUSTER item: skip that cluster entirely (no clients, no end). */
void cluster_cursor_skip_cluster(struct cluster_cursor *cur);

#endif
