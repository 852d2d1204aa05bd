/*
 * bench_pool.h - the shards of a qnetd-bench run and their coordination:
 * one shard in this process, or W worker processes with one shard each.
 */
#ifndef QNETD_BENCH_POOL_H
#define QNETD_BENCH_POOL_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "bench.h"

#define BENCH_WORKERS_MAX 64

struct bench_worker {
	pid_t pid;		/* 0 once reaped */
	int fd;			/* command channel, -1 when closed */
	uint32_t first_cluster, clusters;
	uint8_t *buf;		/* the reply being read */
	size_t len, want;
	int replied;
};

struct bench_pool {
	struct bench_opts o;		/* the whole run's */
	uint32_t n;			/* shards */
	struct bench *local;		/* n == 1: the shard, in this process */
	struct bench_worker *w;		/* n > 1 */
	struct bench_result merged;	/* the last command's, owned here */
	int signalled;			/* SIGTERM passed on to the workers */
	int failed;
};

/*
 * Starts n shards of the clusters of o (shard k: clusters [k*C/n,
 * (k+1)*C/n), --max-pending and --connect-rate shared out): n == 1 in
 * this process, else n forked workers, each of which initialises NSS
 * itself (NSS is never initialised here before the fork).  Returns once
 * every shard is ready: 0, or -1 after a message (every worker stopped).
 */
int bench_pool_start(struct bench_pool *p, const struct bench_opts *o,
    const struct sockaddr_storage *addr, socklen_t addr_len, uint32_t n);

/* The common start of the next command: now, plus a margin with workers. */
uint64_t bench_pool_t0(const struct bench_pool *p);

/*
 * Runs cmd on every shard and merges their results into *out (owned by
 * the pool, valid until the next call).  Every wait is bounded.  Returns
 * 0, or -1 when a worker died or did not answer in time: then it has been
 * said on stderr and every worker is stopped.
 */
int bench_pool_run(struct bench_pool *p, const struct bench_cmd *cmd, struct bench_result **out);

/*
 * After CMD_FINISH, or to give up: resets the local shard's connections,
 * or waits (bounded) for the workers to exit and kills the stragglers.
 * 0 when every worker exited with status 0.
 */
int bench_pool_stop(struct bench_pool *p);

#endif
