/*
 * workers.c - the parent's worker processes (workers.h): start them,
 * restart one that dies, move clients to them over their channels, and
 * collect their answers to a query.
 *
 * A worker is this same program executed again (fork, then exec), told
 * by the environment which worker it is: so it starts with nothing of the
 * parent's (no NSS, which is not fork-safe, no loop, no descriptors but
 * its channel) and initialises everything itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"
#include "codec/wbuf.h"
#include "control/ipc_aggregate.h"
#include "core/instance.h"
#include "daemon/workers.h"
#include "net/loop.h"

#define RESTART_BACKOFF_MS 1000
#define RESTART_BACKOFF_MAX_MS 10000
#define FAST_DEATH_MS 2000
#define QUEUE_MAX 65536
#define DRAIN_BATCH 256

struct qitem {
	struct qitem *next;
	struct wchan_hdr h;
	int fd;
	size_t len;
	uint8_t data[];
};

struct worker {
	unsigned index;
	pid_t pid; /* 0: not running */
	int chan;  /* -1: none */
	int ready; /* sent its first counts */
	struct loop_watch watch;
	struct loop_timer restart_timer;
	uint64_t started_ms;
	unsigned fast_deaths;
	uint64_t sent; /* clients passed since it started */
	struct wchan_counts counts;
	struct qitem *qhead, *qtail;
	size_t qlen;
	uint32_t awaiting; /* query id not yet answered; 0: none */
};

static struct worker *workers;
static unsigned nworkers;
static struct keyed_hash_key route_key;
static char **saved_argv;
static int saved_argc;
static char **exec_argv; /* what a worker is started with */
static int exe_fd = -1;  /* this program's image, whatever happens to its file */
static char loader_dir[PATH_MAX];
static uint8_t rbuf[WCHAN_MAX_PAYLOAD];
static unsigned long restarts_total;
static workers_reroute_fn reroute;

static struct {
	uint32_t id;
	unsigned outstanding;
	struct ipc_agg *agg;
	struct wbuf *metrics; /* one per worker */
} q;

static void chan_cb(struct loop_watch *w, uint32_t revents);

void
workers_save_argv(int argc, char *argv[])
{
	int i;

	saved_argv = calloc((size_t)argc + 1, sizeof(*saved_argv));
	if (saved_argv == NULL)
		return;
	for (i = 0; i < argc; i++)
		saved_argv[i] = argv[i];
	saved_argc = argc;
}

unsigned
workers_count(void)
{
	return (nworkers);
}

const struct keyed_hash_key *
workers_key(void)
{
	return (&route_key);
}

void
workers_set_reroute(workers_reroute_fn fn)
{
	reroute = fn;
}

unsigned long
workers_restarts(void)
{
	return (restarts_total);
}

size_t
workers_client_estimate(void)
{
	size_t n = 0;
	unsigned i;

	for (i = 0; i < nworkers; i++) {
		const struct worker *w = &workers[i];

		n += (size_t)w->counts.clients + w->qlen;
		if (w->sent > w->counts.adopted)
			n += (size_t)(w->sent - w->counts.adopted);
	}
	return (n);
}

/* ---- passing clients ---- */

static void
watch_update(struct worker *w)
{
	if (w->chan >= 0)
		loop_watch_mod(&w->watch, EPOLLIN | (w->qhead != NULL ? EPOLLOUT : 0));
}

static void
queue_flush(struct worker *w)
{
	struct qitem *it;

	while (w->chan >= 0 && w->ready && (it = w->qhead) != NULL) {
		if (wchan_send(w->chan, &it->h, it->data, it->len, it->fd, MSG_DONTWAIT) != 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				break;
			log_msg(LOG_ERR, "Can't pass client %s to worker %u: %s", it->h.addr,
			    w->index, strerror(errno));
		} else {
			w->sent++;
		}
		close(it->fd);
		w->qhead = it->next;
		if (w->qhead == NULL)
			w->qtail = NULL;
		w->qlen--;
		free(it);
	}
	watch_update(w);
}

