/*
 * worker.c - one worker process (worker.h).
 *
 * The parent passes each client with the bytes it already read; the
 * client is then this worker's as if accepted here.  A PREINIT (before
 * INIT) that names a cluster another worker owns gives the client back
 * to the parent, still in plain text, so that no cluster is ever split
 * between two workers; inside TLS that cannot be done, and the client is
 * disconnected instead (docs/compat.md).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "algo/algo.h"
#include "base/keyed_hash.h"
#include "base/log.h"
#include "codec/wbuf.h"
#include "control/ipc_cmd.h"
#include "core/instance.h"
#include "daemon/shard.h"
#include "daemon/wire.h"
#include "daemon/worker.h"
#include "daemon/worker_chan.h"
#include "extras/extra.h"
#include "extras/metrics.h"
#include "extras/vote_keeper.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/tls.h"
#include "session/session.h"

#define COUNTS_INTERVAL_MS 20
#define RECORDS_PER_WAKEUP 64

static struct {
	unsigned index, count;
	int chan;
	struct keyed_hash_key key;
	struct loop_watch watch;
	struct loop_timer counts_timer;
	uint64_t adopted;
	struct wchan_counts last;  /* as last sent */
	struct qnetd_settings own; /* the settings, less what only the parent serves */
} wk = { .chan = -1 };

static uint8_t rbuf[WCHAN_MAX_PAYLOAD];

/* "index:count:fd:k0-hex:k1-hex".  0, or -1 when absent or malformed. */
static int
parse_env(void)
{
	const char *v = getenv(WORKER_ENV);
	unsigned long long k0, k1;
	int fd;

	if (v == NULL ||
	    sscanf(v, "%u:%u:%d:%16llx:%16llx", &wk.index, &wk.count, &fd, &k0, &k1) != 5 ||
	    wk.count < 1 || wk.index >= wk.count || fd < 0)
		return (-1);
	wk.key.k0 = k0;
	wk.key.k1 = k1;
	wk.chan = fd;
	return (0);
}

int
worker_index(void)
{
	return (wk.chan >= 0 ? (int)wk.index : -1);
}

int
worker_is_worker(void)
{
	return (getenv(WORKER_ENV) != NULL);
}

/* ---- counts and health ---- */

static void
fill_counts(struct wchan_counts *c)
{
	const struct qnetd_settings *s = qnetd_instance.settings;

	memset(c, 0, sizeof(*c));
	c->clients = qnetd_instance.client_count;
	c->clusters = qnetd_instance.clusters.count;
	c->adopted = wk.adopted;
	c->healthy = 1;
	if (qnetd_instance.shutting_down) {
		c->healthy = 0;
		snprintf(c->why, sizeof(c->why), "shutting down");
	} else if (s->tls != TLV_TLS_UNSUPPORTED && !tls_available()) {
		c->healthy = 0;
		snprintf(c->why, sizeof(c->why), "TLS is on but no server certificate is loaded");
	}
}

