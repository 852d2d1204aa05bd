/*
 * ipc_aggregate.c - merge the workers' parts of a tool reply (see
 * ipc_aggregate.h).  The texts come from ipc_cmd.c and status_json.c, so
 * they stay the ones a single process sends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/ipc_aggregate.h"
#include "control/status_json.h"

void
ipc_agg_init(struct ipc_agg *a)
{
	memset(a, 0, sizeof(*a));
}

void
ipc_agg_destroy(struct ipc_agg *a)
{
	size_t i;

	for (i = 0; i < a->nblocks; i++)
		free(a->blocks[i].data);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

int
ipc_agg_add_block(struct ipc_agg *a, uint64_t key, const uint8_t *data, size_t len)
{
	struct ipc_agg_block *b;

	if (a->nblocks == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;

		b = realloc(a->blocks, ncap * sizeof(*b));
		if (b == NULL)
			return (-1);
		a->blocks = b;
		a->cap = ncap;
	}
	b = &a->blocks[a->nblocks];
	b->data = malloc(len > 0 ? len : 1);
	if (b->data == NULL)
		return (-1);
	if (data != NULL)
		memcpy(b->data, data, len);
	/* No data: a cluster too large to send, which no ipc_max_send_size admits. */
	b->len = data != NULL ? len : SIZE_MAX;
	b->key = key;
	a->nblocks++;
	return (0);
}

static int
block_cmp(const void *x, const void *y)
{
	const struct ipc_agg_block *a = x, *b = y;

	return (a->key < b->key ? -1 : a->key > b->key ? 1 : 0);
}

static int
reply_error(struct wbuf *out, size_t max_send, const char *msg)
{
	wbuf_reset(out);
	if (strlen("Error\n") + strlen(msg) + 1 > max_send)
		return (-1);
	wbuf_put(out, "Error\n", 6);
	wbuf_put(out, msg, strlen(msg));
	wbuf_put(out, "\n", 1);
	return (out->failed ? -1 : 0);
}

/* Clusters in creation order; text joined as is, JSON objects with commas. */
static int
reply_list(const struct qnetd_instance *inst, const struct ipc_cmd *cmd, struct ipc_agg *a,
    size_t max_send, struct wbuf *out)
{
	int json = cmd->type == IPC_CMD_JSON;
	const char *fail = json ? "Can't get QNetd status" : "Can't get QNetd cluster list";
	size_t i;

	if (a->nblocks > 1)
		qsort(a->blocks, a->nblocks, sizeof(a->blocks[0]), block_cmp);
	wbuf_put(out, "OK\n", 3);
	if (json)
		status_json_head(inst, (enum status_json_what)cmd->json_what, time(NULL), out);
	for (i = 0; i < a->nblocks; i++) {
		/* An entry longer than ipc_max_send_size (the worker checked each one). */
		if (a->blocks[i].len == SIZE_MAX) {
			if (i == 0)
				return (reply_error(out, max_send, fail));
			/* As the streamed reply: what fitted is sent, then the connection closes. */
			return (0);
		}
		if (json && i > 0)
			wbuf_put(out, ",", 1);
		wbuf_put(out, a->blocks[i].data, a->blocks[i].len);
	}
	if (json)
		status_json_tail((enum status_json_what)cmd->json_what, out);
	return (out->failed ? reply_error(out, max_send, fail) : 0);
}

static int
reply_health(const struct ipc_agg *a, const char *listen_addr, size_t max_send, struct wbuf *out)
{
	char line[512];
	int n;

	if (a->unhealthy)
		return (reply_error(out, max_send, a->why));
	n = snprintf(line, sizeof(line),
	    "OK\nhealthy: listening on %s, %zu clients, %zu clusters\n", listen_addr, a->clients,
	    a->clusters);
	if (n < 0 || (size_t)n >= sizeof(line) || (size_t)n > max_send + 3)
		return (reply_error(out, max_send, "Can't get QNetd status"));
	return (wbuf_put(out, line, (size_t)n));
}

int
ipc_agg_reply(const struct qnetd_instance *instance, const struct ipc_cmd *cmd, struct ipc_agg *a,
    const char *listen_addr, size_t max_send, struct wbuf *out)
{
	struct qnetd_instance view;
	struct ipc_stream *st = NULL;
	int res;

	wbuf_destroy(out);
	wbuf_init(out, SIZE_MAX);
	/* The parent's settings and start time, the workers' counts. */
	memset(&view, 0, sizeof(view));
	view.settings = instance->settings;
	view.started_at = instance->started_at;
	view.shutting_down = instance->shutting_down;
	view.client_count = a->clients;
	view.clusters.count = a->clusters;
	TAILQ_INIT(&view.clusters.clusters);
	TAILQ_INIT(&view.clusters.cursors);
	if (cmd->type == IPC_CMD_HEALTH)
		return (reply_health(a, listen_addr, max_send, out));
	if (ipc_cmd_lists_clusters(cmd))
		return (reply_list(&view, cmd, a, max_send, out));
	/* Status, shutdown, errors: no cluster is walked, the counts are enough. */
	res = ipc_cmd_reply_start(&view, cmd, max_send, out, &st);
	ipc_stream_free(st);
	return (res);
}