void
workers_pass(unsigned idx, struct wchan_hdr *h, const uint8_t *bytes, size_t len, int fd)
{
	struct worker *w = &workers[idx % nworkers];
	struct qitem *it;

	h->type = WCHAN_ADOPT;
	if (w->qhead == NULL && w->chan >= 0 && w->ready &&
	    wchan_send(w->chan, h, bytes, len, fd, MSG_DONTWAIT) == 0) {
		w->sent++;
		close(fd);
		return;
	}
	/* Full, or the worker is (re)starting: wait in line, in order. */
	it = w->qlen < QUEUE_MAX ? malloc(sizeof(*it) + len) : NULL;
	if (it == NULL) {
		log_msg(LOG_ERR, "Worker %u has %zu clients waiting; closing client %s", w->index,
		    w->qlen, h->addr);
		close(fd);
		return;
	}
	it->next = NULL;
	it->h = *h;
	it->fd = fd;
	it->len = len;
	memcpy(it->data, bytes, len);
	if (w->qtail != NULL)
		w->qtail->next = it;
	else
		w->qhead = it;
	w->qtail = it;
	w->qlen++;
	watch_update(w);
}

static void
queue_drop(struct worker *w)
{
	struct qitem *it;

	while ((it = w->qhead) != NULL) {
		w->qhead = it->next;
		close(it->fd);
		free(it);
	}
	w->qtail = NULL;
	w->qlen = 0;
}

/* ---- the channel ---- */

static void
chan_close(struct worker *w)
{
	if (w->chan < 0)
		return;
	loop_watch_del(&w->watch);
	close(w->chan);
	w->chan = -1;
	w->ready = 0;
	if (w->awaiting != 0) {
		w->awaiting = 0;
		q.outstanding--;
	}
}

static void
on_counts(struct worker *w, const struct wchan_hdr *h, ssize_t n)
{
	struct wchan_counts c;

	if ((size_t)n != sizeof(c))
		return;
	memcpy(&c, rbuf, sizeof(c));
	c.why[sizeof(c.why) - 1] = '\0';
	w->counts = c;
	if (!w->ready) {
		w->ready = 1;
		queue_flush(w);
	}
	if (q.agg != NULL && h->arg == q.id && w->awaiting == q.id) {
		q.agg->clients += (size_t)c.clients;
		q.agg->clusters += (size_t)c.clusters;
		if (!c.healthy && !q.agg->unhealthy) {
			q.agg->unhealthy = 1;
			snprintf(q.agg->why, sizeof(q.agg->why), "worker %u: %s", w->index, c.why);
		}
	}
}

static void
on_reply(struct worker *w, const struct wchan_hdr *h, ssize_t n)
{
	if (h->arg != q.id || w->awaiting != q.id)
		return; /* an answer to a query given up on */
	if (h->type == WCHAN_END) {
		w->awaiting = 0;
		q.outstanding--;
	} else if (h->type == WCHAN_BLOCK && q.agg != NULL) {
		if (ipc_agg_add_block(q.agg, h->seq, h->connected_at < 0 ? NULL : rbuf,
		        h->connected_at < 0 ? 0 : (size_t)n) != 0)
			q.agg->unhealthy = 1;
	} else if (h->type == WCHAN_METRICS && q.metrics != NULL) {
		wbuf_put(&q.metrics[w->index], rbuf, (size_t)n);
	}
}

