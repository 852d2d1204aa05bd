/*
 * algo.h - the decision-algorithm interface.
 *
 * An algorithm sees only cluster and client state.  It answers the
 * triggering client through *result_vote and may push VOTE_INFO to any
 * client of the same cluster, arm a per-client timer, or ask for a client
 * to be disconnected, all through the algo_env installed by the session
 * layer (unit tests install their own recording env).
 *
 * Calling convention (protocol.md 2.8): when a list handler runs, the
 * client still holds its OLD stored lists and ring id; the new values
 * come as parameters and are stored by the caller only after the handler
 * returned NO_ERROR.
 */
#ifndef QNETD_ALGO_H
#define QNETD_ALGO_H

#include <stdint.h>

#include "codec/node_list.h"
#include "codec/tlv.h"
#include "core/client.h"
#include "core/cluster.h"

struct algo_env {
	/*
	 * Queue VOTE_INFO(seq, ring, vote) to client and record it as the
	 * client's last sent vote.  0, or -1 when it could not be queued:
	 * the algorithm must then schedule the disconnect of THAT client.
	 */
	int (*send_vote_info)(struct qnetd_client *client, uint32_t seq,
	    const struct tlv_ring_id *ring_id, enum tlv_vote vote);
	/* (Re)arm client's algorithm timer to fire once after ms.  0 or -1. */
	int (*timer_schedule)(struct qnetd_client *client, uint32_t ms);
	/* Disarm client's algorithm timer (no-op if not armed). */
	void (*timer_abort)(struct qnetd_client *client);
	/* Disconnect client at the next safe point (never frees it now). */
	void (*schedule_disconnect)(struct qnetd_client *client);
};

/* Install the environment (the pointer is kept; NULL is not allowed). */
void algo_env_set(const struct algo_env *env);
const struct algo_env *algo_env_get(void);

/*
 * Vote memory (docs/compat.md, "Restart during a standing split"): per
 * cluster, the partition that holds the vote, kept by the daemon across
 * its own restarts.  The algorithms see plain data only; the disk part
 * lives in the daemon.
 */
struct algo_recall {
	const uint32_t *ids;    /* the remembered partition: ascending, distinct */
	size_t n;               /* >= 1 */
	uint32_t grace_left_ms; /* >= 1: the grace after the restart is not over */
};

struct algo_memory_env {
	/*
	 * 1 with *out filled while cluster has a partition remembered from
	 * before the daemon's restart, for this algorithm, and its grace is
	 * not over; else 0.  out->ids stays valid until the next call into
	 * this env.
	 */
	int (*recall)(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
	    struct algo_recall *out);
	/*
	 * The partition holding cluster's vote is now ids (ascending,
	 * distinct; n == 0: none).  It may be unchanged.  Memory only: the
	 * caller never waits on a disk write.
	 */
	void (*note)(const struct qnetd_cluster *cluster, enum tlv_decision_algorithm algorithm,
	    const uint32_t *ids, size_t n);
};

/* Install the vote memory (the pointer is kept); NULL, the default: none. */
void algo_memory_env_set(const struct algo_memory_env *env);
const struct algo_memory_env *algo_memory_env_get(void);

struct algo_ops {
	const char *name;
	/* After INIT validation, before the state becomes INITIALISED. */
	enum tlv_reply_error_code (*client_init)(struct qnetd_client *client);
	enum tlv_reply_error_code (*config_node_list_received)(struct qnetd_client *client,
	    uint32_t msg_seq, int config_version_set, uint64_t config_version,
	    const struct node_list *nodes, int initial, enum tlv_vote *result_vote);
	enum tlv_reply_error_code (*membership_node_list_received)(struct qnetd_client *client,
	    uint32_t msg_seq, const struct tlv_ring_id *ring_id, const struct node_list *nodes,
	    enum tlv_heuristics heuristics, enum tlv_vote *result_vote);
	enum tlv_reply_error_code (*quorum_node_list_received)(struct qnetd_client *client,
	    uint32_t msg_seq, enum tlv_quorate quorate, const struct node_list *nodes,
	    enum tlv_vote *result_vote);
	/*
	 * The client is still in its cluster's list.  server_going_down: no
	 * recomputation, just free.  Must free client->algorithm_data.
	 */
	void (*client_disconnect)(struct qnetd_client *client, int server_going_down);
	enum tlv_reply_error_code (*ask_for_vote_received)(struct qnetd_client *client,
	    uint32_t msg_seq, enum tlv_vote *result_vote);
	enum tlv_reply_error_code (
	    *vote_info_reply_received)(struct qnetd_client *client, uint32_t msg_seq);
	enum tlv_reply_error_code (*heuristics_change_received)(struct qnetd_client *client,
	    uint32_t msg_seq, enum tlv_heuristics heuristics, enum tlv_vote *result_vote);
	/*
	 * The client's algorithm timer fired (it is disarmed on entry).  Set
	 * *reschedule_timer to fire again after the same interval; set
	 * *send_vote to push *result_vote (ACK/NACK) as VOTE_INFO with the next
	 * algo_timer_vote_info_seq and the client's last ring id.
	 */
	enum tlv_reply_error_code (*timer_callback)(struct qnetd_client *client,
	    int *reschedule_timer, int *send_vote, enum tlv_vote *result_vote);
};

/* The implementation of an algorithm, or NULL if a is not one of 0..3. */
const struct algo_ops *algo_get(uint32_t a);

extern const struct algo_ops algo_test_ops;
extern const struct algo_ops algo_ffsplit_ops;
extern const struct algo_ops algo_2nodelms_ops;
extern const struct algo_ops algo_lms_ops;

#endif
