/*
 * ipc.c - the local control socket (see ipc.h).
 *
 * Each connection goes READING -> WRITING -> closed.  Closing shuts the
 * descriptor and removes the watch at once, but the memory is only freed
 * by the acceptor after the event batch that may still name the
 * connection (acceptor.h).  All teardown is in conn_free().
 *
 * A list reply is streamed (ipc_cmd.h): one slice is formatted when the
 * request is answered and then one per writable event, each only once
 * the previous one is sent, so a connection holds at most one slice and
 * a wake-up costs at most one slice of work, however many clients the
 * daemon has; the loop serves everyone else between slices.  Closing
 * releases the stream, and with it its registry cursor, at once.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "codec/wbuf.h"
#include "control/ipc.h"
#include "control/ipc_cmd.h"
#include "core/instance.h"
#include "core/metrics_counters.h"
#include "net/acceptor.h"
#include "net/loop.h"

/* Upstream reads and writes in chunks of this size; the request limit is checked per chunk. */
#define IPC_CHUNK 256
/* Accepts per wake-up, so a flood of connections cannot starve the loop. */
#define IPC_ACCEPT_BATCH 32
/* Pause before accepting again after running out of descriptors. */
#define IPC_EMFILE_PAUSE_MS 100

enum ipc_conn_state {
	IPC_CONN_READING,
	IPC_CONN_WRITING,
	IPC_CONN_CLOSED, /* fd closed; waiting for the reaper */
};

struct ipc_conn {
	int fd;
	enum ipc_conn_state state;
	struct loop_watch watch;
	struct loop_timer idle_timer;
	char *rbuf; /* request bytes so far, at most max_receive */
	size_t rlen;
	struct wbuf reply;         /* the reply, or the current slice of a stream */
	size_t woff;               /* bytes of reply already sent */
	struct ipc_stream *stream; /* the rest of a streamed reply; NULL: none */
	int shutdown_requested;
	struct acceptor_link link; /* the acceptor's lists */
};

static struct {
	int initialized;
	char *path;
	struct acceptor acc;
	size_t max_receive;
	size_t max_send;
} ipc;

static void conn_io_cb(struct loop_watch *w, uint32_t revents);
static ipc_reply_hook_fn reply_hook;

void
ipc_set_reply_hook(ipc_reply_hook_fn hook)
{
	reply_hook = hook;
}

static struct ipc_conn *
conn_of_link(struct acceptor_link *l)
{
	return ((struct ipc_conn *)(void *)((char *)l - offsetof(struct ipc_conn, link)));
}

static void
conn_free_cb(struct acceptor_link *l)
{
	struct ipc_conn *conn = conn_of_link(l);

	loop_timer_disarm(&conn->idle_timer);
	loop_watch_del(&conn->watch);
	if (conn->fd != -1)
		close(conn->fd);
	ipc_stream_free(conn->stream);
	wbuf_destroy(&conn->reply);
	free(conn->rbuf);
	free(conn);
}

/* Close now, free later (see the top of the file).  Idempotent. */
static void
conn_close(struct ipc_conn *conn)
{

	if (conn->state == IPC_CONN_CLOSED)
		return;
	conn->state = IPC_CONN_CLOSED;
	loop_timer_disarm(&conn->idle_timer);
	loop_watch_del(&conn->watch);
	close(conn->fd);
	conn->fd = -1;
	ipc_stream_free(conn->stream);
	conn->stream = NULL;
	acceptor_conn_close(&ipc.acc, &conn->link);
}

static void
idle_cb(struct loop_timer *t)
{
	struct ipc_conn *conn = t->data;

	if (conn->stream != NULL)
		log_msg(LOG_WARNING, "IPC: list reply not read within %u ms, disconnecting",
		    IPC_IDLE_TIMEOUT_MS);
	else
		log_msg(LOG_DEBUG, "IPC client idle for %u ms, disconnecting", IPC_IDLE_TIMEOUT_MS);
	conn_close(conn);
}

/* Stop accepting: the socket file goes away, open connections finish. */
static void
listener_close(void)
{
	int was_open = ipc.acc.fd != -1;

	acceptor_stop(&ipc.acc);
	if (!was_open)
		return;
	if (ipc.path != NULL && unlink(ipc.path) != 0 && errno != ENOENT)
		log_msg(LOG_WARNING, "IPC: can't unlink %s: %s", ipc.path, strerror(errno));
}

/* ---------------------------------------------------------------- reply */

