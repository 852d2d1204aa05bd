/*
 * server.c - connections of the enrollment service (see server.h).
 *
 * States: HANDSHAKE (TLS), READ (until the request parses), WRITE (the
 * answer), DRAIN (the answer is out; discard what the peer still sends
 * until it closes, so that closing with unread bytes does not reset the
 * connection before the peer read the answer).  One timer per
 * connection: request_timeout from accept to a complete request, then
 * DRAIN_MS for the answer to leave.  Connections are freed at the
 * loop's one safe point, after dispatch.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <prerror.h>
#include <ssl.h>

#include "base/log.h"
#include "enroll/http.h"
#include "handler.h"
#include "net/loop.h"
#include "net/tls.h"
#include "server.h"
#include "svc_tls.h"

#define IN_CAP (HTTP_MAX_HEAD + ENROLLD_MAX_BODY)
#define DRAIN_MS 2000
#define ACCEPT_BATCH 16
#define LISTEN_BACKLOG 64

enum ec_state { EC_HANDSHAKE, EC_READ, EC_WRITE, EC_DRAIN, EC_DEAD };

struct econn {
	int fd;
	PRFileDesc *ssl;
	enum ec_state state;
	struct loop_watch w;
	struct loop_timer timer;
	char peer[80];      /* "addr:port" */
	char peer_addr[64]; /* "addr": the rate-limit key */
	uint8_t *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	struct econn *next, *prev;
	struct econn *reap_next;
};

static struct {
	const struct enrolld_config *cfg;
	int lfd;
	struct loop_watch lw;
	struct econn *conns;
	size_t nconns;
	struct econn *reap;
} sv = { .lfd = -1 };

static void
conn_kill(struct econn *c)
{
	if (c->state == EC_DEAD)
		return;
	c->state = EC_DEAD;
	loop_watch_del(&c->w);
	loop_timer_disarm(&c->timer);
	c->reap_next = sv.reap;
	sv.reap = c;
}

static void
reap_cb(void)
{
	while (sv.reap != NULL) {
		struct econn *c = sv.reap;

		sv.reap = c->reap_next;
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			sv.conns = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		sv.nconns--;
		if (c->ssl != NULL)
			PR_Close(c->ssl);
		else if (c->fd >= 0)
			close(c->fd);
		free(c->in);
		free(c->out);
		free(c);
	}
}

/* Queue "HTTP/1.1 status" with res as the answer, then write. */
static void conn_write(struct econn *c);

static void
conn_respond(struct econn *c, struct handler_response *res)
{
	int n, len;

	len = snprintf(NULL, 0,
	    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
	    res->status, http_status_text(res->status), res->content_type, res->body_len);
	c->out = malloc((size_t)len + res->body_len + 1);
	if (c->out == NULL) {
		handler_response_free(res);
		conn_kill(c);
		return;
	}
	n = snprintf(c->out, (size_t)len + 1,
	    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
	    res->status, http_status_text(res->status), res->content_type, res->body_len);
	if (res->body_len > 0)
		memcpy(c->out + n, res->body, res->body_len);
	c->out_len = (size_t)n + res->body_len;
	c->out_off = 0;
	handler_response_free(res);
	c->state = EC_WRITE;
	/* A peer that never reads its answer does not keep the slot. */
	if (loop_watch_mod(&c->w, EPOLLOUT) != 0 || loop_timer_arm(&c->timer, DRAIN_MS) != 0) {
		conn_kill(c);
		return;
	}
	conn_write(c);
}

static void
conn_refuse(struct econn *c, int status, const char *why)
{
	struct handler_response res;

	memset(&res, 0, sizeof(res));
	handler_refuse(c->peer, c->peer_addr, status, why, &res);
	conn_respond(c, &res);
}

static void
start_drain(struct econn *c)
{
	c->state = EC_DRAIN;
	/* No more to send: tell the peer, then wait for its close. */
	(void)PR_Shutdown(c->ssl, PR_SHUTDOWN_SEND);
	if (loop_watch_mod(&c->w, EPOLLIN) != 0 || loop_timer_arm(&c->timer, DRAIN_MS) != 0)
		conn_kill(c);
}