/* One record.  0: go on; -1: nothing more now (or the channel closed). */
static int
chan_read_one(struct worker *w)
{
	struct wchan_hdr h;
	ssize_t n;
	int fd;

	n = wchan_recv(w->chan, &h, rbuf, sizeof(rbuf), &fd);
	if (n == -2)
		return (-1);
	if (n < 0) {
		int e = errno;

		log_msg(LOG_ERR, "Worker %u: bad record on its channel: %s", w->index, strerror(e));
		if (e == EPROTO)
			return (0); /* dropped; the channel is still in step */
		chan_close(w);
		return (-1);
	}
	if (h.type == 0) {
		chan_close(w); /* it exited: SIGCHLD says how */
		return (-1);
	}
	if (h.type == WCHAN_REROUTE && fd >= 0) {
		h.arg = WCHAN_ARG_REROUTED;
		if (reroute != NULL)
			reroute(&h, rbuf, (size_t)n, fd);
		else
			close(fd);
		return (0);
	}
	if (fd >= 0)
		close(fd);
	if (h.type == WCHAN_COUNTS)
		on_counts(w, &h, n);
	else
		on_reply(w, &h, n);
	return (0);
}

static void
chan_drain(struct worker *w)
{
	int i;

	for (i = 0; i < DRAIN_BATCH && w->chan >= 0; i++)
		if (chan_read_one(w) != 0)
			break;
}

static void
chan_cb(struct loop_watch *lw, uint32_t revents)
{
	struct worker *w = lw->data;

	if (revents & EPOLLOUT)
		queue_flush(w);
	if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
		chan_drain(w);
}

/*
 * Serve the channels outside the main loop until done() or the deadline
 * (monotonic ms): start-up and queries wait here, briefly.
 */
static void
pump(int (*done)(void), uint64_t deadline)
{
	struct pollfd pfd[nworkers];
	struct worker *map[nworkers];

	while (!done()) {
		uint64_t now = loop_now_ms();
		nfds_t n = 0;
		unsigned i;

		if (now >= deadline)
			return;
		for (i = 0; i < nworkers; i++) {
			if (workers[i].chan < 0)
				continue;
			pfd[n].fd = workers[i].chan;
			pfd[n].events = POLLIN;
			map[n++] = &workers[i];
		}
		if (n == 0 || poll(pfd, n, (int)(deadline - now)) < 0) {
			if (n == 0 || errno != EINTR)
				return;
			continue;
		}
		for (i = 0; i < n; i++)
			if (pfd[i].revents != 0)
				chan_drain(map[i]);
	}
}

/* ---- queries ---- */

static int
query_done(void)
{
	return (q.outstanding == 0);
}

int
workers_gather(uint32_t arg, const void *payload, size_t len, struct ipc_agg *agg,
    struct wbuf *metrics)
{
	struct wchan_hdr h;
	unsigned i;

	if (++q.id == 0)
		q.id = 1;
	q.agg = agg;
	q.metrics = metrics;
	q.outstanding = 0;
	memset(&h, 0, sizeof(h));
	h.type = WCHAN_QUERY;
	h.arg = arg;
	h.seq = q.id;
	for (i = 0; i < nworkers; i++) {
		struct worker *w = &workers[i];

		if (w->chan < 0 || !w->ready || wchan_send(w->chan, &h, payload, len, -1, 0) != 0) {
			if (agg != NULL && !agg->unhealthy) {
				agg->unhealthy = 1;
				snprintf(agg->why, sizeof(agg->why), "worker %u is restarting", i);
			}
			continue;
		}
		w->awaiting = q.id;
		q.outstanding++;
	}
	pump(query_done, loop_now_ms() + WORKERS_QUERY_TIMEOUT_MS);
	for (i = 0; i < nworkers; i++) {
		if (workers[i].awaiting == 0)
			continue;
		workers[i].awaiting = 0;
		if (agg != NULL && !agg->unhealthy) {
			agg->unhealthy = 1;
			snprintf(agg->why, sizeof(agg->why), "worker %u did not answer", i);
		}
	}
	q.outstanding = 0;
	q.agg = NULL;
	q.metrics = NULL;
	return (agg != NULL && agg->unhealthy ? -1 : 0);
}

/* ---- starting, stopping, restarting ---- */