/* Send what the socket takes.  0: all of it sent; 1: wait for EPOLLOUT; -1: closed. */
static int
conn_send(struct ipc_conn *conn)
{
	size_t left;
	ssize_t n;

	while (conn->woff < conn->reply.len) {
		left = conn->reply.len - conn->woff;
		n = send(conn->fd, conn->reply.data + conn->woff, left,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			conn->woff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (1);
		log_msg(LOG_DEBUG, "IPC: can't send reply: %s",
		    n == 0 ? "closed" : strerror(errno));
		conn_close(conn);
		return (-1);
	}

	return (0);
}

/*
 * Send the reply.  For a stream, format the next slice once the current
 * one is out, but at most one slice per call (filled: one was formatted
 * already in this wake-up); EPOLLOUT brings us back for the next.
 */
static void
conn_write(struct ipc_conn *conn, int filled)
{
	enum ipc_stream_res res;

	for (;;) {
		if (conn_send(conn) != 0)
			return;
		if (conn->stream == NULL)
			break;
		if (filled)
			return;
		wbuf_reset(&conn->reply);
		conn->woff = 0;
		res = ipc_stream_fill(conn->stream, &conn->reply);
		filled = 1;
		if (res == IPC_STREAM_DONE) {
			ipc_stream_free(conn->stream);
			conn->stream = NULL;
		} else if (res == IPC_STREAM_FAILED) {
			log_msg(LOG_ERR,
			    "IPC: a list entry does not fit in ipc_max_send_size (%zu); "
			    "disconnecting with the list unfinished",
			    ipc.max_send);
			conn_close(conn);
			return;
		}
	}

	conn_close(conn);
	if (conn->shutdown_requested) {
		/* As upstream: the listener goes once the reply is out, then the daemon stops. */
		log_msg(LOG_DEBUG, "IPC client requested shutdown");
		listener_close();
		instance_request_shutdown();
	}
}

/* The metrics label of an IPC command. */
static enum metrics_ipc_cmd
metrics_ipc_cmd_of(enum ipc_cmd_type type)
{
	switch (type) {
	case IPC_CMD_STATUS:
		return (M_IPC_STATUS);
	case IPC_CMD_LIST:
		return (M_IPC_LIST);
	case IPC_CMD_SHUTDOWN:
		return (M_IPC_SHUTDOWN);
	case IPC_CMD_JSON:
		return (M_IPC_JSON);
	case IPC_CMD_HEALTH:
		return (M_IPC_HEALTH);
	default:
		return (M_IPC_OTHER);
	}
}

/* A whole line is in: answer it.  Further input is ignored. */
static void
conn_handle_request(struct ipc_conn *conn)
{
	struct ipc_cmd cmd;
	int res;

	conn->state = IPC_CONN_WRITING;
	if (ipc_cmd_parse(&cmd, conn->rbuf, conn->rlen) != 0) {
		/* Out of memory while parsing: upstream's answer in that case. */
		res = wbuf_put(&conn->reply, "Error\nCommand too long\n", 23);
	} else {
		if (reply_hook != NULL)
			res = reply_hook(&cmd, ipc.max_send, &conn->reply);
		else
			res = ipc_cmd_reply_start(&qnetd_instance, &cmd, ipc.max_send, &conn->reply,
			    &conn->stream);
		conn->shutdown_requested = (res == 0 && cmd.type == IPC_CMD_SHUTDOWN);
		metrics_ipc_request(metrics_ipc_cmd_of(cmd.type));
		ipc_cmd_destroy(&cmd);
	}
	free(conn->rbuf);
	conn->rbuf = NULL;
	if (res != 0) {
		log_msg(LOG_ERR,
		    "IPC: reply does not fit in ipc_max_send_size (%zu); disconnecting",
		    ipc.max_send);
		conn_close(conn);
		return;
	}
	if (loop_watch_mod(&conn->watch, EPOLLOUT) != 0) {
		conn_close(conn);
		return;
	}
	conn_write(conn, 1);
}

/* One read per wake-up, like upstream, so the size limit falls at the same byte. */
static void
conn_read(struct ipc_conn *conn)
{
	char buf[IPC_CHUNK];
	char *p;
	ssize_t n;

	n = recv(conn->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			log_msg(LOG_DEBUG, "IPC: can't receive: %s", strerror(errno));
		conn_close(conn);
		return;
	}
	if ((size_t)n > ipc.max_receive - conn->rlen) {
		log_msg(LOG_ERR,
		    "IPC request longer than ipc_max_receive_size (%zu). "
		    "Disconnecting client.",
		    ipc.max_receive);
		conn_close(conn);
		return;
	}
	p = realloc(conn->rbuf, conn->rlen + (size_t)n);
	if (p == NULL) {
		log_msg(LOG_ERR, "IPC: out of memory. Disconnecting client.");
		conn_close(conn);
		return;
	}
	conn->rbuf = p;
	memcpy(conn->rbuf + conn->rlen, buf, (size_t)n);
	conn->rlen += (size_t)n;
	if (memchr(buf, '\n', (size_t)n) != NULL)
		conn_handle_request(conn);
}

static void
conn_io_cb(struct loop_watch *w, uint32_t revents)
{
	struct ipc_conn *conn = w->data;

	switch (conn->state) {
	case IPC_CONN_READING:
		/* Errors and hang-ups surface through recv(). */
		if (revents & (EPOLLIN | EPOLLERR | EPOLLHUP))
			conn_read(conn);
		break;
	case IPC_CONN_WRITING:
		if (revents & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_write(conn, 0);
		break;
	case IPC_CONN_CLOSED:
		break;
	}
}

/* ---------------------------------------------------------------- accept */

static void
accepted_cb(struct acceptor *a, int fd, const struct sockaddr_storage *peer)
{
	struct ipc_conn *conn;

	(void)peer;
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		log_msg(LOG_ERR, "IPC: out of memory, closing a new connection");
		close(fd);
		return;
	}
	conn->fd = fd;
	conn->state = IPC_CONN_READING;
	wbuf_init(&conn->reply, ipc.max_send + 3);
	loop_watch_init(&conn->watch, fd, conn_io_cb, conn);
	loop_timer_init(&conn->idle_timer, idle_cb, conn);
	acceptor_conn_add(a, &conn->link);
	if (loop_watch_add(&conn->watch, EPOLLIN) != 0 ||
	    loop_timer_arm(&conn->idle_timer, IPC_IDLE_TIMEOUT_MS) != 0) {
		log_msg(LOG_ERR, "IPC: can't watch a new connection");
		conn_close(conn);
	}
}

static const struct acceptor_ops acceptor_ops = {
	.accepted_cb = accepted_cb,
	.free_cb = conn_free_cb,
};

/* ---------------------------------------------------------------- init */

/* The listening socket, bound and listening.  -1 with errno set. */
static int
listener_create(const struct qnetd_settings *s)
{
	struct sockaddr_un sun;
	size_t len;
	mode_t old_umask = 0;
	int fd, res, saved;

	len = strlen(s->local_socket_file);
	if (len == 0 || len >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, s->local_socket_file, len);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	(void)unlink(s->local_socket_file);

	if (s->local_socket_umask != -1)
		old_umask = umask((mode_t)s->local_socket_umask);
	res = bind(fd, (struct sockaddr *)&sun, SUN_LEN(&sun));
	saved = errno;
	if (s->local_socket_umask != -1)
		(void)umask(old_umask);
	if (res != 0)
		goto fail;

	if (s->local_socket_gid != -1 &&
	    chown(s->local_socket_file, (uid_t)-1, (gid_t)s->local_socket_gid) != 0) {
		saved = errno;
		goto fail;
	}
	if (listen(fd, (int)s->local_socket_backlog) != 0) {
		saved = errno;
		goto fail;
	}

	return (fd);

fail:
	close(fd);
	errno = saved;
	return (-1);
}

int
ipc_init(const struct qnetd_settings *s)
{
	const struct acceptor_config cfg = {
		.who = "IPC clients",
		.batch = IPC_ACCEPT_BATCH,
		.pause_ms = IPC_EMFILE_PAUSE_MS,
		.max_conns = s->ipc_max_clients,
		.log_peer = 0,
	};
	int saved, fd;

	ipc_fini();
	acceptor_init(&ipc.acc, &cfg, &acceptor_ops, NULL);
	ipc.max_receive = s->ipc_max_receive_size;
	ipc.max_send = s->ipc_max_send_size;
	ipc.initialized = 1;

	ipc.path = strdup(s->local_socket_file);
	if (ipc.path == NULL)
		goto fail;
	fd = listener_create(s);
	if (fd == -1 || acceptor_start(&ipc.acc, fd) != 0)
		goto fail;

	return (0);

fail:
	saved = errno;
	log_msg(LOG_ERR, "Can't create unix socket %s: %s", s->local_socket_file, strerror(saved));
	free(ipc.path);
	ipc.path = NULL;
	ipc.initialized = 0;
	errno = saved;
	return (-1);
}

void
ipc_fini(void)
{
	struct acceptor_link *l;

	if (!ipc.initialized)
		return;
	while ((l = acceptor_conn_first(&ipc.acc)) != NULL)
		conn_close(conn_of_link(l));
	acceptor_reap(&ipc.acc);
	listener_close();
	free(ipc.path);
	ipc.path = NULL;
	ipc.initialized = 0;
}

size_t
ipc_connection_count(void)
{
	return (acceptor_conn_count(&ipc.acc));
}
