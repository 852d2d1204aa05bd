/*
 * bench_pool.c - the shards of a qnetd-bench run: one in this process, or
 * W forked workers, each a process with its own NSS, its own epoll set and
 * a disjoint range of the clusters.
 *
 * Why workers: NSS's softoken keeps the keys of every live TLS connection
 * of a process (~6 session objects each) in one table per slot, and every
 * certificate lookup by subject - the client-certificate chain NSS builds
 * at every handshake - walks all of them under a lock per object.  One
 * process's CPU per handshake thus grows with its live connections (5 ms
 * at 2,000, 8+ ms at 4,000).  Real qdevices are separate processes with
 * one connection each; W workers bring the generator's share back down.
 *
 * Coordination: a socketpair per worker.  The coordinator sends a fixed
 * size command (struct bench_cmd) with a common start time a little in
 * the future, so every worker starts the phase at the same moment; each
 * worker answers with its raw figures (struct bench_res, then its arrays
 * of timestamps and samples), and keeps its connections alive while it
 * waits for the next command.  Every wait is bounded on both sides: a
 * worker that dies or does not answer in time makes the coordinator stop
 * every worker and fail; a worker whose coordinator goes away is killed
 * (PR_SET_PDEATHSIG) or sees its channel close, and exits.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bench_pool.h"

#define SLACK_NS (30 * BENCH_NS_PER_S)		/* beyond a command's own bound */
#define READY_NS (120 * BENCH_NS_PER_S)		/* NSS set-up of every worker */
#define WAIT_CMD_NS (300 * BENCH_NS_PER_S)	/* a worker waiting for a command */
#define EXIT_NS (10 * BENCH_NS_PER_S)		/* workers closing at the end */
#define START_MARGIN_NS (50 * BENCH_NS_PER_MS)	/* commands reach every worker */
#define SAMPLES_MAX (1U << 26)

/* Shard k of n of a total: [part(total, k, n), part(total, k + 1, n)). */
static uint32_t
part(uint32_t total, uint32_t k, uint32_t n)
{
	return (uint32_t)((uint64_t)total * k / n);
}

static struct bench *
shard_new(const struct bench_opts *o, const struct sockaddr_storage *addr,
    socklen_t addr_len, uint32_t k, uint32_t n, int ctl_fd)
{
	struct bench *b;

	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		perror("qnetd-bench: shard");
		return NULL;
	}
	b->o = *o;
	b->worker = k;
	b->cluster_base = part(o->clusters, k, n);
	b->o.clusters = part(o->clusters, k + 1, n) - b->cluster_base;
	b->o.max_pending = part(o->max_pending, k + 1, n) - part(o->max_pending, k, n);
	if (b->o.max_pending == 0)
		b->o.max_pending = 1;
	if (o->connect_rate != 0) {
		b->o.connect_rate = part(o->connect_rate, k + 1, n) - part(o->connect_rate, k, n);
		if (b->o.connect_rate == 0)
			b->o.connect_rate = 1;
	}
	b->ctl_fd = ctl_fd;
	memcpy(&b->addr, addr, addr_len);
	b->addr_len = addr_len;
	if (bench_run_setup(b) < 0 || (b->o.tls && bench_tls_init(b) < 0))
		return NULL;	/* the caller exits */
	return b;
}

static int
write_all(int fd, const void *p, size_t len)
{
	const uint8_t *q = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, q, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		q += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
send_result(int fd, const struct bench_result *res)
{
	if (write_all(fd, &res->r, sizeof(res->r)) < 0 ||
	    write_all(fd, res->done_at, res->r.n_done * sizeof(uint64_t)) < 0 ||
	    write_all(fd, res->lat.v, res->r.n_lat * sizeof(uint32_t)) < 0 ||
	    write_all(fd, res->fv.v, res->r.n_fv * sizeof(uint32_t)) < 0)
		return -1;
	return 0;
}

/* A worker process: set-up (NSS here, after the fork), then commands. */
static void __attribute__((noreturn))
worker_main(const struct bench_opts *o, const struct sockaddr_storage *addr,
    socklen_t addr_len, uint32_t k, uint32_t n, int fd, pid_t parent)
{
	struct bench_cmd cmd = { .type = CMD_READY };
	struct bench_result res;
	struct bench *b;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(3);
	b = shard_new(o, addr, addr_len, k, n, fd);
	if (b == NULL)
		_exit(2);
	for (;;) {
		bench_run_cmd(b, &cmd, &res);
		if (send_result(fd, &res) < 0)
			_exit(3);
		if (cmd.type == CMD_FINISH)
			break;
		if (bench_run_wait_cmd(b, &cmd, now_ns() + WAIT_CMD_NS) < 0) {
			fprintf(stderr, "qnetd-bench: worker %u: no command for %llu s\n", k,
			    (unsigned long long)(WAIT_CMD_NS / BENCH_NS_PER_S));
			_exit(3);
		}
	}
	bench_run_close(b);
	if (b->o.tls)
		bench_tls_fini(b);
	_exit(0);
}

static void
describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, ", exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, ", killed by signal %d (%s)", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
}