static void __attribute__((noreturn)) worker_exec(int fd, const char *env)
{
	sigset_t none;

	/* The parent's signalfd blocked these: a worker installs its own. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGCHLD, SIG_DFL);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (fcntl(fd, F_SETFD, 0) == 0 && setenv(WORKER_ENV, env, 1) == 0)
		fexecve(exe_fd, exec_argv, environ);
	_exit(127);
}

static int
worker_spawn(struct worker *w)
{
	char env[128];
	int sv[2];
	pid_t pid;

	if (wchan_pair(sv) != 0) {
		log_msg(LOG_ERR, "Can't create a channel for worker %u: %s", w->index,
		    strerror(errno));
		return (-1);
	}
	snprintf(env, sizeof(env), "%u:%u:%d:%016llx:%016llx", w->index, nworkers, sv[1],
	    (unsigned long long)route_key.k0, (unsigned long long)route_key.k1);
	pid = fork();
	if (pid < 0) {
		log_msg(LOG_ERR, "Can't start worker %u: %s", w->index, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return (-1);
	}
	if (pid == 0)
		worker_exec(sv[1], env);
	close(sv[1]);
	w->pid = pid;
	w->chan = sv[0];
	w->ready = 0;
	w->sent = 0;
	memset(&w->counts, 0, sizeof(w->counts));
	w->started_ms = loop_now_ms();
	loop_watch_init(&w->watch, w->chan, chan_cb, w);
	if (loop_watch_add(&w->watch, EPOLLIN) != 0)
		log_msg(LOG_ERR, "Can't watch worker %u's channel", w->index);
	log_msg(LOG_DEBUG, "Worker %u started (pid %ld)", w->index, (long)pid);
	return (0);
}

static void
restart_cb(struct loop_timer *t)
{
	struct worker *w = t->data;

	if (qnetd_instance.shutting_down || w->pid != 0)
		return;
	if (worker_spawn(w) != 0)
		loop_timer_arm(&w->restart_timer, RESTART_BACKOFF_MS);
	else
		log_msg(LOG_NOTICE, "Worker %u restarted (pid %ld)", w->index, (long)w->pid);
}

static void
describe_exit(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static void
worker_died(struct worker *w, int status)
{
	uint64_t now = loop_now_ms(), delay = 0;
	char how[64];

	describe_exit(status, how, sizeof(how));
	chan_close(w);
	w->pid = 0;
	if (qnetd_instance.shutting_down)
		return;
	restarts_total++;
	if (now - w->started_ms < FAST_DEATH_MS) {
		delay = (uint64_t)RESTART_BACKOFF_MS << (w->fast_deaths < 4 ? w->fast_deaths : 4);
		if (delay > RESTART_BACKOFF_MAX_MS)
			delay = RESTART_BACKOFF_MAX_MS;
		w->fast_deaths++;
	} else {
		w->fast_deaths = 0;
	}
	log_msg(LOG_ERR,
	    "Worker %u %s holding %llu clients of %llu clusters; they will reconnect. "
	    "Restarting it in %llums (%lu worker restarts so far)",
	    w->index, how, (unsigned long long)w->counts.clients,
	    (unsigned long long)w->counts.clusters, (unsigned long long)delay, restarts_total);
	w->sent = 0;
	memset(&w->counts, 0, sizeof(w->counts));
	loop_timer_arm(&w->restart_timer, delay);
}

void
workers_reap(void)
{
	int status;
	pid_t pid;
	unsigned i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nworkers; i++) {
			if (workers[i].pid == pid) {
				worker_died(&workers[i], status);
				break;
			}
		}
	}
}

void
workers_signal_all(int sig)
{
	unsigned i;

	for (i = 0; i < nworkers; i++)
		if (workers[i].pid > 0)
			kill(workers[i].pid, sig);
}

static int
all_ready(void)
{
	unsigned i;

	for (i = 0; i < nworkers; i++)
		if (!workers[i].ready)
			return (workers[i].chan < 0); /* died: stop waiting */
	return (1);
}

