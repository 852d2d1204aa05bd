/*
 * algo_util.h - private helpers shared by the decision algorithms:
 * sorted node-id sets, a node-id index over a cluster's clients, and the
 * handlers that several algorithms share because they do nothing.
 * Not a public contract; only src/algo_*.c include it.
 */
#ifndef QNETD_ALGO_UTIL_H
#define QNETD_ALGO_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "algo/algo.h"
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

/*
 * Shared algo_ops handlers.  The lists and messages they take change no
 * vote: *result_vote is NO_CHANGE (where there is one) and the result is
 * NO_ERROR.  algo_timer_none: no reschedule, no vote.
 * algo_client_data_free: frees client->algorithm_data and clears it.
 */
enum tlv_reply_error_code algo_config_node_list_no_change(struct qnetd_client *client,
    uint32_t msg_seq, int config_version_set, uint64_t config_version,
    const struct node_list *nodes, int initial, enum tlv_vote *result_vote);
enum tlv_reply_error_code algo_quorum_node_list_no_change(struct qnetd_client *client,
    uint32_t msg_seq, enum tlv_quorate quorate, const struct node_list *nodes,
    enum tlv_vote *result_vote);
enum tlv_reply_error_code algo_vote_info_reply_ignored(struct qnetd_client *client,
    uint32_t msg_seq);
enum tlv_reply_error_code algo_timer_none(struct qnetd_client *client, int *reschedule_timer,
    int *send_vote, enum tlv_vote *result_vote);
void algo_client_data_free(struct qnetd_client *client, int server_going_down);

#endif
