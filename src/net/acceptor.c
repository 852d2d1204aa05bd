/*
 * acceptor.c - serve a listening socket (see acceptor.h).
 *
 * The socket is level-triggered: when accept() fails for want of
 * descriptors or memory the queue is still readable, so without a pause
 * the loop would spin on it (upstream logs ~9,000 lines a second there).
 * The watch is dropped for pause_ms and restored by a timer.  Lines about
 * exhaustion, refusals past the cap and other accept errors are each
 * written at most once per interval, with the count refused since.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "net/acceptor.h"

#define FD_LOG_INTERVAL_MS 10000
#define CAP_LOG_INTERVAL_MS 1000
#define ERR_LOG_INTERVAL_MS 1000

void
acceptor_format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
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

static size_t
conn_count(struct acceptor *a)
{
	if (a->ops->count_cb != NULL)
		return (a->ops->count_cb(a));
	return (a->nconns);
}

/* 1 if a line rate-limited by *last may be written now (and note it). */
static int
log_due(uint64_t *last, uint64_t interval)
{
	uint64_t now = loop_now_ms();

	if (*last != 0 && now - *last < interval)
		return (0);
	*last = now;
	return (1);
}

static void
resume_cb(struct loop_timer *t)
{
	struct acceptor *a = t->data;

	if (a->fd >= 0 && loop_watch_mod(&a->watch, EPOLLIN) != 0)
		log_msg(LOG_ERR, "Can't resume accepting %s: %s", a->cfg.who, strerror(errno));
}

static void
pause_accepting(struct acceptor *a, int err)
{
	if (loop_watch_mod(&a->watch, 0) == 0)
		loop_timer_arm(&a->pause_timer, a->cfg.pause_ms);
	if (log_due(&a->last_fd_log_ms, FD_LOG_INTERVAL_MS))
		log_msg(LOG_ERR,
		    "Out of file descriptors (%s) with %zu %s: pausing accept "
		    "for %ums. Raise LimitNOFILE / ulimit -n.",
		    strerror(err), conn_count(a), a->cfg.who, a->cfg.pause_ms);
}

static void
refuse(struct acceptor *a, int fd, const struct sockaddr_storage *ss)
{
	char addr[INET6_ADDRSTRLEN + 8];

	close(fd);
	a->refused_since_log++;
	if (!log_due(&a->last_cap_log_ms, CAP_LOG_INTERVAL_MS))
		return;
	if (a->cfg.log_peer) {
		acceptor_format_addr(ss, addr, sizeof(addr));
		log_msg(LOG_ERR,
		    "Maximum %s reached. Not accepting connection from %s "
		    "(%lu refused since the last such line)",
		    a->cfg.who, addr, a->refused_since_log);
	} else {
		log_msg(LOG_ERR,
		    "Maximum %s reached. Not accepting connection "
		    "(%lu refused since the last such line)",
		    a->cfg.who, a->refused_since_log);
	}
	a->refused_since_log = 0;
}

/* accept() failed with err.  1: try the next one; 0: done for this wake-up. */
static int
accept_failed(struct acceptor *a, int err)
{
	switch (err) {
	case EINTR:
	case ECONNABORTED:
		return (1);
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
		return (0);
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		pause_accepting(a, err);
		return (0);
	default:
		if (log_due(&a->last_err_log_ms, ERR_LOG_INTERVAL_MS))
			log_msg(LOG_ERR, "accept failed (%s): %s", a->cfg.who, strerror(err));
		return (0);
	}
}

static void
listen_cb(struct loop_watch *w, uint32_t revents)
{
	struct acceptor *a = w->data;
	unsigned i;

	(void)revents;
	for (i = 0; i < a->cfg.batch && a->fd >= 0; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd;

		memset(&ss, 0, sizeof(ss));
		fd = accept4(a->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (accept_failed(a, errno))
				continue;
			return;
		}
		if (a->cfg.max_conns != 0 && conn_count(a) >= a->cfg.max_conns) {
			refuse(a, fd, &ss);
			continue;
		}
		a->ops->accepted_cb(a, fd, &ss);
	}
}

static void
reap_cb(struct loop_timer *t)
{
	acceptor_reap(t->data);
}

void
acceptor_init(struct acceptor *a, const struct acceptor_config *cfg, const struct acceptor_ops *ops,
    void *data)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	a->ops = ops;
	a->data = data;
	a->fd = -1;
	TAILQ_INIT(&a->open);
	TAILQ_INIT(&a->closed);
	loop_timer_init(&a->pause_timer, resume_cb, a);
	loop_timer_init(&a->reap_timer, reap_cb, a);
}

int
acceptor_start(struct acceptor *a, int fd)
{
	int e;

	a->fd = fd;
	loop_watch_init(&a->watch, fd, listen_cb, a);
	if (loop_watch_add(&a->watch, EPOLLIN) == 0)
		return (0);
	e = errno;
	close(fd);
	a->fd = -1;
	errno = e;
	return (-1);
}

void
acceptor_stop(struct acceptor *a)
{
	if (a->ops == NULL) /* never set up */
		return;
	loop_timer_disarm(&a->pause_timer);
	if (a->fd < 0)
		return;
	loop_watch_del(&a->watch);
	close(a->fd);
	a->fd = -1;
}

int
acceptor_is_open(const struct acceptor *a)
{
	return (a->fd >= 0 && a->watch.added);
}

void
acceptor_conn_add(struct acceptor *a, struct acceptor_link *l)
{
	TAILQ_INSERT_TAIL(&a->open, l, entries);
	a->nconns++;
}

void
acceptor_conn_close(struct acceptor *a, struct acceptor_link *l)
{
	TAILQ_REMOVE(&a->open, l, entries);
	a->nconns--;
	TAILQ_INSERT_TAIL(&a->closed, l, entries);
	if (!loop_timer_armed(&a->reap_timer) && loop_timer_arm(&a->reap_timer, 0) != 0)
		log_msg(LOG_ERR, "Can't arm the reaper timer (%s): memory kept until exit",
		    a->cfg.who);
}

struct acceptor_link *
acceptor_conn_first(const struct acceptor *a)
{
	return (TAILQ_FIRST(&a->open));
}

size_t
acceptor_conn_count(const struct acceptor *a)
{
	return (a->nconns);
}

void
acceptor_reap(struct acceptor *a)
{
	struct acceptor_link *l;

	loop_timer_disarm(&a->reap_timer);
	while ((l = TAILQ_FIRST(&a->closed)) != NULL) {
		TAILQ_REMOVE(&a->closed, l, entries);
		a->ops->free_cb(l);
	}
}