static int
send_rec(uint32_t type, uint32_t arg, uint64_t seq, int64_t aux, const void *p, size_t len)
{
	struct wchan_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.arg = arg;
	h.seq = seq;
	h.connected_at = aux;
	if (wchan_send(wk.chan, &h, p, len, -1, 0) != 0) {
		log_msg(LOG_ERR, "Worker %u: can't write to the parent: %s", wk.index,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* For -m and the start-up handshake: what this worker holds, when it changed. */
static void
counts_cb(struct loop_timer *t)
{
	struct wchan_counts c;

	fill_counts(&c);
	if (c.clients != wk.last.clients || c.adopted != wk.last.adopted ||
	    c.clusters != wk.last.clusters) {
		if (send_rec(WCHAN_COUNTS, 0, 0, 0, &c, sizeof(c)) == 0)
			wk.last = c;
	}
	loop_timer_arm(t, COUNTS_INTERVAL_MS);
}

/* ---- queries ---- */

static void
answer_list(const struct ipc_cmd *cmd, size_t max_entry, uint32_t qid)
{
	struct qnetd_cluster *cl;
	struct wbuf out;

	wbuf_init(&out, WCHAN_MAX_PAYLOAD);
	TAILQ_FOREACH(cl, &qnetd_instance.clusters.clusters, entries) {
		if (!ipc_cmd_cluster_selected(cmd, cl))
			continue;
		wbuf_reset(&out);
		if (ipc_cmd_format_cluster(cmd, cl, max_entry, &out) != 0)
			send_rec(WCHAN_BLOCK, qid, cl->created_ns, -1, NULL, 0);
		else
			send_rec(WCHAN_BLOCK, qid, cl->created_ns, 0, out.data, out.len);
	}
	wbuf_destroy(&out);
}

static void
answer_metrics(uint32_t qid)
{
	struct wbuf out;
	size_t off, n;

	wbuf_init(&out, 64u * 1024 * 1024);
	if (metrics_format(&qnetd_instance, &out) == 0) {
		for (off = 0; off < out.len; off += n) {
			n = out.len - off < WCHAN_MAX_PAYLOAD ? out.len - off : WCHAN_MAX_PAYLOAD;
			if (send_rec(WCHAN_METRICS, qid, 0, 0, out.data + off, n) != 0)
				break;
		}
	}
	wbuf_destroy(&out);
}

static void
answer_query(const struct wchan_hdr *h, const uint8_t *p, size_t len)
{
	struct wchan_query wq;
	struct wchan_counts c;
	struct ipc_cmd cmd;
	uint32_t qid = (uint32_t)h->seq;
	char *name = NULL;

	memset(&cmd, 0, sizeof(cmd));
	if (len < sizeof(wq))
		goto end;
	memcpy(&wq, p, sizeof(wq));
	if (wq.name_len > len - sizeof(wq))
		goto end;
	if (wq.name_len > 0) {
		name = strndup((const char *)p + sizeof(wq), wq.name_len);
		if (name == NULL)
			goto end;
	}
	cmd.type = (enum ipc_cmd_type)wq.type;
	cmd.verbose = (int)wq.verbose;
	cmd.json_what = wq.json_what;
	cmd.cluster_name = name;
	fill_counts(&c);
	send_rec(WCHAN_COUNTS, qid, 0, 0, &c, sizeof(c));
	if (h->arg & WCHAN_ARG_METRICS)
		answer_metrics(qid);
	else if (ipc_cmd_lists_clusters(&cmd))
		answer_list(&cmd, wq.max_entry, qid);
end:
	free(name);
	send_rec(WCHAN_END, qid, 0, 0, NULL, 0);
}

/* ---- clients ---- */

static void
adopt(const struct wchan_hdr *h, const uint8_t *p, size_t len, int fd)
{
	struct conn *c;

	if (fd < 0)
		return;
	wk.adopted++;
	c = conn_adopt(fd, h->addr, h->seq, (time_t)h->connected_at, p, len, wire_client_accepted);
	if (c == NULL) {
		log_msg(LOG_ERR, "Can't allocate client %s, closing", h->addr);
		close(fd);
		return;
	}
	if (!(h->arg & WCHAN_ARG_REROUTED))
		metrics_inc(M_CONNECTIONS_ACCEPTED);
	log_msg(LOG_DEBUG, "Client %s (connection %llu) taken over by worker %u", h->addr,
	    (unsigned long long)h->seq, wk.index);
}

static void
parent_gone(void)
{
	if (qnetd_instance.shutting_down)
		return;
	log_msg(LOG_ERR, "Worker %u: the parent process is gone; stopping", wk.index);
	instance_request_shutdown();
	loop_watch_del(&wk.watch);
}

static void
chan_cb(struct loop_watch *w, uint32_t revents)
{
	struct wchan_hdr h;
	int i, fd;

	(void)w;
	(void)revents;
	for (i = 0; i < RECORDS_PER_WAKEUP; i++) {
		ssize_t n = wchan_recv(wk.chan, &h, rbuf, sizeof(rbuf), &fd);

		if (n == -2)
			return;
		if (n < 0 && errno == EPROTO) {
			log_msg(LOG_ERR, "Worker %u: malformed record from the parent", wk.index);
			continue;
		}
		if (n < 0 || h.type == 0) {
			parent_gone();
			return;
		}
		if (h.type == WCHAN_ADOPT) {
			adopt(&h, rbuf, (size_t)n, fd);
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (h.type == WCHAN_QUERY)
			answer_query(&h, rbuf, (size_t)n);
	}
}

/* A PREINIT before INIT: keep the client, or give it to the cluster's worker. */
static int
preinit_hook(struct qnetd_client *client, const char *name, size_t name_len, const uint8_t *raw,
    size_t len)
{
	struct conn *c = conn_of(client);
	struct wchan_hdr h;
	unsigned to = shard_of(&wk.key, wk.count, name, name_len);
	int fd;

	if (to == wk.index)
		return (0);
	if (c->client.tls_started || len > WCHAN_MAX_PAYLOAD) {
		log_client(LOG_ERR, &c->client,
		    "PREINIT names a cluster that worker %u serves, after STARTTLS; "
		    "disconnecting (docs/compat.md)",
		    to);
		conn_schedule_close(c, "cluster renamed after STARTTLS");
		return (1);
	}
	fd = conn_handover(c);
	if (fd < 0) {
		log_client(LOG_ERR, &c->client, "can't hand over to worker %u; disconnecting", to);
		conn_schedule_close(c, "can't hand over");
		return (1);
	}
	memset(&h, 0, sizeof(h));
	h.type = WCHAN_REROUTE;
	h.seq = c->client.id;
	h.connected_at = (int64_t)c->client.connected_at;
	snprintf(h.addr, sizeof(h.addr), "%s", c->client.addr_str);
	if (wchan_send(wk.chan, &h, raw, len, fd, 0) != 0)
		log_client(LOG_ERR, &c->client, "can't give back to the parent: %s",
		    strerror(errno));
	else
		log_client(LOG_DEBUG, &c->client,
		    "PREINIT names a cluster of worker %u: handed over", to);
	close(fd);
	return (1);
}

/* ---- life ---- */

static void
signal_shutdown_cb(int sig)
{
	log_msg(LOG_DEBUG, "Worker %u: SIG%s received", wk.index, sigabbrev_np(sig));
	instance_request_shutdown();
}

static void
signal_hup_cb(int sig)
{
	(void)sig;
	(void)extra_reload(&wk.own);
}

static int
worker_setup(void)
{
	struct wchan_counts c;

	session_preinit_hook = preinit_hook;
	loop_watch_init(&wk.watch, wk.chan, chan_cb, NULL);
	loop_timer_init(&wk.counts_timer, counts_cb, NULL);
	if (loop_watch_add(&wk.watch, EPOLLIN) != 0 ||
	    loop_signal_add(SIGTERM, signal_shutdown_cb) != 0 ||
	    loop_signal_add(SIGINT, signal_shutdown_cb) != 0 ||
	    loop_signal_add(SIGHUP, signal_hup_cb) != 0 ||
	    loop_timer_arm(&wk.counts_timer, COUNTS_INTERVAL_MS) != 0) {
		log_msg(LOG_ERR, "Worker %u: can't set up its loop", wk.index);
		return (-1);
	}
	/* The first counts tell the parent this worker serves. */
	fill_counts(&c);
	return (send_rec(WCHAN_COUNTS, 0, 0, 0, &c, sizeof(c)));
}

/* The vote memory keeps the clusters this worker owns (docs/compat.md). */
static int
worker_owns(const char *name, size_t len, void *arg)
{
	(void)arg;
	return (shard_of(&wk.key, wk.count, name, len) == wk.index);
}

static void
worker_vote_keeper_init(const struct qnetd_settings *s)
{
	char file[sizeof(VOTE_KEEPER_FILE) + 16];

	snprintf(file, sizeof(file), "%s.%u", VOTE_KEEPER_FILE, wk.index);
	vote_keeper_init(s, file, worker_owns, NULL);
}

int
worker_run(struct qnetd_settings *s)
{
	int res = EXIT_FAILURE;

	if (parse_env() != 0) {
		log_msg(LOG_ERR, "Malformed %s in the environment", WORKER_ENV);
		return (EXIT_FAILURE);
	}
	unsetenv(WORKER_ENV); /* not for the event hook's children */
	log_set_tag(wk.index);
	/* The parent serves metrics and the tool; a worker runs the hooks of its events. */
	wk.own = *s;
	wk.own.metrics_address = NULL;
	if (loop_init() != 0 || tls_init(s) != 0)
		goto out;
	qnetd_instance.settings = s;
	qnetd_instance.started_at = time(NULL);
	if (cluster_registry_init(&qnetd_instance.clusters) != 0)
		goto out;
	wire_init(&qnetd_instance);
	worker_vote_keeper_init(s);
	if (extra_init(&wk.own) != 0 || worker_setup() != 0)
		goto out_extra;
	log_msg(LOG_DEBUG, "Worker %u serving", wk.index);
	loop_run();
	res = EXIT_SUCCESS;
out_extra:
	extra_fini();
	conn_close_all();
	/* After the clients: a shutdown leaves the memory as it was. */
	vote_keeper_fini();
	wire_fini();
	cluster_registry_destroy(&qnetd_instance.clusters);
out:
	tls_fini();
	loop_fini();
	return (res);
}
