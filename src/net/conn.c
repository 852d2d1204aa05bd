/*
 * conn.c - transport of one client: plain socket or NSS TLS, framed
 * reads, a FIFO send queue flushed once per dispatch, deferred close.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <prerror.h>
#include <ssl.h>

#include "base/log.h"
#include "core/instance.h"
#include "net/conn.h"
#include "net/tls.h"
#include "net/tls_cert.h"

#define READ_CHUNK 65536
#define READS_PER_WAKEUP 32
#define IOV_MAX_BATCH 64
/*
 * A TLS handshake step costs milliseconds of CPU (key exchange, signature,
 * chain check), a heartbeat microseconds.  Bounding the handshake steps
 * per loop turn keeps a storm of (re)connecting clients from delaying the
 * echoes and votes of connected ones by seconds (and their dead-peer
 * timers from firing); the rest wait for the next turn.
 */
#define HANDSHAKES_PER_TURN 4

struct outmsg {
	struct outmsg *next;
	size_t len;
	uint8_t data[];
};

struct conn_list conn_all = TAILQ_HEAD_INITIALIZER(conn_all);

static TAILQ_HEAD(, conn) flush_list = TAILQ_HEAD_INITIALIZER(flush_list);
static TAILQ_HEAD(, conn) again_list = TAILQ_HEAD_INITIALIZER(again_list);
static TAILQ_HEAD(, conn) hs_wait = TAILQ_HEAD_INITIALIZER(hs_wait);
static unsigned handshake_budget = HANDSHAKES_PER_TURN;
static struct conn *reap_list;
static uint8_t scratch[READ_CHUNK];
static const struct conn_upcalls *upcalls;

/* What one read from the socket or NSS gave. */
enum conn_recv_result {
	CONN_RECV_DATA,   /* *n > 0 bytes */
	CONN_RECV_EOF,    /* the peer closed its side */
	CONN_RECV_AGAIN,  /* nothing now; wait for the next event */
	CONN_RECV_CLOSED, /* error: logged, close scheduled */
};

/*
 * Readable while the again list is not empty: decrypted data that NSS
 * holds raises no socket event, so this is what wakes the loop for it.
 */
static int kick_fd = -1;
static struct loop_watch kick_watch;

static void conn_watch_cb(struct loop_watch *w, uint32_t revents);
static void conn_update_events(struct conn *c);
static int conn_flush_plain(struct conn *c);
static int conn_flush_tls(struct conn *c);
static void flush_list_del(struct conn *c);