/* SIGKILLs every worker still there and reaps it. */
static void
kill_all(struct bench_pool *p)
{
	uint32_t k;

	for (k = 0; k < p->n; k++) {
		if (p->w[k].pid > 0) {
			(void)kill(p->w[k].pid, SIGKILL);
			(void)waitpid(p->w[k].pid, NULL, 0);
			p->w[k].pid = 0;
		}
		if (p->w[k].fd >= 0)
			close(p->w[k].fd);
		p->w[k].fd = -1;
	}
}

static int
pool_fail(struct bench_pool *p, uint32_t k, const char *why)
{
	struct bench_worker *w = &p->w[k];
	char how[96] = "";
	int status, i;

	/* Say how a dead worker ended; it is gone or about to be. */
	for (i = 0; i < 20 && w->pid > 0; i++) {
		if (waitpid(w->pid, &status, WNOHANG) == w->pid) {
			describe_status(status, how, sizeof(how));
			w->pid = 0;
			break;
		}
		usleep(50000);
	}
	fprintf(stderr, "qnetd-bench: worker %u (clusters %u..%u) %s%s; stopping every worker\n",
	    k, w->first_cluster, w->first_cluster + w->clusters - 1, why, how);
	kill_all(p);
	p->failed = 1;
	return -1;
}

static int
spawn(struct bench_pool *p, const struct bench_opts *o, const struct sockaddr_storage *addr,
    socklen_t addr_len, uint32_t k)
{
	pid_t parent = getpid(), pid;
	uint32_t j;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("qnetd-bench: socketpair");
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("qnetd-bench: fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* Only the coordinator may hold the other workers' channels. */
		close(sv[0]);
		for (j = 0; j < k; j++)
			close(p->w[j].fd);
		worker_main(o, addr, addr_len, k, p->n, sv[1], parent);
	}
	close(sv[1]);
	p->w[k].pid = pid;
	p->w[k].fd = sv[0];
	return 0;
}

