/*
 * bench.h - shared state of qnetd-bench, the protocol-speaking load
 * generator: C clusters of N nodes, each node one connection that talks to
 * the arbiter like a real corosync-qdevice (model net, ffsplit).
 *
 * One thread, one epoll set per shard of clusters; with --workers W, W
 * processes hold one shard each (bench_pool.c).  Times are CLOCK_MONOTONIC
 * nanoseconds, comparable across the processes.
 */
#ifndef QNETD_BENCH_H
#define QNETD_BENCH_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include <prio.h>

#include "codec/tlv.h"

#define BENCH_NS_PER_MS 1000000ULL
#define BENCH_NS_PER_S 1000000000ULL

enum conn_state {
	CONN_IDLE = 0,		/* not started yet */
	CONN_CONNECTING,	/* non-blocking connect() in flight */
	CONN_PREINIT,		/* PREINIT sent, waiting for PREINIT_REPLY */
	CONN_TLS_HANDSHAKE,	/* STARTTLS sent, NSS handshake running */
	CONN_INIT,		/* INIT sent, waiting for INIT_REPLY */
	CONN_ACTIVE,		/* INIT accepted: lists sent, echoes running */
	CONN_FROZEN,		/* handshake cut by the connect bound: socket kept, ignored */
	CONN_DEAD,		/* closed: by the server, on error or at the end */
};

/* Why a connection died; counted and printed. */
enum conn_fail {
	FAIL_NONE = 0,
	FAIL_CONNECT,		/* connect() failed (refused, reset, ...) */
	FAIL_EOF,		/* the server closed the connection */
	FAIL_IO,		/* read/write error (reset) */
	FAIL_TLS,		/* TLS setup or handshake failed */
	FAIL_PROTOCOL,		/* undecodable or unexpected message */
	FAIL_SERVER_ERROR,	/* SERVER_ERROR received */
	FAIL_INIT_REPLY,	/* INIT_REPLY with an error code */
	FAIL_TIMEOUT,		/* handshake not done when the phase ended */
	FAIL_COUNT,
};

struct conn {
	int fd;
	PRFileDesc *ssl;	/* NSS layer after STARTTLS, else NULL */
	enum conn_state state;
	uint32_t cluster;	/* index into bench.clusters */
	uint32_t node_id;	/* 1..N */
	uint32_t seq;		/* request seq, as the real client counts it */
	uint32_t echo_seq;	/* last ECHO_REQUEST seq sent */
	int echo_outstanding;	/* sent, no reply yet */
	int want_out;		/* EPOLLOUT is armed */
	int setup_done;		/* quorum NODE_LIST_REPLY received */

	uint8_t *out;		/* pending bytes to write (plain text) */
	size_t out_len, out_off, out_cap;
	uint8_t *in;		/* partial message carried between reads */
	size_t in_len;

	uint64_t t_start;	/* connect() issued */
	uint64_t t_echo_sent;
	uint64_t next_echo;

	struct tlv_ring_id ring;	/* ring id of the last membership report */
	uint32_t memb_lo, memb_hi;	/* membership of the last report: ids lo..hi */
	enum tlv_vote vote;		/* last VOTE_INFO vote (UNDEFINED before one) */
	struct tlv_ring_id vote_ring;	/* its ring id */
	uint32_t vote_info_seq;
};

struct cluster {
	uint32_t first_conn;	/* conns[first_conn .. first_conn + N - 1] */
	uint64_t t_last_report;	/* last membership report written by any node */
	uint64_t t_settled;	/* first moment the expected votes were all in */
	uint64_t t_first_ack;	/* first VOTE_INFO ACK after t_last_report */
	int in_storm;		/* takes part in the current split/heal */
};

/* A growable array of latencies in microseconds. */
struct samples {
	uint32_t *v;
	size_t n, cap;
};