static void
conn_write(struct econn *c)
{
	while (c->out_off < c->out_len) {
		PRInt32 n = PR_Send(c->ssl, c->out + c->out_off, (PRInt32)(c->out_len - c->out_off),
		    0, PR_INTERVAL_NO_WAIT);

		if (n < 0) {
			if (tls_would_block())
				return;
			log_msg(LOG_DEBUG, "Enroll %s: write failed: %s", c->peer,
			    tls_last_error());
			conn_kill(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	start_drain(c);
}

/* The request so far parses: answer it, refuse it, or wait for more. */
static void
conn_parse(struct econn *c)
{
	struct http_request req;
	struct handler_response res;

	switch (http_parse_request(c->in, c->in_len, ENROLLD_MAX_BODY, &req)) {
	case HTTP_NEED_MORE:
		return;
	case HTTP_BAD:
		conn_refuse(c, 400, req.why);
		return;
	case HTTP_TOO_LARGE:
		conn_refuse(c, 413, req.why);
		return;
	case HTTP_LENGTH_NEEDED:
		conn_refuse(c, 411, req.why);
		return;
	case HTTP_DONE:
		break;
	}
	handler_request(c->peer, c->peer_addr, &req, &res);
	conn_respond(c, &res);
}

static void
conn_read(struct econn *c)
{
	/* NSS may hold decrypted bytes the socket no longer signals: read until it blocks. */
	while (c->state == EC_READ) {
		PRInt32 n;

		if (c->in_len == IN_CAP) {
			conn_refuse(c, 413, "request too large");
			return;
		}
		n = PR_Recv(c->ssl, c->in + c->in_len, (PRInt32)(IN_CAP - c->in_len), 0,
		    PR_INTERVAL_NO_WAIT);
		if (n < 0 && tls_would_block())
			return;
		if (n <= 0) {
			enrolld_stats.bad_http++;
			log_msg(LOG_WARNING,
			    "Enroll %s: connection closed before a complete request%s%s", c->peer,
			    n < 0 ? ": " : "", n < 0 ? tls_last_error() : "");
			conn_kill(c);
			return;
		}
		c->in_len += (size_t)n;
		conn_parse(c);
	}
}

static void
conn_handshake(struct econn *c)
{
	if (SSL_ForceHandshake(c->ssl) != SECSuccess) {
		if (tls_would_block())
			return;
		handler_tls_failed(c->peer, c->peer_addr, tls_last_error_name(), 0);
		conn_kill(c);
		return;
	}
	c->state = EC_READ;
	conn_read(c);
}

static void
conn_drain(struct econn *c)
{
	char scratch[1024];

	for (;;) {
		PRInt32 n = PR_Recv(c->ssl, scratch, sizeof(scratch), 0, PR_INTERVAL_NO_WAIT);

		if (n < 0 && tls_would_block())
			return;
		if (n <= 0) {
			conn_kill(c);
			return;
		}
	}
}

static void
conn_cb(struct loop_watch *w, uint32_t revents)
{
	struct econn *c = w->data;

	(void)revents;
	switch (c->state) {
	case EC_HANDSHAKE:
		conn_handshake(c);
		break;
	case EC_READ:
		conn_read(c);
		break;
	case EC_WRITE:
		conn_write(c);
		break;
	case EC_DRAIN:
		conn_drain(c);
		break;
	case EC_DEAD:
		break;
	}
}

static void
timer_cb(struct loop_timer *t)
{
	struct econn *c = t->data;

	switch (c->state) {
	case EC_HANDSHAKE:
		handler_tls_failed(c->peer, c->peer_addr, "not finished within the time limit", 1);
		conn_kill(c);
		break;
	case EC_READ:
		conn_refuse(c, 408, "request not complete within the time limit");
		break;
	default:
		conn_kill(c);
		break;
	}
}

/* "addr:port" and "addr" of a peer, numeric. */
static void
peer_names(const struct sockaddr_storage *ss, socklen_t len, struct econn *c)
{
	char host[64], port[8];
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	struct sockaddr_in s4;

	/* An IPv4 peer of the dual-stack socket is logged and limited as IPv4. */
	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_port = s6->sin6_port;
		memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		ss = (const struct sockaddr_storage *)(void *)&s4;
		len = sizeof(s4);
	}
	if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), port, sizeof(port),
	        NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(host, sizeof(host), "?");
		snprintf(port, sizeof(port), "?");
	}
	snprintf(c->peer_addr, sizeof(c->peer_addr), "%s", host);
	if (ss->ss_family == AF_INET6)
		snprintf(c->peer, sizeof(c->peer), "[%s]:%s", host, port);
	else
		snprintf(c->peer, sizeof(c->peer), "%s:%s", host, port);
}