static void
kick_cb(struct loop_watch *w, uint32_t revents)
{
	uint64_t v;

	(void)revents;
	/* Drain; the after-dispatch hook then serves the again list. */
	if (read(w->fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_msg(LOG_DEBUG, "eventfd read: %s", strerror(errno));
}

static void
kick(void)
{
	uint64_t one = 1;

	if (kick_fd >= 0 && write(kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_msg(LOG_DEBUG, "eventfd write: %s", strerror(errno));
}

static int
conn_closing(const struct conn *c)
{
	return (client_closing(&c->client));
}

/* The transport moves only forward: PLAIN -> TLS_HANDSHAKE -> TLS. */
static int
conn_transport_move(struct conn *c, enum conn_transport to)
{
	if ((unsigned)to != (unsigned)c->transport + 1) {
		log_client(LOG_CRIT, &c->client, "internal error: transport %d -> %d",
		    (int)c->transport, (int)to);
		return (-1);
	}
	c->transport = to;
	return (0);
}

static void
conn_timer_cb(struct loop_timer *t)
{
	struct conn *c = t->data;

	upcalls->timer(c, (unsigned)(t - c->timers));
}

int
conn_timer_arm(struct conn *c, unsigned which, uint64_t ms)
{
	return (loop_timer_arm(&c->timers[which], ms));
}

void
conn_timer_disarm(struct conn *c, unsigned which)
{
	loop_timer_disarm(&c->timers[which]);
}

int
conn_timer_expiry(const struct conn *c, unsigned which, uint64_t *expire_ms)
{
	if (!loop_timer_armed(&c->timers[which]))
		return (0);
	*expire_ms = c->timers[which].expire_ms;
	return (1);
}

void
conn_module_init(const struct conn_upcalls *up)
{
	upcalls = up;
	loop_set_after_dispatch(conn_after_dispatch);
	kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (kick_fd < 0) {
		log_msg(LOG_ERR, "Can't create eventfd: %s", strerror(errno));
		return;
	}
	loop_watch_init(&kick_watch, kick_fd, kick_cb, NULL);
	if (loop_watch_add(&kick_watch, EPOLLIN) != 0)
		log_msg(LOG_ERR, "Can't watch eventfd: %s", strerror(errno));
}

struct conn *
conn_new(int fd, const char *addr_str)
{
	const struct qnetd_settings *s = qnetd_instance.settings;
	struct conn *c = calloc(1, sizeof(*c));
	unsigned i;

	if (c == NULL)
		return (NULL);
	client_state_init(&c->client);
	snprintf(c->client.addr_str, sizeof(c->client.addr_str), "%s", addr_str);
	c->fd = fd;
	c->transport = CONN_PLAIN;
	/* Disarmed from the start, so conn_free() is safe at any point. */
	for (i = 0; i < CONN_TIMERS; i++)
		loop_timer_init(&c->timers[i], conn_timer_cb, c);
	frame_rx_init(&c->rx, s->max_client_receive_size);
	loop_watch_init(&c->watch, fd, conn_watch_cb, c);
	if (loop_watch_add(&c->watch, EPOLLIN) != 0) {
		frame_rx_destroy(&c->rx);
		client_state_destroy(&c->client);
		free(c);
		return (NULL);
	}
	TAILQ_INSERT_TAIL(&conn_all, c, entries);
	qnetd_instance.client_count++;
	return (c);
}

static void
conn_free(struct conn *c)
{
	struct outmsg *m, *next;
	unsigned i;

	loop_watch_del(&c->watch);
	for (i = 0; i < CONN_TIMERS; i++)
		loop_timer_disarm(&c->timers[i]);
	if (c->ssl != NULL)
		PR_Close(c->ssl); /* closes fd too */
	else if (c->fd >= 0)
		close(c->fd);
	for (m = c->out_head; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
	flush_list_del(c);
	if (c->on_again)
		TAILQ_REMOVE(&again_list, c, again_entries);
	if (c->on_hs_wait)
		TAILQ_REMOVE(&hs_wait, c, hs_entries);
	frame_rx_destroy(&c->rx);
	TAILQ_REMOVE(&conn_all, c, entries);
	qnetd_instance.client_count--;
	client_state_destroy(&c->client);
	free(c);
}

void
conn_schedule_close(struct conn *c, const char *reason)
{
	if (c->on_reap)
		return;
	c->on_reap = 1;
	/* The session may have moved the client to CLOSING before calling here. */
	if (!conn_closing(c))
		client_state_move(&c->client, CLIENT_STATE_CLOSING);
	c->close_reason = reason;
	c->reap_next = reap_list;
	reap_list = c;
	/* Stop reading from a connection that is going away. */
	loop_watch_mod(&c->watch, 0);
}

static void
flush_list_add(struct conn *c)
{
	if (c->on_flush)
		return;
	c->on_flush = 1;
	TAILQ_INSERT_TAIL(&flush_list, c, flush_entries);
}

static void
flush_list_del(struct conn *c)
{
	if (!c->on_flush)
		return;
	c->on_flush = 0;
	TAILQ_REMOVE(&flush_list, c, flush_entries);
}

int
conn_queue(struct conn *c, const uint8_t *data, size_t len)
{
	const struct qnetd_settings *s = qnetd_instance.settings;
	struct outmsg *m;

	if (conn_closing(c))
		return (0);
	if (len > s->max_client_send_size)
		return (-1);
	/*
	 * One read can hold hundreds of pipelined requests, and replies are
	 * normally written only after the whole batch: write now to make
	 * room.  Only a peer that does not read keeps the queue full.
	 */
	if (c->out_count >= s->max_client_send_buffers) {
		if (c->ssl != NULL)
			conn_flush_tls(c);
		else
			conn_flush_plain(c);
	}
	if (conn_closing(c) || c->out_count >= s->max_client_send_buffers)
		return (-1);
	m = malloc(sizeof(*m) + len);
	if (m == NULL)
		return (-1);
	m->next = NULL;
	m->len = len;
	memcpy(m->data, data, len);
	if (c->out_tail != NULL)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->out_count++;
	flush_list_add(c);
	return (0);
}

static void
out_consume(struct conn *c, size_t n)
{
	while (n > 0 && c->out_head != NULL) {
		struct outmsg *m = c->out_head;
		size_t left = m->len - c->out_off;

		if (n < left) {
			c->out_off += n;
			return;
		}
		n -= left;
		c->out_off = 0;
		c->out_head = m->next;
		if (c->out_head == NULL)
			c->out_tail = NULL;
		c->out_count--;
		free(m);
	}
}

/* Write what the socket takes.  0, or -1 after scheduling the close. */
static int
conn_flush_plain(struct conn *c)
{
	while (c->out_head != NULL) {
		struct iovec iov[IOV_MAX_BATCH];
		struct outmsg *m = c->out_head;
		int n = 0;
		ssize_t w;

		iov[n].iov_base = m->data + c->out_off;
		iov[n++].iov_len = m->len - c->out_off;
		for (m = m->next; m != NULL && n < IOV_MAX_BATCH; m = m->next) {
			iov[n].iov_base = m->data;
			iov[n++].iov_len = m->len;
		}
		/* send() skips the file layer that writev() goes through. */
		if (n == 1)
			w = send(c->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL);
		else
			w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (0);
			if (errno == EINTR)
				continue;
			log_client(LOG_DEBUG, &c->client, "write failed: %s", strerror(errno));
			conn_schedule_close(c, "write error");
			return (-1);
		}
		out_consume(c, (size_t)w);
	}
	return (0);
}

static int
conn_flush_tls(struct conn *c)
{
	while (c->out_head != NULL) {
		struct outmsg *m = c->out_head;
		PRInt32 w = PR_Send(c->ssl, m->data + c->out_off, (PRInt32)(m->len - c->out_off), 0,
		    PR_INTERVAL_NO_WAIT);

		if (w < 0) {
			if (tls_would_block())
				return (0);
			/* A peer that resets while being written to: rate-limited. */
			log_client_routine(LOG_WARNING, &c->client, "TLS write failed: %s",
			    tls_last_error());
			conn_schedule_close(c, "TLS write error");
			return (-1);
		}
		if (w == 0) {
			conn_schedule_close(c, "connection closed on write");
			return (-1);
		}
		out_consume(c, (size_t)w);
	}
	return (0);
}

static void
conn_flush(struct conn *c)
{
	if (conn_closing(c))
		return;
	if (c->ssl != NULL)
		conn_flush_tls(c);
	else
		conn_flush_plain(c);
	if (!conn_closing(c))
		conn_update_events(c);
}

/* Interest set: what NSS needs underneath, or plain read + pending writes. */
static void
conn_update_events(struct conn *c)
{
	uint32_t ev = EPOLLIN;

	if (conn_closing(c))
		return;
	if (c->ssl != NULL) {
		PRInt16 out_flags = 0;
		PRInt16 in = PR_POLL_READ | (c->out_head != NULL ? PR_POLL_WRITE : 0);
		PRInt16 need = c->ssl->methods->poll(c->ssl, in, &out_flags);

		ev = 0;
		if (need & PR_POLL_READ)
			ev |= EPOLLIN;
		if (need & PR_POLL_WRITE)
			ev |= EPOLLOUT;
		if (ev == 0)
			ev = EPOLLIN;
		if ((out_flags & PR_POLL_READ) && !c->on_again) {
			/* NSS already holds decrypted data: no socket event will say so. */
			c->on_again = 1;
			TAILQ_INSERT_TAIL(&again_list, c, again_entries);
			kick();
		}
	} else if (c->out_head != NULL) {
		ev |= EPOLLOUT;
	}
	loop_watch_mod(&c->watch, ev);
}

/*
 * Before TLS may start (plain, no INIT yet) read only up to the end of
 * the current message: bytes after a STARTTLS belong to the TLS layer.
 */
static size_t
conn_read_size(const struct conn *c)
{
	if (c->transport == CONN_PLAIN && c->client.state != CLIENT_STATE_INITIALISED) {
		size_t want = frame_rx_want(&c->rx);

		return (want < sizeof(scratch) ? want : sizeof(scratch));
	}
	return (sizeof(scratch));
}

/* The first bytes NSS gave: the handshake finished. */
static void
conn_tls_established(struct conn *c)
{
	conn_transport_move(c, CONN_TLS);
	upcalls->tls_done(c, NULL, NULL);
	log_client(LOG_DEBUG, &c->client, "TLS handshake finished");
}

/*
 * A TLS read failed for good: log why (a revoked certificate by name; a
 * peer can repeat other failures at will, so those are rate-limited) and
 * close.
 */
static void
conn_tls_failed(struct conn *c)
{
	char serial[2 * TLS_CERT_SERIAL_MAX + 2], listed[REVOKED_MAX_CLUSTER + 1];
	const char *err = tls_last_error(), *name = tls_last_error_name();
	int handshake = c->transport == CONN_TLS_HANDSHAKE, revoked = 0;

	if (handshake &&
	    tls_cert_take_refusal(c->ssl, serial, sizeof(serial), listed, sizeof(listed))) {
		log_client(LOG_WARNING, &c->client,
		    "Client certificate serial %s (cluster %s) is revoked: TLS handshake refused, "
		    "disconnecting",
		    serial, listed);
		revoked = 1;
	} else {
		log_client_routine(LOG_WARNING, &c->client, "TLS error, disconnecting: %s", err);
	}
	if (handshake)
		upcalls->tls_done(c, name, revoked ? serial : NULL);
	conn_schedule_close(c, "TLS error");
}

static enum conn_recv_result
conn_recv_tls(struct conn *c, uint8_t *buf, size_t len, size_t *got)
{
	PRInt32 n = PR_Recv(c->ssl, buf, (PRInt32)len, 0, PR_INTERVAL_NO_WAIT);

	if (n < 0) {
		if (tls_would_block())
			return (CONN_RECV_AGAIN);
		conn_tls_failed(c);
		return (CONN_RECV_CLOSED);
	}
	if (c->transport == CONN_TLS_HANDSHAKE)
		conn_tls_established(c);
	*got = (size_t)n;
	return (n == 0 ? CONN_RECV_EOF : CONN_RECV_DATA);
}

static enum conn_recv_result
conn_recv(struct conn *c, uint8_t *buf, size_t len, size_t *got)
{
	if (c->ssl != NULL)
		return (conn_recv_tls(c, buf, len, got));
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);

		if (n >= 0) {
			*got = (size_t)n;
			return (n == 0 ? CONN_RECV_EOF : CONN_RECV_DATA);
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (CONN_RECV_AGAIN);
		log_client(LOG_DEBUG, &c->client, "read failed: %s", strerror(errno));
		conn_schedule_close(c, "read error");
		return (CONN_RECV_CLOSED);
	}
}

/* Hand every complete message in buf to the session layer. */
static void
conn_feed(struct conn *c, const uint8_t *buf, size_t n)
{
	size_t off = 0;

	while (off < n && !conn_closing(c)) {
		const uint8_t *msg = NULL;
		size_t used = 0, msg_len = 0;
		enum tlv_reply_error_code reason = TLV_REPLY_ERROR_CODE_NO_ERROR;
		enum frame_event ev;

		ev = frame_rx_feed(&c->rx, buf + off, n - off, &used, &msg, &msg_len, &reason);
		off += used;
		if (ev == FRAME_MESSAGE) {
			upcalls->message(c, msg, msg_len);
			if (c->tls_just_started && off < n && !conn_closing(c)) {
				/* Plain bytes after STARTTLS: cannot hand them to NSS. */
				log_client(LOG_WARNING, &c->client,
				    "data after STARTTLS in the same read, disconnecting");
				conn_schedule_close(c, "data after STARTTLS");
			}
		} else if (ev == FRAME_SKIPPED) {
			upcalls->skipped(c, reason);
		} else if (ev == FRAME_NO_MEMORY) {
			log_client(LOG_ERR, &c->client,
			    "out of memory for a message, disconnecting");
			conn_schedule_close(c, "out of memory");
		} else if (used == 0) {
			break;
		}
	}
}

static void
conn_read(struct conn *c)
{
	int i;

	for (i = 0; i < READS_PER_WAKEUP && !conn_closing(c); i++) {
		size_t want = conn_read_size(c), n = 0;
		enum conn_recv_result r;

		c->tls_just_started = 0;
		r = conn_recv(c, scratch, want, &n);
		if (r == CONN_RECV_AGAIN || r == CONN_RECV_CLOSED)
			break;
		if (r == CONN_RECV_EOF) {
			log_client(LOG_DEBUG, &c->client, "connection closed by peer");
			conn_schedule_close(c, "closed by peer");
			break;
		}
		conn_feed(c, scratch, n);
		if (c->ssl == NULL && n < want && !c->tls_just_started)
			break; /* socket drained */
	}
	c->tls_just_started = 0;
}

/* Park a handshaking connection until a later turn (no socket interest meanwhile). */
static void
hs_defer(struct conn *c)
{
	if (c->on_hs_wait)
		return;
	c->on_hs_wait = 1;
	TAILQ_INSERT_TAIL(&hs_wait, c, hs_entries);
	loop_watch_mod(&c->watch, 0);
	kick();
}

static void
conn_watch_cb(struct loop_watch *w, uint32_t revents)
{
	struct conn *c = w->data;

	if (conn_closing(c))
		return;
	if (c->transport == CONN_TLS_HANDSHAKE) {
		if (handshake_budget == 0) {
			hs_defer(c);
			return;
		}
		handshake_budget--;
	}
	if ((revents & (EPOLLERR | EPOLLHUP)) && !(revents & EPOLLIN)) {
		conn_schedule_close(c, "socket error/hangup");
		return;
	}
	if (revents & EPOLLOUT) {
		if (c->ssl != NULL)
			conn_flush_tls(c);
		else
			conn_flush_plain(c);
	}
	if (!conn_closing(c) && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_read(c);
	/*
	 * The replies to what was just read go out now, together, rather
	 * than after the rest of the batch (up to EPOLL_BATCH other clients'
	 * messages, milliseconds in a storm).  What this input queued for
	 * other connections (a VOTE_INFO to a peer) waits for the end of the
	 * batch, where it may join that peer's own replies.
	 */
	if (!conn_closing(c)) {
		flush_list_del(c);
		conn_flush(c);
	}
}

struct conn *
conn_adopt(int fd, const char *addr_str, uint64_t id, time_t connected_at, const uint8_t *bytes,
    size_t len, int (*accepted)(struct conn *c))
{
	struct conn *c = conn_new(fd, addr_str);

	if (c == NULL)
		return (NULL);
	c->client.id = id;
	c->client.connected_at = connected_at;
	if (accepted(c) != 0) {
		conn_schedule_close(c, "out of memory");
		return (c);
	}
	if (!conn_closing(c))
		conn_feed(c, bytes, len);
	return (c);
}

int
conn_handover(struct conn *c)
{
	int fd;

	if (conn_closing(c) || c->ssl != NULL)
		return (-1);
	conn_flush_plain(c);
	if (conn_closing(c) || c->out_head != NULL)
		return (-1);
	fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return (-1);
	conn_schedule_close(c, "handed over to another worker");
	return (fd);
}

int
conn_input_pending(const struct conn *c)
{
	int n = 0;

	if (ioctl(c->fd, FIONREAD, &n) == 0 && n > 0)
		return (1);
	return (c->ssl != NULL && SSL_DataPending(c->ssl) > 0);
}

int
conn_start_tls(struct conn *c)
{
	PRFileDesc *ssl;

	if (c->transport != CONN_PLAIN) {
		log_client(LOG_ERR, &c->client, "STARTTLS on a TLS connection, disconnecting");
		return (-1);
	}
	ssl = tls_wrap_server(c->fd);
	if (ssl == NULL) {
		log_client(LOG_ERR, &c->client, "Can't start TLS, disconnecting: %s",
		    tls_last_error());
		return (-1);
	}
	c->ssl = ssl;
	conn_transport_move(c, CONN_TLS_HANDSHAKE);
	c->tls_just_started = 1;
	return (0);
}

static void
run_again_list(void)
{
	struct conn *c;
	size_t n = 0, max = qnetd_instance.client_count + 1;

	/* Bounded: a connection re-added while we run waits for the next turn. */
	while ((c = TAILQ_FIRST(&again_list)) != NULL && n++ < max) {
		TAILQ_REMOVE(&again_list, c, again_entries);
		c->on_again = 0;
		if (!conn_closing(c))
			conn_watch_cb(&c->watch, EPOLLIN);
	}
}

static void
run_reap_list(void)
{
	struct conn *c;

	/* Disconnects may push VOTE_INFO and, failing that, close others: loop. */
	while ((c = reap_list) != NULL) {
		reap_list = c->reap_next;
		log_client_routine(client_initialised(&c->client) ? LOG_INFO : LOG_DEBUG,
		    &c->client, "disconnected: %s", c->close_reason ? c->close_reason : "closed");
		upcalls->gone(c, c->close_reason, qnetd_instance.shutting_down);
		conn_free(c);
	}
}

static void
run_flush_list(void)
{
	struct conn *c;

	while ((c = TAILQ_FIRST(&flush_list)) != NULL) {
		flush_list_del(c);
		conn_flush(c);
	}
}

static void
run_hs_wait(void)
{
	struct conn *c;

	handshake_budget = HANDSHAKES_PER_TURN;
	while (handshake_budget > 0 && (c = TAILQ_FIRST(&hs_wait)) != NULL) {
		TAILQ_REMOVE(&hs_wait, c, hs_entries);
		c->on_hs_wait = 0;
		if (!conn_closing(c))
			conn_watch_cb(&c->watch, EPOLLIN);
	}
	if (!TAILQ_EMPTY(&hs_wait))
		kick();
	/* The next batch of socket events gets a budget of its own. */
	handshake_budget = HANDSHAKES_PER_TURN;
}

void
conn_after_dispatch(void)
{
	run_hs_wait();
	run_again_list();
	run_reap_list();
	run_flush_list();
	run_reap_list();
	if (qnetd_instance.shutting_down)
		loop_stop();
}

void
conn_close_all(void)
{
	struct conn *c;

	qnetd_instance.shutting_down = 1;
	TAILQ_FOREACH(c, &conn_all, entries)
		conn_schedule_close(c, "server going down");
	run_reap_list();
}