/* What the coordinator asks of a shard; every command gets one result. */
enum bench_cmd_type {
	CMD_READY = 0,	/* set-up done (the first result, no command) */
	CMD_CONNECT,	/* connect the shard from t0 on, bounded by deadline */
	CMD_IDLE,	/* only keep the connections alive until deadline */
	CMD_STEADY,	/* echoes from t0 to deadline, round trips recorded */
	CMD_SPLIT,	/* split storm at t0, bounded by deadline */
	CMD_HEAL,	/* heal at t0, bounded by deadline */
	CMD_FINISH,	/* total CPU; then the shard closes everything */
};

struct bench_cmd {
	uint32_t type;		/* enum bench_cmd_type */
	uint32_t pad;
	uint64_t t0;		/* common start */
	uint64_t deadline;
	uint64_t ring_seq;	/* split, heal */
};

/*
 * One shard's raw figures for one command, merged by the coordinator:
 * times are taken as the maximum (t_start: minimum), counts are summed,
 * the arrays are concatenated.  Sent as is between processes of the same
 * binary: the fixed part, then n_done uint64, n_lat and n_fv uint32.
 */
struct bench_res {
	uint32_t type;
	int32_t complete;		/* connect, storm: done before the deadline */
	uint64_t t_start;		/* the phase's work began */
	uint64_t t_end;			/* ... and ended (storm: before the settle wait) */
	uint64_t t_reports;		/* storm: every report written */
	uint64_t t_last_settled;	/* storm: last cluster settled, 0 if none */
	double cpu_s;			/* the shard's CPU in the command (finish: total) */
	uint32_t attempted, not_started, active;
	uint32_t clients, lost;		/* at the start / connections died in the phase */
	uint32_t stuck[CONN_DEAD + 1];	/* handshakes cut by the connect bound */
	uint64_t fails[FAIL_COUNT];	/* cumulative */
	uint64_t server_errors[32];	/* cumulative */
	uint64_t echo_sent, echo_late;
	uint32_t clusters, settled, zero_ack, multi_ack, wrong_side, unsettled, lost_node;
	uint32_t interrupted;		/* the shard got SIGINT/SIGTERM */
	uint64_t n_done, n_lat, n_fv;
};

struct bench_result {
	struct bench_res r;
	uint64_t *done_at;	/* connect: handshakes completed, ns (merged: sorted) */
	struct samples lat;	/* handshake, echo round trip or settle latencies, us */
	struct samples fv;	/* first-vote latencies, us */
};

struct bench_opts {
	const char *host;
	const char *port;
	uint32_t clusters;
	uint32_t nodes;
	int tls;
	const char *nss_db;
	const char *cert_nick;
	const char *server_name;
	uint32_t hb_ms;		/* echo period */
	uint32_t init_hb_ms;	/* heartbeat interval sent in INIT (server DPD = 1.5x) */
	uint32_t connect_rate;	/* connections started per second, 0 = no limit */
	uint32_t max_pending;	/* handshakes in flight at most */
	uint32_t phase_timeout;	/* seconds, split/heal/settle phases */
	uint32_t connect_timeout;	/* seconds, connect phase */
	uint32_t steady_s;
	uint32_t settle_ms;	/* extra wait after settling before counting */
	int server_pid;
	int json;
	int nodelay;
	int quickack;
	const char *cluster_fmt;	/* printf format with one %u */
	uint32_t src_ips;	/* bind sources over 127.0.0.1..N (IPv4 only) */
	uint32_t workers;	/* processes, 0 = auto */
};

/* Counters and samples of the current phase. */
struct phase_stats {
	struct samples handshake;	/* connect() -> INIT_REPLY, us */
	struct samples echo_rtt;	/* us */
	struct samples first_vote;	/* cluster's last report -> first ACK, us */
	struct samples settle;		/* storm: per cluster, last report -> settled, us */
	uint64_t *done_at;		/* per completed handshake, in order, ns */
	size_t done_n;
	uint64_t echo_sent, echo_late;
};