static void
conn_new(int fd, const struct sockaddr_storage *ss, socklen_t len)
{
	struct econn *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->in = malloc(IN_CAP)) == NULL) {
		log_msg(LOG_ERR, "Out of memory accepting a connection");
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	peer_names(ss, len, c);
	c->ssl = svc_tls_wrap(fd);
	if (c->ssl == NULL) {
		log_msg(LOG_ERR, "Enroll %s: can't set up TLS: %s", c->peer, tls_last_error());
		free(c->in);
		free(c);
		close(fd);
		return;
	}
	c->next = sv.conns;
	if (sv.conns != NULL)
		sv.conns->prev = c;
	sv.conns = c;
	sv.nconns++;
	enrolld_stats.connections++;
	loop_watch_init(&c->w, fd, conn_cb, c);
	loop_timer_init(&c->timer, timer_cb, c);
	if (loop_watch_add(&c->w, EPOLLIN) != 0 ||
	    loop_timer_arm(&c->timer, sv.cfg->request_timeout_ms) != 0) {
		log_msg(LOG_ERR, "Enroll %s: can't watch the connection", c->peer);
		conn_kill(c);
		return;
	}
	log_msg(LOG_DEBUG, "Enroll %s: connected", c->peer);
}

static void
accept_cb(struct loop_watch *w, uint32_t revents)
{
	int i;

	(void)w;
	(void)revents;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd =
		    accept4(sv.lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				log_msg(LOG_ERR, "accept failed: %s", strerror(errno));
			return;
		}
		if (sv.nconns >= sv.cfg->max_connections) {
			struct econn tmp;

			peer_names(&ss, len, &tmp);
			enrolld_stats.busy++;
			log_msg(LOG_WARNING, "Enroll %s: refused: %u connections already open",
			    tmp.peer, sv.cfg->max_connections);
			close(fd);
			continue;
		}
		conn_new(fd, &ss, len);
	}
}

static int
open_listener(const struct enrolld_config *cfg)
{
	struct addrinfo hints, *ai = NULL, *p;
	char port[8];
	int fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = cfg->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", (unsigned)cfg->port);
	rc = getaddrinfo(cfg->listen_addr, port, &hints, &ai);
	if (rc != 0) {
		log_msg(LOG_CRIT, "Can't resolve listen address %s: %s",
		    cfg->listen_addr ? cfg->listen_addr : "*", gai_strerror(rc));
		return (-1);
	}
	/* The wildcard: IPv6 first, as it also takes IPv4 (dual stack). */
	for (p = ai; p != NULL; p = p->ai_next) {
		if (cfg->listen_addr == NULL && cfg->family == AF_UNSPEC &&
		    p->ai_family != AF_INET6 && p->ai_next != NULL)
			continue;
		fd = socket(p->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, p->ai_addr, p->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		log_msg(LOG_CRIT, "Can't listen on %s port %s: %s",
		    cfg->listen_addr ? cfg->listen_addr : "*", port, strerror(errno));
	freeaddrinfo(ai);
	return (fd);
}

int
server_init(const struct enrolld_config *cfg)
{
	sv.cfg = cfg;
	sv.lfd = open_listener(cfg);
	if (sv.lfd < 0)
		return (-1);
	loop_set_after_dispatch(reap_cb);
	loop_watch_init(&sv.lw, sv.lfd, accept_cb, NULL);
	if (loop_watch_add(&sv.lw, EPOLLIN) != 0) {
		log_msg(LOG_CRIT, "Can't watch the listening socket: %s", strerror(errno));
		return (-1);
	}
	log_msg(LOG_INFO, "Enrollment service listening on %s port %u (TLS)",
	    cfg->listen_addr ? cfg->listen_addr : "*", (unsigned)cfg->port);
	return (0);
}

void
server_fini(void)
{
	struct econn *c;

	for (c = sv.conns; c != NULL; c = c->next)
		conn_kill(c);
	reap_cb();
	if (sv.lfd >= 0) {
		loop_watch_del(&sv.lw);
		close(sv.lfd);
	}
	sv.lfd = -1;
}
