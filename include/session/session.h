/*
 * session.h - the protocol state machine of one client: message dispatch,
 * TLS gating, INIT validation, node lists and votes, dead-peer detection,
 * and the algorithm environment (VOTE_INFO pushes, algorithm timers).
 *
 * The session knows no socket.  It reaches its transport only through
 * the struct session_transport it is given, and the rest of the daemon
 * (settings, cluster registry, reply buffer, the observer of its events)
 * through its struct session_ctx, as the algorithms reach theirs through
 * algo_env.  The
 * daemon binds it to connections (src/daemon/wire.c); tests/unit/
 * test_session.c binds it to a transport that records what was queued.
 */
#ifndef QNETD_SESSION_H
#define QNETD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "base/settings.h"
#include "codec/tlv.h"
#include "codec/wbuf.h"
#include "core/client.h"
#include "core/cluster.h"

/* The per-client timers the session asks its transport for. */
enum session_timer {
	SESSION_TIMER_DPD,      /* dead-peer detection */
	SESSION_TIMER_ALGO,     /* the decision algorithm's timer */
	SESSION_TIMER_DEADLINE, /* accept -> INIT deadline (handshake_timeout) */
	SESSION_TIMER_COUNT
};

/*
 * What the session needs from the transport of a client.  Every function
 * gets the client the session was handed in session_client_accepted().
 */
struct session_transport {
	/* Queue one whole message (copied).  0, or -1: the queue is full or memory ran out. */
	int (*queue)(struct qnetd_client *client, const uint8_t *data, size_t len);
	/* Switch the channel to TLS now (after STARTTLS).  0, or -1 with a log line. */
	int (*start_tls)(struct qnetd_client *client);
	/* Close at the next safe point (never frees now).  reason: static text. */
	void (*close)(struct qnetd_client *client, const char *reason);
	/* 1 if bytes from the peer wait unread. */
	int (*input_pending)(struct qnetd_client *client);
	/* 0 if the peer's certificate is valid for name, else -1 with why filled in. */
	int (*check_peer_name)(struct qnetd_client *client, const char *name, char *why,
	    size_t why_len);
	/* The peer's certificate was accepted for its cluster name: record it (status, conflicts). */
	void (*cert_verified)(struct qnetd_client *client);
	/* The loop clock, in ms. */
	uint64_t (*now_ms)(void);
	/* Arm timer t to fire once after ms (re-arming moves it).  0 or -1. */
	int (*timer_arm)(struct qnetd_client *client, enum session_timer t, uint64_t ms);
	/* Disarm timer t (no-op if not armed). */
	void (*timer_disarm)(struct qnetd_client *client, enum session_timer t);
	/* 1 and *expire_ms (loop clock) if timer t is armed, else 0. */
	int (*timer_expiry)(struct qnetd_client *client, enum session_timer t, uint64_t *expire_ms);
};

/*
 * What the session reports, for the opt-in additions (metrics, hook,
 * identity conflicts: extras/events.h, bound by the daemon), so that the
 * session includes nothing above it.
 */
struct session_observer {
	/* vote is about to be recorded as sent to client (reply or VOTE_INFO). */
	void (*vote)(struct qnetd_client *client, enum tlv_vote vote);
	/* INIT succeeded: the client is in its cluster. */
	void (*client_init)(struct qnetd_client *client);
	/* The client certificate was refused for the cluster name (why: for the log). */
	void (*cert_rejected)(struct qnetd_client *client, const char *why);
	/* INIT refused with DUPLICATE_NODE_ID: holder, another client, holds node_id. */
	void (*duplicate_node_id)(struct qnetd_client *client, uint32_t node_id,
	    const struct qnetd_client *holder);
};

/* Everything the session uses that is not the client itself. */
struct session_ctx {
	const struct qnetd_settings *settings;
	struct cluster_registry *clusters;
	const struct session_transport *tp;
	const struct session_observer *obs;
	struct wbuf out; /* the reply being built; empty between calls */
};

/*
 * Set up ctx (pointers kept, not owned) and install the algorithm
 * environment, which finds ctx through each client.  No allocation.
 */
void session_ctx_init(struct session_ctx *ctx, const struct qnetd_settings *settings,
    struct cluster_registry *clusters, const struct session_transport *tp,
    const struct session_observer *obs);
/* Free ctx's reply buffer. */
void session_ctx_destroy(struct session_ctx *ctx);

/*
 * A client was accepted (state ACCEPTED): bind it to ctx, start its
 * timers.  0, or -1 (the caller closes it).
 */
int session_client_accepted(struct session_ctx *ctx, struct qnetd_client *client);

/*
 * Workers (docs/workers.md): called on a PREINIT before INIT, with the
 * cluster name it carries and the raw message.  Returns 1 when it took
 * the client away (handed over or closed: the PREINIT is then not
 * answered here), 0 to go on as usual.  NULL (the default): one process.
 */
typedef int (*session_preinit_hook_fn)(struct qnetd_client *client, const char *name,
    size_t name_len, const uint8_t *raw, size_t raw_len);
extern session_preinit_hook_fn session_preinit_hook;

/* One whole message (header + body) arrived.  Ignored once CLOSING. */
void session_msg_received(struct qnetd_client *client, const uint8_t *msg, size_t len);

/* A message was discarded at header time (reason 4: too long, 5: unknown type). */
void session_msg_skipped(struct qnetd_client *client, enum tlv_reply_error_code reason);

/* Timer t of client came due. */
void session_timer_fired(struct qnetd_client *client, enum session_timer t);

/*
 * The client is about to be freed: tell the algorithm, leave the cluster.
 * The caller frees the client afterwards.
 */
void session_client_disconnect(struct qnetd_client *client, int server_going_down);

#endif
