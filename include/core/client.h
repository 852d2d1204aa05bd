/*
 * client.h - the state of one connected qdevice client, as seen by the
 * session layer, the cluster registry, the decision algorithms and the
 * status formatter.  Transport details live behind the session's
 * transport (session/session.h).
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
struct session_ctx;

#define CLIENT_ADDR_STR_LEN 64 /* "[v6 text]:port" fits */

/*
 * Where a client stands in the protocol (docs/design.md, "State machine
 * and ownership").  The order is the order of progress: ACCEPTED <
 * PREINIT_DONE < TLS_STARTED < INITIALISED.  TLS_STARTED is left for
 * INITIALISED only; a plaintext client goes PREINIT_DONE -> INITIALISED.
 * CLOSING is entered from any state and never left.
 */
enum client_state {
	CLIENT_STATE_ACCEPTED,     /* connected, no PREINIT yet */
	CLIENT_STATE_PREINIT_DONE, /* PREINIT answered: the cluster name is known */
	CLIENT_STATE_TLS_STARTED,  /* STARTTLS accepted before INIT: TLS carries the rest */
	CLIENT_STATE_INITIALISED,  /* INIT accepted: in its cluster, algorithm set up */
	CLIENT_STATE_CLOSING,      /* close scheduled; freed at the next safe point */
	CLIENT_STATE_COUNT
};

struct qnetd_client {
	uint64_t id;                        /* connection number, for logs */
	char addr_str[CLIENT_ADDR_STR_LEN]; /* "127.0.0.1:5403", "::1:47464" */
	struct session_ctx *session;        /* set by session_client_accepted() */
	time_t connected_at;

	/* protocol state: changed only by client_state_move() */
	enum client_state state;
	enum client_state closed_in; /* the state CLOSING was entered from */

	/* independent facts */
	unsigned tls_started : 1;                   /* the channel is TLS (from STARTTLS on) */
	unsigned tls_peer_certificate_verified : 1; /* its name matched the cluster name */

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
	uint32_t algo_timer_ms;            /* the algorithm timer's interval, to re-arm it */

	uint64_t dpd_due_ms; /* dead-peer deadline (loop clock); the timer may be earlier */
	uint64_t
	    dpd_timer_ms; /* when the session's dead-peer timer is armed to fire; 0: not armed */

	/* membership in a cluster (set after a successful INIT) */
	struct qnetd_cluster *cluster;
	TAILQ_ENTRY(qnetd_client) cluster_entries; /* node-id order */
};

/*
 * Move client to state `to` if the transition table allows it (see
 * docs/design.md).  0, or -1 for a transition the table does not list:
 * the state is left as it was (a bug in the caller; logged).  Moving to
 * CLOSING records the state it was entered from (closed_in).
 */
int client_state_move(struct qnetd_client *client, enum client_state to);

/* 1 if the table allows from -> to, else 0. */
int client_state_allowed(enum client_state from, enum client_state to);

/* The state the client reached, looking through CLOSING to the state it left. */
static inline enum client_state
client_progress(const struct qnetd_client *client)
{
	return (client->state == CLIENT_STATE_CLOSING ? client->closed_in : client->state);
}

/* INIT was accepted (the client is, or was until its close, in its cluster). */
static inline int
client_initialised(const struct qnetd_client *client)
{
	return (client_progress(client) == CLIENT_STATE_INITIALISED);
}

/* PREINIT was accepted (the cluster name is known). */
static inline int
client_preinit_done(const struct qnetd_client *client)
{
	return (client_progress(client) >= CLIENT_STATE_PREINIT_DONE);
}

static inline int
client_closing(const struct qnetd_client *client)
{
	return (client->state == CLIENT_STATE_CLOSING);
}

/* "ACCEPTED", "PREINIT_DONE", ...: for logs and tests. */
const char *client_state_name(enum client_state state);

/* Zero the state: heartbeat 120000, lists empty, votes UNDEFINED.  No allocation. */
void client_state_init(struct qnetd_client *client);
/* Free what client_state_init's fields own (name, lists).  Not the algorithm data. */
void client_state_destroy(struct qnetd_client *client);

/* Remember that vote was sent (last_sent_vote, last ACK/NACK, change time). */
void client_record_vote(struct qnetd_client *client, enum tlv_vote vote);

/* " (id N, cluster NAME, node ID)", the parts known so far.  Static buffer: use within one log call. */
const char *client_log_ctx(const struct qnetd_client *client);

/*
 * A line about a client: prefixed with its address, its connection id (the
 * "connection_id" of the JSON status, so that one client's story can be
 * grepped) and, once known, cluster name and node id:
 * "Client 127.0.0.1:5403 (id 7, cluster c1, node 2): ..."
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
