/*
 * wire.h - binds the socket-free session core to the daemon's
 * connections: the session's transport is a struct conn, and a
 * connection's upcalls (message, timer, TLS result, gone) go to the
 * session and to the opt-in additions (events).
 */
#ifndef QNETD_WIRE_H
#define QNETD_WIRE_H

#include "core/instance.h"

struct conn;

/*
 * Install the binding: the session context of the instance and the
 * connections' upcalls.  Call once, after the instance has its settings
 * and cluster registry, before the first connection.  No allocation.
 */
void wire_init(struct qnetd_instance *instance);
/* The listener's accepted callback: start c's session.  0, or -1 (the listener closes c). */
int wire_client_accepted(struct conn *c);

/* Free what wire_init() set up (after every connection is gone). */
void wire_fini(void);

#endif
