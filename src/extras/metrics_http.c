/*
 * metrics_http.c - the Prometheus endpoint (see metrics_http.h).
 *
 * Each connection: read until the end of the request head (or the size
 * limit), answer, close.  Nothing is kept alive.  Accepting, the cap and
 * freeing after the event batch are the acceptor's (acceptor.h).
 */
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "codec/wbuf.h"
#include "control/health.h"
#include "core/instance.h"
#include "extras/expiry.h"
#include "extras/metrics.h"
#include "extras/metrics_http.h"
#include "net/acceptor.h"
#include "net/loop.h"

#define REPLY_LIMIT (64u * 1024 * 1024)
/* Pause before accepting again after running out of descriptors. */
#define EMFILE_PAUSE_MS 200

struct http_conn {
	int fd;
	int closed;
	struct loop_watch watch;
	struct loop_timer timer;
	char req[METRICS_HTTP_MAX_REQUEST];
	size_t rlen;
	struct wbuf reply;
	size_t woff;
	struct acceptor_link link; /* the acceptor's lists */
};

static struct {
	int started;
	char *unix_path;
	struct acceptor acc;
} h;

static struct http_conn *
conn_of_link(struct acceptor_link *l)
{
	return ((struct http_conn *)(void *)((char *)l - offsetof(struct http_conn, link)));
}

static void
conn_close(struct http_conn *c)
{
	if (c->closed)
		return;
	c->closed = 1;
	loop_watch_del(&c->watch);
	loop_timer_disarm(&c->timer);
	close(c->fd);
	c->fd = -1;
	acceptor_conn_close(&h.acc, &c->link);
}

static void
free_cb(struct acceptor_link *l)
{
	struct http_conn *c = conn_of_link(l);

	wbuf_destroy(&c->reply);
	free(c);
}

static void
timeout_cb(struct loop_timer *t)
{
	conn_close(t->data);
}

static void
respond(struct http_conn *c, const char *status, const char *ctype, const char *body, size_t blen)
{
	char head[256];
	int n;

	wbuf_reset(&c->reply);
	n = snprintf(head, sizeof(head),
	    "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
	    status, ctype, blen);
	wbuf_put(&c->reply, head, (size_t)n);
	wbuf_put(&c->reply, body, blen);
}

static metrics_http_format_fn format_hook;
static metrics_http_health_fn health_hook;

void
metrics_http_set_hooks(metrics_http_format_fn format, metrics_http_health_fn health)
{
	format_hook = format;
	health_hook = health;
}

static void
answer(struct http_conn *c)
{
	static const char text[] = "text/plain; charset=utf-8";
	char method[16], path[256], why[256];
	struct wbuf body;

	if (sscanf(c->req, "%15s %255s", method, path) != 2) {
		respond(c, "400 Bad Request", text, "bad request\n", 12);
		return;
	}
	if (strcmp(method, "GET") != 0) {
		respond(c, "405 Method Not Allowed", text, "only GET\n", 9);
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		wbuf_init(&body, REPLY_LIMIT);
		if ((format_hook != NULL ? format_hook(&body)
		                         : metrics_format(&qnetd_instance, &body)) != 0)
			respond(c, "500 Internal Server Error", text, "too large\n", 10);
		else
			respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
			    (const char *)body.data, body.len);
		wbuf_destroy(&body);
	} else if (strcmp(path, "/healthz") == 0) {
		int ok =
		    (health_hook != NULL ? health_hook(why, sizeof(why))
		                         : health_check(&qnetd_instance, why, sizeof(why))) == 0;

		/* Warnings go in the body only: a probe must not fail on one. */
		wbuf_init(&body, REPLY_LIMIT);
		wbuf_put(&body, why, strlen(why));
		wbuf_put_u8(&body, '\n');
		expiry_warnings_text(&qnetd_instance, time(NULL), &body);
		respond(c, ok ? "200 OK" : "503 Service Unavailable", text, (const char *)body.data,
		    body.len);
		wbuf_destroy(&body);
	} else {
		respond(c, "404 Not Found", text, "not found: try /metrics or /healthz\n", 36);
	}
}

