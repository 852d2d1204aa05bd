/*
 * handler.h - what the enrollment service answers to one request (see
 * docs/enroll-protocol.md), and the log line, counter and hook event of
 * every outcome.  Knows HTTP only as the parsed request; server.c does
 * the bytes.
 */
#ifndef QNETD_ENROLLD_HANDLER_H
#define QNETD_ENROLLD_HANDLER_H

#include <stddef.h>

#include "enroll/http.h"
#include "enrolld.h"

struct handler_response {
	int status;
	const char *content_type;
	char *body; /* heap; freed by handler_response_free */
	size_t body_len;
};

/* Load the join script (optional) and start the limiter.  0, or -1 after logging. */
int handler_init(const struct enrolld_config *cfg);
void handler_fini(void);

/* Read the join script again (SIGHUP); on failure /v1/join.sh answers 404. */
void handler_reload(void);

/*
 * Answer the complete request req from peer ("addr:port"; peer_addr is
 * the address alone, the rate-limit key).  Always fills res (status, one
 * line of reason or the content) and logs one line.
 */
void handler_request(const char *peer, const char *peer_addr, const struct http_request *req,
    struct handler_response *res);

/*
 * A request that never became one: malformed (400), too large (413),
 * length missing (411) or too slow (408).  Counted as a failure of
 * peer_addr, logged, answered with why.
 */
void handler_refuse(const char *peer, const char *peer_addr, int status, const char *why,
    struct handler_response *res);

/*
 * A handshake that failed (timed_out 0) or did not finish in time
 * (timed_out 1): counted as a failure of peer_addr, logged.
 */
void handler_tls_failed(const char *peer, const char *peer_addr, const char *why, int timed_out);

void handler_response_free(struct handler_response *res);

#endif
