/*
 * listener.c - accept clients.  Drains the accept queue in bounded
 * batches; on EMFILE/ENFILE stops watching the socket for a moment
 * instead of spinning (upstream logs ~9,000 lines a second there).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "core/instance.h"
#include "extras/metrics.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/loop.h"

#define EMFILE_PAUSE_MS 200
#define LIMIT_LOG_INTERVAL_MS 10000

static int listen_fd = -1;
static struct loop_watch listen_watch;
static struct loop_timer resume_timer;
static uint64_t last_fd_log_ms, last_max_log_ms;
static unsigned long refused_since_log;
static listener_accept_hook_fn accept_hook;

void
listener_set_accept_hook(listener_accept_hook_fn hook)
{
	accept_hook = hook;
}

static void
format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	/* upstream's form: no brackets around IPv6 */
	snprintf(buf, len, "%s:%u", host, port);
}

static void
resume_cb(struct loop_timer *t)
{
	(void)t;
	loop_watch_mod(&listen_watch, EPOLLIN);
}

static void
pause_accepting(void)
{
	uint64_t now = loop_now_ms();

	loop_watch_mod(&listen_watch, 0);
	loop_timer_arm(&resume_timer, EMFILE_PAUSE_MS);
	if (now - last_fd_log_ms >= LIMIT_LOG_INTERVAL_MS) {
		last_fd_log_ms = now;
		log_msg(LOG_ERR,
		    "Out of file descriptors (%s) with %zu clients: pausing accept "
		    "for %ums. Raise LimitNOFILE / ulimit -n.",
		    strerror(errno), qnetd_instance.client_count, EMFILE_PAUSE_MS);
	}
}

static void
refuse_max_clients(int fd, const char *addr)
{
	uint64_t now = loop_now_ms();

	close(fd);
	refused_since_log++;
	if (now - last_max_log_ms >= 1000) {
		log_msg(LOG_ERR,
		    "Maximum clients reached. Not accepting connection from %s "
		    "(%lu refused since the last such line)",
		    addr, refused_since_log);
		last_max_log_ms = now;
		refused_since_log = 0;
	}
}

static void
accept_one(int fd, const struct sockaddr_storage *ss)
{
	const struct qnetd_settings *s = qnetd_instance.settings;
	char addr[CLIENT_ADDR_STR_LEN];
	struct conn *c;
	int one = 1;
	static uint64_t next_id;

	format_addr(ss, addr, sizeof(addr));
	if (accept_hook != NULL) {
		accept_hook(fd, addr);
		return;
	}
	if (s->max_clients != 0 && qnetd_instance.client_count >= s->max_clients) {
		refuse_max_clients(fd, addr);
		return;
	}
	/* Replies are small and latency matters: don't wait for the peer's ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = conn_new(fd, addr);
	if (c == NULL) {
		log_msg(LOG_ERR, "Can't allocate client %s, closing", addr);
		close(fd);
		return;
	}
	metrics_inc(M_CONNECTIONS_ACCEPTED);
	c->client.id = ++next_id;
	c->client.connected_at = time(NULL);
	conn_accepted(c);
	if (client_closing(&c->client))
		return;
	log_msg(LOG_DEBUG, "New client connected: %s", addr);
}

static void
listen_cb(struct loop_watch *w, uint32_t revents)
{
	const struct qnetd_settings *s = qnetd_instance.settings;
	uint32_t i;

	(void)revents;
	for (i = 0; i < s->accept_batch; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(w->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_accepting();
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_msg(LOG_ERR, "accept failed: %s", strerror(errno));
			return;
		}
		accept_one(fd, &ss);
	}
}

static char display_addr[300];

const char *
listener_display_addr(void)
{
	return (display_addr);
}

static int
bind_listen(const struct addrinfo *ai, const struct qnetd_settings *s)
{
	int fd, one = 1;

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, (int)s->listen_backlog) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return (-1);
	}
	return (fd);
}

int
listener_init(const struct qnetd_settings *s)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int rc, err = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = s->address_family;
	if (s->listen_addr == NULL) {
		hints.ai_flags = AI_PASSIVE;
		if (s->address_family == AF_UNSPEC)
			hints.ai_family = AF_INET6; /* one [::] socket, as upstream */
	} else {
		hints.ai_flags = AI_ADDRCONFIG;
	}
	snprintf(port, sizeof(port), "%u", (unsigned)s->port);
	rc = getaddrinfo(s->listen_addr, port, &hints, &res);
	if (rc != 0) {
		log_msg(LOG_CRIT, "Can't resolve listen address %s: %s",
		    s->listen_addr ? s->listen_addr : "*", gai_strerror(rc));
		return (-1);
	}
	for (ai = res; ai != NULL && listen_fd < 0; ai = ai->ai_next) {
		listen_fd = bind_listen(ai, s);
		if (listen_fd < 0)
			err = errno;
	}
	freeaddrinfo(res);
	if (listen_fd < 0) {
		log_msg(LOG_CRIT, "Can't listen on %s port %u: %s",
		    s->listen_addr ? s->listen_addr : "*", (unsigned)s->port, strerror(err));
		return (-1);
	}
	snprintf(display_addr, sizeof(display_addr), "%s:%u", s->listen_addr ? s->listen_addr : "*",
	    (unsigned)s->port);
	loop_watch_init(&listen_watch, listen_fd, listen_cb, NULL);
	loop_timer_init(&resume_timer, resume_cb, NULL);
	if (loop_watch_add(&listen_watch, EPOLLIN) != 0) {
		log_msg(LOG_CRIT, "Can't watch the listening socket: %s", strerror(errno));
		return (-1);
	}
	log_msg(LOG_INFO, "Listening on %s (backlog %u)", display_addr, s->listen_backlog);
	return (0);
}

int
listener_is_open(void)
{
	return (listen_fd >= 0 && listen_watch.added);
}

void
listener_fini(void)
{
	if (listen_fd < 0)
		return;
	loop_watch_del(&listen_watch);
	loop_timer_disarm(&resume_timer);
	close(listen_fd);
	listen_fd = -1;
}
