/*
 * listener.c - the client socket: bind per -l/-p/-4/-6 and hand each
 * accepted socket, as a struct conn, to the session layer.  Batches, the
 * EMFILE pause and the -m cap are the acceptor's (acceptor.h).
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
#include "core/metrics_counters.h"
#include "net/acceptor.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/loop.h"

#define EMFILE_PAUSE_MS 200

static struct acceptor acceptor;
static listener_accepted_fn accepted_fn;
static listener_accept_hook_fn accept_hook;

void
listener_set_accept_hook(listener_accept_hook_fn hook)
{
	accept_hook = hook;
}

static size_t
count_cb(struct acceptor *a)
{
	(void)a;
	return (qnetd_instance.client_count);
}

static void
accepted_cb(struct acceptor *a, int fd, const struct sockaddr_storage *ss)
{
	char addr[CLIENT_ADDR_STR_LEN];
	struct conn *c;
	int one = 1;
	static uint64_t next_id;

	(void)a;
	acceptor_format_addr(ss, addr, sizeof(addr));
	if (accept_hook != NULL) {
		/* The parent of workers: the router reads PREINIT and hands it on. */
		accept_hook(fd, addr);
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
	if (accepted_fn(c) != 0) {
		conn_schedule_close(c, "out of memory");
		return;
	}
	log_msg(LOG_DEBUG, "New client connected: %s", addr);
}

static const struct acceptor_ops acceptor_ops = {
	.accepted_cb = accepted_cb,
	.count_cb = count_cb,
};

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
listener_init(const struct qnetd_settings *s, listener_accepted_fn accepted)
{
	const struct acceptor_config cfg = {
		.who = "clients",
		.batch = s->accept_batch,
		.pause_ms = EMFILE_PAUSE_MS,
		.max_conns = s->max_clients,
		.log_peer = 1,
	};
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int rc, err = 0, listen_fd = -1;

	accepted_fn = accepted;
	acceptor_init(&acceptor, &cfg, &acceptor_ops, NULL);
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
	if (acceptor_start(&acceptor, listen_fd) != 0) {
		log_msg(LOG_CRIT, "Can't watch the listening socket: %s", strerror(errno));
		return (-1);
	}
	log_msg(LOG_INFO, "Listening on %s (backlog %u)", display_addr, s->listen_backlog);
	return (0);
}

int
listener_is_open(void)
{
	return (acceptor_is_open(&acceptor));
}

void
listener_fini(void)
{
	acceptor_stop(&acceptor);
}
