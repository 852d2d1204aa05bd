/*
 * fuzz_ipc.c - libFuzzer target: any bytes as an IPC request, parsed and
 * answered against a small daemon state, under a fuzzed reply limit.
 * Checks the reply is always "OK\n..." or "Error\n...\n", within the limit
 * (upstream counts "OK\n" in it); a streamed list, slice by slice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cluster.h"
#include "core/instance.h"
#include "control/ipc_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct qnetd_settings settings;
static struct qnetd_instance inst;
static struct qnetd_cluster cluster;
static struct qnetd_client clients[2];
static struct node_info nodes[] = { { 1, 5, 0 }, { 2, 0, 0 } };

static void
setup(void)
{
	size_t i;

	settings.port = 5403;
	settings.tls = TLV_TLS_SUPPORTED;
	settings.tls_client_cert_required = 1;
	settings.max_client_send_size = 32768;
	settings.max_client_receive_size = 32768;
	inst.settings = &settings;
	TAILQ_INIT(&inst.clusters.clusters);
	TAILQ_INIT(&inst.clusters.cursors);
	cluster.name = strdup("fuzz\"cl");
	cluster.name_len = strlen(cluster.name);
	TAILQ_INIT(&cluster.clients);
	TAILQ_INSERT_TAIL(&inst.clusters.clusters, &cluster, entries);
	inst.clusters.count = 1;
	for (i = 0; i < 2; i++) {
		struct qnetd_client *c = &clients[i];

		strcpy(c->addr_str, "127.0.0.1:1234");
		c->node_id = (uint32_t)i + 1;
		c->decision_algorithm = TLV_DECISION_ALGORITHM_FFSPLIT;
		c->tie_breaker.mode = TLV_TIE_BREAKER_MODE_LOWEST;
		c->configuration_node_list.nodes = nodes;
		c->configuration_node_list.count = 2;
		c->last_membership_node_list.nodes = nodes;
		c->last_membership_node_list.count = 2;
		c->last_sent_vote = TLV_VOTE_ACK;
		c->last_sent_ack_nack_vote = TLV_VOTE_ACK;
		TAILQ_INSERT_TAIL(&cluster.clients, c, cluster_entries);
	}
	inst.client_count = 2;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct ipc_cmd cmd;
	struct wbuf wb;
	struct ipc_stream *st;
	enum ipc_stream_res res;
	size_t max;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size < 2)
		return 0;
	/* First two bytes: the reply limit (ipc_max_send_size), small enough to hit. */
	max = ((size_t)data[0] << 8 | data[1]) % 2048;
	data += 2;
	size -= 2;

	if (ipc_cmd_parse(&cmd, (const char *)data, size) != 0)
		return 0;
	wbuf_init(&wb, 0);
	if (ipc_cmd_reply_start(&inst, &cmd, max, &wb, &st) == 0) {
		if (wb.len < 3 || wb.len > max)
			abort();
		if (memcmp(wb.data, "OK\n", 3) != 0 &&
		    (wb.len < 7 || memcmp(wb.data, "Error\n", 6) != 0 ||
		    wb.data[wb.len - 1] != '\n'))
			abort();
		/* A streamed reply: every slice within the limit too. */
		while (st != NULL) {
			wbuf_reset(&wb);
			res = ipc_stream_fill(st, &wb);
			if (wb.len > max)
				abort();
			if (res != IPC_STREAM_MORE) {
				ipc_stream_free(st);
				st = NULL;
			}
		}
	}
	wbuf_destroy(&wb);
	ipc_cmd_destroy(&cmd);
	return 0;
}
