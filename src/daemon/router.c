/*
 * router.c - the parent reads each new client up to the end of its first
 * message and passes it to the worker that owns its cluster (router.h).
 *
 * Only the first message is read, and exactly it: a client sends PREINIT
 * and then waits for the PREINIT_REPLY, which the worker sends; TLS
 * starts only after that, so nothing the worker needs stays behind here.
 * A first message that is not a PREINIT with a cluster name (or is too
 * long to hold) is passed on as far as it was read, to a worker chosen by
 * the connection's sequence number; the worker answers it as one process
 * would, and gives the client back if a later PREINIT names a cluster of
 * another worker.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "codec/msg.h"
#include "core/instance.h"
#include "daemon/router.h"
#include "daemon/shard.h"
#include "daemon/workers.h"
#include "net/listener.h"
#include "net/loop.h"

/* The most of a first message held here; a longer one goes on unread. */
#define ROUTER_MAX_MSG 65536
#define PREINIT_DEADLINE_MS 180000 /* 1.5 x the 120 s heartbeat before INIT */
#define MAX_LOG_INTERVAL_MS 1000

struct pending {
	int fd;
	uint64_t seq;
	time_t connected_at;
	char addr[CLIENT_ADDR_STR_LEN];
	uint8_t *buf;
	size_t have, want;
	struct loop_watch watch;
	struct loop_timer deadline;
	TAILQ_ENTRY(pending) entries;
	struct pending *reap_next;
};

static TAILQ_HEAD(, pending) pendings = TAILQ_HEAD_INITIALIZER(pendings);
static size_t npending;
/* Freed after the dispatch: the loop may still hold an event for them. */
static struct pending *reap_list;
static uint64_t next_seq;
static const struct qnetd_settings *settings;
static uint64_t last_max_log_ms;
static unsigned long refused_since_log;

static void
pending_free(struct pending *p, int close_fd)
{
	loop_watch_del(&p->watch);
	loop_timer_disarm(&p->deadline);
	if (close_fd && p->fd >= 0)
		close(p->fd);
	TAILQ_REMOVE(&pendings, p, entries);
	npending--;
	p->reap_next = reap_list;
	reap_list = p;
}

void
router_reap(void)
{
	struct pending *p;

	while ((p = reap_list) != NULL) {
		reap_list = p->reap_next;
		free(p->buf);
		free(p);
	}
}

/* Hand the connection and what was read to a worker. */
static void
pending_pass(struct pending *p)
{
	struct wchan_hdr h;

	/*
	 * Unwatch before the descriptor moves: once closed here while the
	 * worker holds the socket, epoll could no longer remove it.
	 */
	loop_watch_del(&p->watch);
	memset(&h, 0, sizeof(h));
	h.seq = p->seq;
	h.connected_at = p->connected_at;
	snprintf(h.addr, sizeof(h.addr), "%s", p->addr);
	router_route(&h, p->buf, p->have, p->fd);
	p->fd = -1;
	pending_free(p, 0);
}

static int
preinit_name(const uint8_t *bytes, size_t len, struct msg_decoded *m)
{
	if (len < MSG_HEADER_LEN)
		return (-1);
	if (msg_decode(bytes, len, m) != MSG_DECODE_OK || m->type != MSG_TYPE_PREINIT ||
	    !m->cluster_name_set)
		return (-1);
	return (0);
}

void
router_route(struct wchan_hdr *h, const uint8_t *bytes, size_t len, int fd)
{
	struct msg_decoded m;
	unsigned n = workers_count(), idx;

	msg_decoded_init(&m);
	if (preinit_name(bytes, len, &m) == 0)
		idx = shard_of(workers_key(), n, m.cluster_name, m.cluster_name_len);
	else
		idx = (unsigned)(h->seq % n);
	msg_decoded_destroy(&m);
	log_msg(LOG_DEBUG, "Client %s (connection %llu) goes to worker %u", h->addr,
	    (unsigned long long)h->seq, idx);
	workers_pass(idx, h, bytes, len, fd);
}