/* Reads what worker w has sent; NULL, or why its reply is broken. */
static const char *
read_reply(struct bench_pool *p, struct bench_worker *w, uint32_t type)
{
	const struct bench_res *r;
	uint64_t extra;
	uint8_t *nb;
	ssize_t n;

	n = read(w->fd, w->buf + w->len, w->want - w->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? NULL : "cannot be read from";
	if (n == 0)
		return "died (its channel closed)";
	w->len += (size_t)n;
	if (w->len == sizeof(*r) && w->want == sizeof(*r)) {
		r = (const struct bench_res *)w->buf;
		if (r->type != type || r->n_done > (uint64_t)w->clusters * p->o.nodes ||
		    r->n_lat > SAMPLES_MAX || r->n_fv > SAMPLES_MAX)
			return "sent a bad reply";
		extra = r->n_done * sizeof(uint64_t) + (r->n_lat + r->n_fv) * sizeof(uint32_t);
		if (extra != 0) {
			nb = realloc(w->buf, sizeof(*r) + extra);
			if (nb == NULL)
				return "sent a reply too large for memory";
			w->buf = nb;
			w->want += extra;
		}
	}
	if (w->len == w->want)
		w->replied = 1;
	return NULL;
}

/* Waits for every worker's reply to a command of this type, until deadline. */
static int
collect(struct bench_pool *p, uint32_t type, uint64_t deadline)
{
	struct pollfd pfd[BENCH_WORKERS_MAX];
	uint32_t idx[BENCH_WORKERS_MAX], k, i, nfds;
	const char *why;
	uint64_t now;
	int rc;

	for (k = 0; k < p->n; k++) {
		p->w[k].len = 0;
		p->w[k].want = sizeof(struct bench_res);
		p->w[k].replied = 0;
	}
	for (;;) {
		if (bench_interrupted && !p->signalled) {
			/* Workers end their phase early, answer, then get CMD_FINISH. */
			for (k = 0; k < p->n; k++)
				if (p->w[k].pid > 0)
					(void)kill(p->w[k].pid, SIGTERM);
			p->signalled = 1;
		}
		for (k = 0, nfds = 0; k < p->n; k++) {
			if (p->w[k].replied)
				continue;
			pfd[nfds].fd = p->w[k].fd;
			pfd[nfds].events = POLLIN;
			idx[nfds++] = k;
		}
		if (nfds == 0)
			return 0;
		now = now_ns();
		if (now >= deadline)
			return pool_fail(p, idx[0], "did not answer in time");
		rc = poll(pfd, nfds, (deadline - now) / BENCH_NS_PER_MS > 1000 ? 1000 :
		    (int)((deadline - now) / BENCH_NS_PER_MS) + 1);
		if (rc < 0 && errno != EINTR) {
			perror("qnetd-bench: poll");
			return pool_fail(p, idx[0], "could not be waited for");
		}
		for (i = 0; rc > 0 && i < nfds; i++) {
			if (pfd[i].revents == 0)
				continue;
			why = read_reply(p, &p->w[idx[i]], type);
			if (why != NULL)
				return pool_fail(p, idx[i], why);
		}
	}
}

static void
merged_reset(struct bench_result *m)
{
	free(m->done_at);
	samples_free(&m->lat);
	samples_free(&m->fv);
	memset(m, 0, sizeof(*m));
}

/* Adds the scalar figures of one shard to the merged ones. */
static void
merge_res(struct bench_res *a, const struct bench_res *r)
{
	int i;

	a->complete = a->complete && r->complete;
	if (r->t_start != 0 && (a->t_start == 0 || r->t_start < a->t_start))
		a->t_start = r->t_start;
	a->t_end = r->t_end > a->t_end ? r->t_end : a->t_end;
	a->t_reports = r->t_reports > a->t_reports ? r->t_reports : a->t_reports;
	if (r->t_last_settled > a->t_last_settled)
		a->t_last_settled = r->t_last_settled;
	a->cpu_s += r->cpu_s;
	a->attempted += r->attempted;
	a->not_started += r->not_started;
	a->active += r->active;
	a->clients += r->clients;
	a->lost += r->lost;
	for (i = 0; i <= CONN_DEAD; i++)
		a->stuck[i] += r->stuck[i];
	for (i = 0; i < FAIL_COUNT; i++)
		a->fails[i] += r->fails[i];
	for (i = 0; i < 32; i++)
		a->server_errors[i] += r->server_errors[i];
	a->echo_sent += r->echo_sent;
	a->echo_late += r->echo_late;
	a->clusters += r->clusters;
	a->settled += r->settled;
	a->zero_ack += r->zero_ack;
	a->multi_ack += r->multi_ack;
	a->wrong_side += r->wrong_side;
	a->unsettled += r->unsettled;
	a->lost_node += r->lost_node;
	a->interrupted |= r->interrupted;
}

static int
merge(struct bench_result *m, const struct bench_result *w, int first)
{
	uint64_t n0 = first ? 0 : m->r.n_done;
	uint64_t *d;

	if (first)
		m->r = w->r;
	else
		merge_res(&m->r, &w->r);
	m->r.n_done = n0 + w->r.n_done;
	if (w->r.n_done != 0) {
		d = realloc(m->done_at, (size_t)m->r.n_done * sizeof(*d));
		if (d == NULL)
			return -1;
		memcpy(d + n0, w->done_at, (size_t)w->r.n_done * sizeof(*d));
		m->done_at = d;
	}
	if (samples_append(&m->lat, w->lat.v, (size_t)w->r.n_lat) < 0 ||
	    samples_append(&m->fv, w->fv.v, (size_t)w->r.n_fv) < 0)
		return -1;
	m->r.n_lat = m->lat.n;
	m->r.n_fv = m->fv.n;
	return 0;
}

/* The result a worker sent, as a view into its buffer. */
static void
reply_view(const struct bench_worker *w, struct bench_result *res)
{
	const uint8_t *q = w->buf + sizeof(res->r);

	memset(res, 0, sizeof(*res));
	memcpy(&res->r, w->buf, sizeof(res->r));
	res->done_at = (uint64_t *)(void *)(uintptr_t)q;
	q += res->r.n_done * sizeof(uint64_t);
	res->lat.v = (uint32_t *)(void *)(uintptr_t)q;
	res->lat.n = (size_t)res->r.n_lat;
	q += res->r.n_lat * sizeof(uint32_t);
	res->fv.v = (uint32_t *)(void *)(uintptr_t)q;
	res->fv.n = (size_t)res->r.n_fv;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Merges the replies of every worker into p->merged. */
static int
merge_replies(struct bench_pool *p)
{
	struct bench_result res;
	uint32_t k;

	merged_reset(&p->merged);
	for (k = 0; k < p->n; k++) {
		reply_view(&p->w[k], &res);
		if (merge(&p->merged, &res, k == 0) < 0) {
			fprintf(stderr, "qnetd-bench: out of memory merging results\n");
			kill_all(p);
			p->failed = 1;
			return -1;
		}
	}
	if (p->merged.r.n_done > 1)
		qsort(p->merged.done_at, (size_t)p->merged.r.n_done, sizeof(uint64_t), u64_cmp);
	return 0;
}

int
bench_pool_start(struct bench_pool *p, const struct bench_opts *o,
    const struct sockaddr_storage *addr, socklen_t addr_len, uint32_t n)
{
	struct bench_cmd ready = { .type = CMD_READY };
	struct bench_result res;
	uint32_t k;

	memset(p, 0, sizeof(*p));
	p->o = *o;
	p->n = n;
	if (n <= 1) {
		p->n = 1;
		p->local = shard_new(o, addr, addr_len, 0, 1, -1);
		if (p->local == NULL)
			return -1;
		bench_run_cmd(p->local, &ready, &res);
		return 0;
	}
	if (n > BENCH_WORKERS_MAX) {
		fprintf(stderr, "qnetd-bench: at most %d workers\n", BENCH_WORKERS_MAX);
		return -1;
	}
	p->w = calloc(n, sizeof(*p->w));
	if (p->w == NULL)
		return -1;
	for (k = 0; k < n; k++) {
		p->w[k].fd = -1;
		p->w[k].first_cluster = part(o->clusters, k, n);
		p->w[k].clusters = part(o->clusters, k + 1, n) - p->w[k].first_cluster;
		p->w[k].buf = malloc(sizeof(struct bench_res));
		if (p->w[k].buf == NULL || spawn(p, o, addr, addr_len, k) < 0) {
			kill_all(p);
			return -1;
		}
	}
	fprintf(stderr, "qnetd-bench: %u worker processes, %u to %u clusters each, "
	    "--max-pending and --connect-rate shared out\n", n, o->clusters / n,
	    (o->clusters + n - 1) / n);
	if (collect(p, CMD_READY, now_ns() + READY_NS) < 0)
		return -1;
	return 0;
}

uint64_t
bench_pool_t0(const struct bench_pool *p)
{
	return now_ns() + (p->n > 1 ? START_MARGIN_NS : 0);
}

/* The latest a reply to cmd may come. */
static uint64_t
reply_deadline(const struct bench_pool *p, const struct bench_cmd *cmd)
{
	uint64_t end = now_ns();

	if (cmd->type != CMD_FINISH && cmd->deadline > end)
		end = cmd->deadline;
	if (cmd->type == CMD_SPLIT || cmd->type == CMD_HEAL)
		end += (uint64_t)p->o.settle_ms * BENCH_NS_PER_MS;
	return end + SLACK_NS;
}

int
bench_pool_run(struct bench_pool *p, const struct bench_cmd *cmd, struct bench_result **out)
{
	struct bench_result res;
	uint32_t k;

	if (p->failed)
		return -1;
	if (p->n == 1) {
		merged_reset(&p->merged);
		bench_run_cmd(p->local, cmd, &res);
		if (merge(&p->merged, &res, 1) < 0) {
			fprintf(stderr, "qnetd-bench: out of memory copying results\n");
			return -1;
		}
		*out = &p->merged;
		return 0;
	}
	for (k = 0; k < p->n; k++)
		if (write_all(p->w[k].fd, cmd, sizeof(*cmd)) < 0)
			return pool_fail(p, k, "cannot be given a command");
	if (collect(p, cmd->type, reply_deadline(p, cmd)) < 0 || merge_replies(p) < 0)
		return -1;
	/* A worker stopped by a signal of its own: the run stops too. */
	if (p->merged.r.interrupted)
		bench_interrupted = 1;
	*out = &p->merged;
	return 0;
}

int
bench_pool_stop(struct bench_pool *p)
{
	uint64_t deadline = now_ns() + EXIT_NS;
	char how[96];
	int status, rc = p->failed ? -1 : 0;
	uint32_t k;
	pid_t r;

	merged_reset(&p->merged);
	if (p->local != NULL) {
		bench_run_close(p->local);
		if (p->local->o.tls)
			bench_tls_fini(p->local);
		return 0;
	}
	for (k = 0; k < p->n && p->w != NULL; k++) {
		while (p->w[k].pid > 0) {
			r = waitpid(p->w[k].pid, &status, WNOHANG);
			if (r == p->w[k].pid) {
				p->w[k].pid = 0;
				if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
					break;
				how[0] = '\0';
				describe_status(status, how, sizeof(how));
				fprintf(stderr, "qnetd-bench: worker %u ended badly%s\n", k, how);
				rc = -1;
			} else if (now_ns() >= deadline) {
				fprintf(stderr, "qnetd-bench: worker %u did not exit; killed\n", k);
				rc = -1;
				kill_all(p);
			} else
				usleep(20000);
		}
	}
	if (p->w != NULL)
		for (k = 0; k < p->n; k++) {
			if (p->w[k].fd >= 0)
				close(p->w[k].fd);
			p->w[k].fd = -1;
			free(p->w[k].buf);
			p->w[k].buf = NULL;
		}
	return rc;
}