/*
 * Workers run this very image: /proc/self/exe, opened once, so that an
 * upgrade of the file on disk meanwhile does not mix versions.  Started
 * through an explicit ELF loader ("ld-linux-x86-64.so.2 --library-path
 * DIR program ...", as the many-core kit does), /proc/self/exe is the
 * loader: a worker is then started the same way, with the loader's
 * directory as library path.  0, or -1 (errno).
 */
static int
exec_prepare(void)
{
	static char self[PATH_MAX];
	char *base;
	ssize_t l;
	int i, n = 0;

	if (saved_argv == NULL)
		return (-1);
	l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	exe_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (l <= 0 || exe_fd < 0)
		return (-1);
	self[l] = '\0';
	exec_argv = calloc((size_t)saved_argc + 4, sizeof(*exec_argv));
	if (exec_argv == NULL)
		return (-1);
	base = strrchr(self, '/');
	if (base != NULL && strncmp(base + 1, "ld-", 3) == 0 && strstr(base, ".so") != NULL) {
		snprintf(loader_dir, sizeof(loader_dir), "%.*s", (int)(base - self), self);
		exec_argv[n++] = base + 1;
		exec_argv[n++] = "--library-path";
		exec_argv[n++] = loader_dir;
	}
	for (i = 0; i < saved_argc; i++)
		exec_argv[n++] = saved_argv[i];
	exec_argv[n] = NULL;
	return (0);
}

int
workers_start(unsigned n)
{
	unsigned i;

	if (exec_prepare() != 0) {
		log_msg(LOG_ERR, "Can't prepare worker processes: %s", strerror(errno));
		return (-1);
	}
	if (keyed_hash_key_random(&route_key) != 0)
		log_msg(LOG_WARNING, "No random source: the routing key is guessable");
	workers = calloc(n, sizeof(*workers));
	if (workers == NULL)
		return (-1);
	nworkers = n;
	for (i = 0; i < n; i++) {
		workers[i].index = i;
		workers[i].chan = -1;
		loop_timer_init(&workers[i].restart_timer, restart_cb, &workers[i]);
		if (worker_spawn(&workers[i]) != 0)
			return (-1);
	}
	pump(all_ready, loop_now_ms() + WORKERS_START_TIMEOUT_MS);
	for (i = 0; i < n; i++) {
		if (!workers[i].ready) {
			log_msg(LOG_ERR, "Worker %u did not start", i);
			return (-1);
		}
	}
	log_msg(LOG_INFO, "%u worker processes serving", n);
	return (0);
}

static void
workers_reap_quiet(void)
{
	int status;
	pid_t pid;
	unsigned i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < nworkers; i++)
			if (workers[i].pid == pid)
				workers[i].pid = 0;
}

static int
wait_all(uint64_t deadline)
{
	int left;
	unsigned i;

	do {
		workers_reap_quiet();
		left = 0;
		for (i = 0; i < nworkers; i++)
			left += workers[i].pid > 0;
		if (left > 0)
			usleep(20000);
	} while (left > 0 && loop_now_ms() < deadline);
	return (left);
}

void
workers_stop(void)
{
	unsigned i;

	if (workers == NULL)
		return;
	workers_signal_all(SIGTERM);
	if (wait_all(loop_now_ms() + WORKERS_STOP_TIMEOUT_MS) > 0) {
		log_msg(LOG_WARNING, "Workers still running after %ums: killing them",
		    WORKERS_STOP_TIMEOUT_MS);
		workers_signal_all(SIGKILL);
		wait_all(loop_now_ms() + WORKERS_STOP_TIMEOUT_MS);
	}
	for (i = 0; i < nworkers; i++) {
		loop_timer_disarm(&workers[i].restart_timer);
		chan_close(&workers[i]);
		queue_drop(&workers[i]);
	}
	free(workers);
	workers = NULL;
	nworkers = 0;
}