/* After the 6-byte header: how much the whole message is, or 0 to stop reading. */
static size_t
message_size(const uint8_t *hdr)
{
	uint32_t body;
	uint16_t type;
	size_t total;

	msg_header_parse(hdr, &type, &body);
	total = (size_t)body + MSG_HEADER_LEN;

	if (type != MSG_TYPE_PREINIT || total > ROUTER_MAX_MSG ||
	    total > settings->max_client_receive_size)
		return (0);
	return (total);
}

/* 1 when the first message is complete (or will not be read further). */
static int
pending_read(struct pending *p)
{
	for (;;) {
		ssize_t n = recv(p->fd, p->buf + p->have, p->want - p->have, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		if (n <= 0)
			return (-1);
		p->have += (size_t)n;
		if (p->have < p->want)
			continue;
		if (p->want > MSG_HEADER_LEN || p->have != MSG_HEADER_LEN)
			return (1);
		p->want = message_size(p->buf);
		if (p->want <= MSG_HEADER_LEN)
			return (1);
		{
			uint8_t *nb = realloc(p->buf, p->want);

			if (nb == NULL)
				return (1); /* pass on what we have; the worker reads the rest */
			p->buf = nb;
		}
	}
}

static void
pending_cb(struct loop_watch *w, uint32_t revents)
{
	struct pending *p = w->data;
	int r;

	(void)revents;
	r = pending_read(p);
	if (r < 0) {
		log_msg(LOG_DEBUG, "Client %s closed before its first message", p->addr);
		pending_free(p, 1);
	} else if (r > 0) {
		pending_pass(p);
	}
}

static void
deadline_cb(struct loop_timer *t)
{
	struct pending *p = t->data;

	log_msg(LOG_WARNING, "Client %s sent no complete message in %ums. Disconnecting", p->addr,
	    settings->handshake_timeout != 0 ? settings->handshake_timeout : PREINIT_DEADLINE_MS);
	pending_free(p, 1);
}

static int
over_max_clients(const char *addr)
{
	uint64_t now;

	if (settings->max_clients == 0 ||
	    workers_client_estimate() + npending < settings->max_clients)
		return (0);
	refused_since_log++;
	now = loop_now_ms();
	if (now - last_max_log_ms >= MAX_LOG_INTERVAL_MS) {
		log_msg(LOG_ERR,
		    "Maximum clients reached. Not accepting connection from %s "
		    "(%lu refused since the last such line)",
		    addr, refused_since_log);
		last_max_log_ms = now;
		refused_since_log = 0;
	}
	return (1);
}

static void
router_accept(int fd, const char *addr)
{
	struct pending *p;
	int one = 1;

	if (over_max_clients(addr)) {
		close(fd);
		return;
	}
	/* Kept by the socket when it moves to the worker. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p = calloc(1, sizeof(*p));
	if (p != NULL)
		p->buf = malloc(MSG_HEADER_LEN);
	if (p == NULL || p->buf == NULL) {
		log_msg(LOG_ERR, "Can't allocate client %s, closing", addr);
		free(p);
		close(fd);
		return;
	}
	p->fd = fd;
	p->seq = ++next_seq;
	p->connected_at = time(NULL);
	p->want = MSG_HEADER_LEN;
	snprintf(p->addr, sizeof(p->addr), "%s", addr);
	loop_watch_init(&p->watch, fd, pending_cb, p);
	loop_timer_init(&p->deadline, deadline_cb, p);
	TAILQ_INSERT_TAIL(&pendings, p, entries);
	npending++;
	if (loop_watch_add(&p->watch, EPOLLIN) != 0 ||
	    loop_timer_arm(&p->deadline,
	        settings->handshake_timeout != 0 ? settings->handshake_timeout
	                                         : PREINIT_DEADLINE_MS) != 0) {
		log_msg(LOG_ERR, "Can't watch client %s, closing", addr);
		pending_free(p, 1);
		return;
	}
	log_msg(LOG_DEBUG, "New client connected: %s", addr);
}

int
router_init(const struct qnetd_settings *s)
{
	settings = s;
	listener_set_accept_hook(router_accept);
	return (0);
}

void
router_fini(void)
{
	struct pending *p;

	listener_set_accept_hook(NULL);
	while ((p = TAILQ_FIRST(&pendings)) != NULL)
		pending_free(p, 1);
	router_reap();
}

size_t
router_pending_count(void)
{
	return (npending);
}
