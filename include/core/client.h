/*
 * client.h - the state of one connected qdevice client, as seen by the
 * session layer, the cluster registry, the decision algorithms and the
 * status formatter.  Transport details live behind `conn`.
 */
#ifndef QNETD_CLIENT_H
#define QNETD_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "base/log.h"
#include "codec/node_list.h"
#include "codec/tlv.h"

struct qnetd_cluster;
struct conn;

#define CLIENT_ADDR_STR_LEN 64 /* "[v6 text]:port" fits */

struct qnetd_client {
	uint64_t id;                        /* connection number, for logs */
	char addr_str[CLIENT_ADDR_STR_LEN]; /* "127.0.0.1:5403", "::1:47464" */
	struct conn *conn;                  /* transport; NULL in unit tests */
	time_t connected_at;

	/* facts (protocol.md 2.1) */
	unsigned preinit_received : 1;
	unsigned tls_started : 1;
	unsigned tls_peer_certificate_verified : 1;
	unsigned init_received : 1;
	unsigned schedule_disconnect : 1;

	/* identity */
	char *cluster_name; /* owned, NUL-terminated; NULL before PREINIT */
	size_t cluster_name_len;
	uint32_t node_id;
	enum tlv_decision_algorithm decision_algorithm;
	struct tlv_tie_breaker tie_breaker;
	uint32_t heartbeat_interval; /* ms; 120000 until INIT */

	/* node lists, stored after the algorithm has decided */
	struct node_list configuration_node_list;
	int config_version_set;
	uint64_t config_version;
	struct node_list last_membership_node_list;
	struct node_list last_quorum_node_list;

	struct tlv_ring_id last_ring_id;
	enum tlv_heuristics last_membership_heuristics;
	enum tlv_heuristics last_regular_heuristics;
	enum tlv_heuristics last_heuristics;

	/* what the client was told */
	enum tlv_vote last_sent_vote;          /* UNDEFINED = never sent */
	enum tlv_vote last_sent_ack_nack_vote; /* last ACK or NACK, else UNDEFINED */
	time_t last_vote_change;

	int keep_active_partition_tie_breaker;

	/* decision algorithm */
	void *algorithm_data;              /* owned by the algorithm */
	uint32_t algo_timer_vote_info_seq; /* seq of VOTE_INFO sent from the algorithm timer */

	/* membership in a cluster (set after a successful INIT) */
	struct qnetd_cluster *cluster;
	TAILQ_ENTRY(qnetd_client) cluster_entries; /* node-id order */
};

/* Zero the state: heartbeat 120000, lists empty, votes UNDEFINED.  No allocation. */
void client_state_init(struct qnetd_client *client);
/* Free what client_state_init's fields own (name, lists).  Not the algorithm data. */
void client_state_destroy(struct qnetd_client *client);

/* Remember that vote was sent (last_sent_vote, last ACK/NACK, change time). */
void client_record_vote(struct qnetd_client *client, enum tlv_vote vote);

/* " (cluster NAME, node ID)" once known, else "".  Static buffer: use within one log call. */
const char *client_log_ctx(const struct qnetd_client *client);

/*
 * A line about a client: prefixed with its address and, once known,
 * cluster name and node id:  "Client 127.0.0.1:5403 (cluster c1, node 2): ..."
 */
#define log_client(prio, client, fmt, ...)                                          \
	do {                                                                        \
		if (log_enabled(prio))                                              \
			log_printf((prio), "Client %s%s: " fmt, (client)->addr_str, \
			    client_log_ctx(client), ##__VA_ARGS__);                 \
	} while (0)

/* A routine line about a client, rate-limited (log_routine_admit, log.h). */
#define log_client_routine(prio, client, fmt, ...)                                  \
	do {                                                                        \
		if (log_routine_admit(prio))                                        \
			log_printf((prio), "Client %s%s: " fmt, (client)->addr_str, \
			    client_log_ctx(client), ##__VA_ARGS__);                 \
	} while (0)

#endif
