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
 * The per-client record of lms and 2nodelms: the last decision stored
 * (UNDEFINED until the first, which marks a newcomer) and whether an ACK
 * waits for the vote memory's grace (the algorithm timer decides then).
 * algo_last_result_client_init is their client_init: allocates it
 * (INTERNAL_ERROR on out of memory); algo_client_data_free frees it.
 */
struct algo_last_result {
	enum tlv_vote vote;
	int withheld;
};
enum tlv_reply_error_code algo_last_result_client_init(struct qnetd_client *client);
/* UNDEFINED when the client has no record. */
enum tlv_vote algo_last_result(const struct qnetd_client *client);
/* The last stored decision is ACK. */
int algo_holds_ack(const struct qnetd_client *client);
/*
 * Store vote (no-op without a record) and return it; when the set of ACK
 * holders changes, the vote memory of algorithm learns the new one.
 */
enum tlv_vote algo_last_result_store(struct qnetd_client *client,
    enum tlv_decision_algorithm algorithm, enum tlv_vote vote);

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
