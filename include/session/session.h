/*
 * session.h - the protocol state machine of one client: message dispatch,
 * TLS gating, INIT validation, node lists and votes, dead-peer detection,
 * and the algorithm environment (VOTE_INFO pushes, algorithm timers).
 */
#ifndef QNETD_SESSION_H
#define QNETD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "codec/tlv.h"
#include "net/conn.h"

/* Install the algorithm environment.  Call once at start-up. */
void session_module_init(void);

/* A connection was accepted: start its timers.  0, or -1 (caller frees). */
int session_client_accepted(struct conn *c);

/*
 * Workers (docs/workers.md): called on a PREINIT before INIT, with the
 * cluster name it carries and the raw message.  Returns 1 when it took
 * the connection away (handed over or closed: the PREINIT is then not
 * answered here), 0 to go on as usual.  NULL (the default): one process.
 */
typedef int (*session_preinit_hook_fn)(struct conn *c, const char *name, size_t name_len,
    const uint8_t *raw, size_t raw_len);
extern session_preinit_hook_fn session_preinit_hook;

/* One whole message (header + body) arrived. */
void session_msg_received(struct conn *c, const uint8_t *msg, size_t len);

/* A message was discarded at header time (reason 4 or 5). */
void session_msg_skipped(struct conn *c, enum tlv_reply_error_code reason);

/* The connection is being freed: tell the algorithm, leave the cluster. */
void session_client_disconnect(struct conn *c, int server_going_down);

#endif