static void
conn_write(struct http_conn *c)
{
	while (c->woff < c->reply.len) {
		ssize_t n = send(c->fd, c->reply.data + c->woff, c->reply.len - c->woff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->woff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		break;
	}
	conn_close(c);
}

static int
head_complete(const struct http_conn *c)
{
	return memmem(c->req, c->rlen, "\r\n\r\n", 4) != NULL ||
	    memmem(c->req, c->rlen, "\n\n", 2) != NULL;
}

static void
conn_read(struct http_conn *c)
{
	ssize_t n = recv(c->fd, c->req + c->rlen, sizeof(c->req) - 1 - c->rlen, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->rlen += (size_t)n;
	c->req[c->rlen] = '\0';
	if (!head_complete(c)) {
		if (c->rlen < sizeof(c->req) - 1)
			return;
		respond(c, "431 Request Header Fields Too Large", "text/plain", "too large\n", 10);
	} else {
		answer(c);
	}
	if (c->reply.failed || loop_watch_mod(&c->watch, EPOLLOUT) != 0) {
		conn_close(c);
		return;
	}
	conn_write(c);
}

static void
conn_cb(struct loop_watch *w, uint32_t revents)
{
	struct http_conn *c = w->data;

	if (c->closed)
		return;
	if (c->reply.len == 0) {
		if (revents & (EPOLLIN | EPOLLERR | EPOLLHUP))
			conn_read(c);
	} else if (revents & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
		conn_write(c);
	}
}

static void
accepted_cb(struct acceptor *a, int fd, const struct sockaddr_storage *peer)
{
	struct http_conn *c;

	(void)peer;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	wbuf_init(&c->reply, REPLY_LIMIT);
	loop_watch_init(&c->watch, fd, conn_cb, c);
	loop_timer_init(&c->timer, timeout_cb, c);
	acceptor_conn_add(a, &c->link);
	if (loop_watch_add(&c->watch, EPOLLIN) != 0 ||
	    loop_timer_arm(&c->timer, METRICS_HTTP_TIMEOUT_MS) != 0)
		conn_close(c);
}

static const struct acceptor_ops acceptor_ops = {
	.accepted_cb = accepted_cb,
	.free_cb = free_cb,
};

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(path) == 0 || strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-1);
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(fd, 16) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return (-1);
	}
	return (fd);
}

static int
listen_tcp(const char *address)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256];
	const char *port, *colon = strrchr(address, ':');
	size_t hl;
	int fd = -1, one = 1, rc, e = EINVAL;

	if (colon == NULL || colon[1] == '\0')
		return (errno = EINVAL, -1);
	port = colon + 1;
	hl = (size_t)(colon - address);
	if (hl >= 2 && address[0] == '[' && address[hl - 1] == ']') {
		address++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return (errno = ENAMETOOLONG, -1);
	memcpy(host, address, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(hl == 0 || strcmp(host, "*") == 0 ? NULL : host, port, &hints, &res);
	if (rc != 0) {
		log_msg(LOG_ERR, "metrics_address %s: %s", address, gai_strerror(rc));
		return (errno = EINVAL, -1);
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 16) != 0) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = e;
	return (fd);
}

int
metrics_http_init(const char *address)
{
	const struct acceptor_config cfg = {
		.who = "metrics clients",
		.batch = 8,
		.pause_ms = EMFILE_PAUSE_MS,
		.max_conns = METRICS_HTTP_MAX_CONNS,
		.log_peer = 0,
	};
	int fd;

	acceptor_init(&h.acc, &cfg, &acceptor_ops, NULL);
	if (strncmp(address, "unix:", 5) == 0) {
		h.unix_path = strdup(address + 5);
		if (h.unix_path == NULL)
			return (-1);
		fd = listen_unix(h.unix_path);
	} else {
		fd = listen_tcp(address);
	}
	if (fd < 0 || acceptor_start(&h.acc, fd) != 0) {
		log_msg(LOG_ERR, "Can't listen for metrics on %s: %s", address, strerror(errno));
		free(h.unix_path);
		h.unix_path = NULL;
		return (-1);
	}
	h.started = 1;
	log_msg(LOG_INFO, "Serving metrics on %s (GET /metrics, /healthz)", address);
	return (0);
}

void
metrics_http_fini(void)
{
	struct acceptor_link *l;

	if (!h.started)
		return;
	h.started = 0;
	while ((l = acceptor_conn_first(&h.acc)) != NULL)
		conn_close(conn_of_link(l));
	acceptor_reap(&h.acc);
	acceptor_stop(&h.acc);
	if (h.unix_path != NULL) {
		(void)unlink(h.unix_path);
		free(h.unix_path);
		h.unix_path = NULL;
	}
}
