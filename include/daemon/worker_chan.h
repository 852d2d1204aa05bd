/*
 * worker_chan.h - the channel between the parent and one worker process
 * (docs/workers.md): a SOCK_SEQPACKET socketpair, one record per
 * message, a descriptor passed with SCM_RIGHTS where the type says so.
 */
#ifndef QNETD_WORKER_CHAN_H
#define QNETD_WORKER_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/client.h"

/*
 * The environment variable through which the parent starts a worker:
 * "index:count:fd:k0:k1" (fd: the worker's end of its channel; k0, k1:
 * the routing key, 16 hex digits each).
 */
#define WORKER_ENV "QNETD_WORKER"

enum wchan_type {
	WCHAN_ADOPT = 1, /* parent -> worker, fd: a client; payload: bytes already read */
	WCHAN_REROUTE,   /* worker -> parent, fd: a client whose PREINIT names another
			    worker's cluster; payload: that PREINIT */
	WCHAN_QUERY,     /* parent -> worker: struct wchan_query + cluster name (seq: query id) */
	WCHAN_COUNTS,    /* worker -> parent: struct wchan_counts (arg: query id, or 0 when
			    sent unasked) */
	WCHAN_BLOCK,     /* worker -> parent: one cluster of a listing (arg: query id; seq: its
			    order key; connected_at -1: the cluster was too large to send) */
	WCHAN_END,       /* worker -> parent: the reply to query arg is complete */
	WCHAN_METRICS,   /* worker -> parent: a slice of its metrics text (arg: query id) */
};

/* A tool request as the parent parsed it (ipc_cmd.h), for the workers. */
struct wchan_query {
	uint32_t type; /* enum ipc_cmd_type; IPC_CMD_NONE with WCHAN_ARG_METRICS: metrics */
	uint32_t verbose;
	int32_t json_what;
	uint32_t name_len;  /* bytes of cluster name after this struct; 0: every cluster */
	uint32_t max_entry; /* ipc_max_send_size: the longest one entry of a listing may be */
};

/* ADOPT arg: the client was given back by a worker (already counted as accepted). */
#define WCHAN_ARG_REROUTED 1u
/* QUERY arg: send the metrics text instead of answering an IPC request. */
#define WCHAN_ARG_METRICS 2u

struct wchan_hdr {
	uint32_t type;
	uint32_t arg;
	uint64_t seq;
	int64_t connected_at;
	char addr[CLIENT_ADDR_STR_LEN];
};

/* What a worker holds; sent on a query and when its client count changes. */
struct wchan_counts {
	uint64_t clients; /* connections, initialised or not */
	uint64_t clusters;
	uint64_t adopted; /* ADOPT messages taken since the worker started */
	uint32_t healthy; /* 1: TLS ready (when on) and not shutting down */
	char why[160];    /* the reason when not healthy */
};

/* Largest payload of one record (a cluster listing, a PREINIT). */
#define WCHAN_MAX_PAYLOAD (1024 * 1024)

/*
 * Send one record; fd >= 0 is passed along (the caller keeps its own
 * copy).  flags: MSG_DONTWAIT or 0.  0, or -1 with errno (EAGAIN when the
 * channel is full and MSG_DONTWAIT was given).
 */
int wchan_send(int chan, const struct wchan_hdr *h, const void *payload, size_t len, int fd,
    int flags);

/*
 * Receive one record without blocking into h and buf (cap bytes).  Sets
 * *fd to a passed descriptor (the caller owns it) or -1.  Returns the
 * payload length, -2 when nothing is waiting, 0 with h->type 0 at end of
 * file, -1 on an error or a malformed record (errno; any descriptor that
 * came with it is closed).
 */
ssize_t wchan_recv(int chan, struct wchan_hdr *h, uint8_t *buf, size_t cap, int *fd);

/* A connected pair, both ends close-on-exec, large send buffers.  0 or -1. */
int wchan_pair(int sv[2]);

#endif
