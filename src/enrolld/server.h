/*
 * server.h - the enrollment service's listening socket and connections:
 * accept (at most max_connections at once), TLS handshake, one request
 * read within request_timeout, one answer, close.  Every step is
 * non-blocking on the event loop.
 */
#ifndef QNETD_ENROLLD_SERVER_H
#define QNETD_ENROLLD_SERVER_H

#include "enrolld.h"

/* Bind and listen.  0, or -1 after logging why. */
int server_init(const struct enrolld_config *cfg);
/* Close the listener and every connection. */
void server_fini(void);

#endif
