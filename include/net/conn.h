/*
 * conn.h - one client connection: socket or NSS TLS, framed reads, the
 * send queue, the per-client timers, and the deferred close.
 *
 * Lifetime: conn_new() on accept; conn_schedule_close() marks it (any
 * time, from any callback); the loop's after-dispatch hook reaps marked
 * connections: upcalls->gone(), then conn_free().  So a
 * connection is never freed while a callback is still using it.
 */
#ifndef QNETD_CONN_H
#define QNETD_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <prio.h>

#include "codec/frame.h"
#include "codec/wbuf.h"
#include "core/client.h"
#include "net/loop.h"

struct outmsg;
struct conn;

/* The per-connection timers, for the layer above (which numbers them). */
#define CONN_TIMERS 3

/*
 * The transport's own state, beside the client's protocol state (which
 * says whether the connection is CLOSING).  Moves only forward:
 * PLAIN -> TLS_HANDSHAKE (STARTTLS) -> TLS (handshake finished).
 */
enum conn_transport {
	CONN_PLAIN,         /* plain TCP */
	CONN_TLS_HANDSHAKE, /* NSS wraps the socket; the handshake is under way */
	CONN_TLS,           /* the handshake finished */
};

/*
 * What a connection tells the layer above (installed once by the daemon,
 * src/daemon/wire.c).  The connection never includes that layer.
 */
struct conn_upcalls {
	/* One whole message (header + body). */
	void (*message)(struct conn *c, const uint8_t *msg, size_t len);
	/* A message discarded at header time (reason 4 or 5). */
	void (*skipped)(struct conn *c, enum tlv_reply_error_code reason);
	/* Timer which (0 .. CONN_TIMERS-1) came due. */
	void (*timer)(struct conn *c, unsigned which);
	/*
	 * The TLS handshake finished (error_name NULL) or failed (NSS error
	 * name; revoked_serial: the serial of a revoked client certificate
	 * that was the reason, else NULL).
	 */
	void (*tls_done)(struct conn *c, const char *error_name, const char *revoked_serial);
	/* About to be freed (after the "disconnected" line). */
	void (*gone)(struct conn *c, const char *reason, int server_going_down);
};

struct conn {
	struct qnetd_client client; /* first member: see conn_of() */
	int fd;
	enum conn_transport transport;
	PRFileDesc *ssl; /* NULL until STARTTLS; then owns fd */
	struct loop_watch watch;
	struct frame_rx rx;
	struct outmsg *out_head, *out_tail;
	size_t out_count;
	size_t out_off; /* bytes of out_head already written */
	struct loop_timer timers[CONN_TIMERS];
	unsigned tls_just_started : 1; /* STARTTLS taken in the current read */
	/* list membership */
	unsigned on_flush : 1;
	unsigned on_again : 1;
	unsigned on_hs_wait : 1;
	unsigned on_reap : 1;
	const char *close_reason;
	TAILQ_ENTRY(conn) entries;       /* every connection */
	TAILQ_ENTRY(conn) flush_entries; /* has queued output to write */
	TAILQ_ENTRY(conn) again_entries; /* NSS holds data no socket event will announce */
	TAILQ_ENTRY(conn) hs_entries;    /* TLS handshake step deferred to a later turn */
	struct conn *reap_next;
};

TAILQ_HEAD(conn_list, conn);

static inline struct conn *
conn_of(struct qnetd_client *client)
{
	return ((struct conn *)client);
}

/* Every live connection, in accept order. */
extern struct conn_list conn_all;

/* Wrap an accepted, non-blocking socket.  NULL on out of memory (fd untouched). */
struct conn *conn_new(int fd, const char *addr_str);

/* Arm timer which (< CONN_TIMERS) to fire once after ms.  0 or -1. */
int conn_timer_arm(struct conn *c, unsigned which, uint64_t ms);
/* Disarm timer which (no-op if not armed). */
void conn_timer_disarm(struct conn *c, unsigned which);
/* 1 and *expire_ms if timer which is armed, else 0. */
int conn_timer_expiry(const struct conn *c, unsigned which, uint64_t *expire_ms);

/*
 * Workers (docs/workers.md): take over a socket that the parent accepted,
 * as if accepted here: id is the parent's global connection sequence,
 * connected_at its accept time, and bytes (len, at most one message) what
 * the parent already read from it, handed to the session as if read now;
 * accepted is what the listener calls for a new connection (non-zero:
 * the connection is closed).  The connection, or NULL on out of memory
 * (fd untouched).
 */
struct conn *conn_adopt(int fd, const char *addr_str, uint64_t id, time_t connected_at,
    const uint8_t *bytes, size_t len, int (*accepted)(struct conn *c));

/*
 * Workers: give the plain-text socket of c away (to another worker).
 * Writes what is queued now; then a duplicate of the descriptor is
 * returned (the caller owns it) and c is scheduled to close quietly.
 * -1 when it cannot be handed over (TLS started, output still queued,
 * closing, no descriptor left): the caller then closes c.
 */
int conn_handover(struct conn *c);

/*
 * Queue one complete message (copied).  0, or -1 when the queue already
 * holds max_client_send_buffers messages or the message exceeds
 * max_client_send_size or memory ran out: the caller then disconnects.
 */
int conn_queue(struct conn *c, const uint8_t *data, size_t len);

/* 1 if bytes from the peer wait unread (in the socket or inside NSS). */
int conn_input_pending(const struct conn *c);

/* Switch to TLS (after STARTTLS).  0, or -1 with a log line (caller closes). */
int conn_start_tls(struct conn *c);

/*
 * Close at the next safe point: the client's state becomes CLOSING (if
 * not already) and the connection is reaped after the dispatch.  reason:
 * static text for the log.
 */
void conn_schedule_close(struct conn *c, const char *reason);

/* Reap, flush: the after-dispatch hook (also used at shutdown). */
void conn_after_dispatch(void);

/* Close every connection now, telling algorithms the server goes down. */
void conn_close_all(void);

/* One-time set-up of the module (limits come from the instance settings; up is kept). */
void conn_module_init(const struct conn_upcalls *up);

#endif
