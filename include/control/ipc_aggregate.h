/*
 * ipc_aggregate.h - one reply to corosync-qnetd-tool from the parts that
 * several worker processes sent (docs/workers.md): counts added up, the
 * clusters of a listing merged into the order one process lists them in
 * (cluster creation order, by a clock all processes share).  Pure.
 */
#ifndef QNETD_IPC_AGGREGATE_H
#define QNETD_IPC_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "codec/wbuf.h"
#include "control/ipc_cmd.h"
#include "core/instance.h"

struct ipc_agg_block {
	uint64_t key; /* the cluster's creation time */
	uint8_t *data;
	size_t len;
};

struct ipc_agg {
	size_t clients;
	size_t clusters;
	int unhealthy; /* some part is not serving; why says what */
	char why[256];
	struct ipc_agg_block *blocks;
	size_t nblocks, cap;
};

void ipc_agg_init(struct ipc_agg *a);
void ipc_agg_destroy(struct ipc_agg *a);

/*
 * Keep one cluster's formatted listing (copied); data NULL: the cluster
 * was too large to send (it then fails the reply as too large for
 * ipc_max_send_size).  0, or -1 on out of memory.
 */
int ipc_agg_add_block(struct ipc_agg *a, uint64_t key, const uint8_t *data, size_t len);

/*
 * The whole reply to cmd in out (re-initialised, no limit), formatted as
 * one daemon with instance's settings and start time would answer it,
 * with a's counts and clusters; listen_addr for the health line.
 * max_send: ipc_max_send_size; a cluster the worker could not send (an
 * entry longer than that) ends the listing as the streamed reply does (the
 * first one gives the error reply).  0, or -1 when not even an error fits.
 */
int ipc_agg_reply(const struct qnetd_instance *instance, const struct ipc_cmd *cmd,
    struct ipc_agg *a, const char *listen_addr, size_t max_send, struct wbuf *out);

#endif