struct bench {
	struct bench_opts o;	/* clusters, max_pending, connect_rate: the shard's */
	uint32_t worker;	/* shard number, 0..W-1 */
	uint32_t cluster_base;	/* global number of clusters[0] */
	int ctl_fd;		/* command channel from the coordinator, -1 in-process */
	int cmd_ready;		/* cmd holds a command not yet run */
	struct bench_cmd cmd;
	double cpu0;		/* own CPU when the shard was ready */
	uint64_t rnd;		/* xorshift state: echo phases */
	int epfd;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct conn *conns;
	uint32_t nconns;
	struct cluster *clusters;
	uint32_t next_start;	/* next conn to start connecting */
	uint32_t pending;	/* handshakes in flight */
	uint32_t active;	/* conns in CONN_ACTIVE */
	uint32_t setup_done;	/* conns with setup_done */
	uint64_t fails[FAIL_COUNT];
	uint64_t server_errors[32];
	int record_echo;	/* steady phase: record echo RTTs */
	int record_first_vote;
	struct phase_stats st;
	PRFileDesc *model;	/* NSS model socket, NULL without TLS */
	uint32_t vote_infos;
	/* echo timer heap */
	struct heap_ent { uint64_t t; uint32_t idx; } *heap;
	size_t heap_n;
};

/* Set by SIGINT/SIGTERM: phases end early, and the run stops. */
extern volatile sig_atomic_t bench_interrupted;

/* time */
uint64_t now_ns(void);

/* samples */
void samples_add(struct samples *s, uint64_t ns);
void samples_sort(struct samples *s);
/* Percentile p (0..100) in ms, after samples_sort; -1 when empty. */
double samples_pct_ms(const struct samples *s, double p);
void samples_free(struct samples *s);
/* Appends n values; 0 or -1 (out of memory). */
int samples_append(struct samples *s, const uint32_t *v, size_t n);

/* bench_run.c: one shard */
/* Allocates the shard's connections (b->o holds the shard's options). 0 or -1. */
int bench_run_setup(struct bench *b);
/*
 * Runs one command on the shard; out's arrays point into b and stay valid
 * until the next command.  CMD_READY only starts the CPU clock.
 */
void bench_run_cmd(struct bench *b, const struct bench_cmd *cmd, struct bench_result *out);
/* Keeps the connections alive until a command arrives on ctl_fd: 0, or -1 at deadline. */
int bench_run_wait_cmd(struct bench *b, struct bench_cmd *cmd, uint64_t deadline);
/* Resets every connection. */
void bench_run_close(struct bench *b);

/* bench_conn.c */
int bench_conn_start(struct bench *b, struct conn *c);
void bench_conn_event(struct bench *b, struct conn *c, uint32_t events);
void bench_conn_kill(struct bench *b, struct conn *c, enum conn_fail why);
/* Stops driving a handshake: no more I/O on it; the socket stays open. */
void bench_conn_freeze(struct bench *b, struct conn *c);
void bench_conn_echo(struct bench *b, struct conn *c);
/* Report membership ids lo..hi with ring (ring_node, ring_seq). */
int bench_conn_report_membership(struct bench *b, struct conn *c, uint32_t lo, uint32_t hi,
    uint32_t ring_node, uint64_t ring_seq);
void bench_heap_push(struct bench *b, uint64_t t, uint32_t idx);
const char *bench_fail_str(enum conn_fail f);
/* Called when a VOTE_INFO arrived for c; checks the cluster's settle state. */
void bench_cluster_vote_changed(struct bench *b, struct conn *c, uint64_t t);

/* bench_tls.c */
int bench_tls_init(struct bench *b);
void bench_tls_fini(struct bench *b);
/* Wraps c->fd in NSS client TLS; 0 or -1. */
int bench_tls_start(struct bench *b, struct conn *c);
/* Drives the handshake: 1 done, 0 would block, -1 failed. */
int bench_tls_handshake(struct conn *c);
/* Like read/write: >0 bytes, 0 EOF (read only), -1 with errno EAGAIN or other. */
ssize_t bench_tls_read(struct conn *c, void *buf, size_t len);
ssize_t bench_tls_write(struct conn *c, const void *buf, size_t len);
void bench_tls_close(struct conn *c);

#endif
