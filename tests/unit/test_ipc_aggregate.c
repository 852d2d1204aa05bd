/*
 * test_ipc_aggregate.c - the parent's tool replies from workers' parts:
 * clusters merged by creation time whichever worker sent them, JSON
 * objects joined by commas, counts added up in -s, a cluster too large
 * for ipc_max_send_size failing the reply as the streamed list does, and
 * the health line.
 */
#include <string.h>

#include "check.h"
#include "control/ipc_aggregate.h"

static const char *
reply(struct qnetd_instance *inst, const char *req, struct ipc_agg *a, size_t max, struct wbuf *out)
{
	struct ipc_cmd cmd;

	CHECK_EQ(ipc_cmd_parse(&cmd, req, strlen(req)), 0);
	CHECK_EQ(ipc_agg_reply(inst, &cmd, a, "*:5403", max, out), 0);
	ipc_cmd_destroy(&cmd);
	CHECK_EQ(wbuf_put(out, "", 1), 0); /* NUL for the string compares */
	return ((const char *)out->data);
}

static void
blocks(struct ipc_agg *a, const char *b2, const char *b1, const char *b3)
{
	ipc_agg_init(a);
	a->clients = 5;
	a->clusters = 3;
	/* as two workers send them: not in creation order */
	CHECK_EQ(ipc_agg_add_block(a, 20, (const uint8_t *)b2, strlen(b2)), 0);
	CHECK_EQ(ipc_agg_add_block(a, 10, (const uint8_t *)b1, strlen(b1)), 0);
	CHECK_EQ(ipc_agg_add_block(a, 30, (const uint8_t *)b3, strlen(b3)), 0);
}

int
main(void)
{
	struct qnetd_settings s;
	struct qnetd_instance inst;
	struct ipc_agg a;
	struct wbuf out;

	CHECK_EQ(settings_init(&s), 0);
	s.tls = TLV_TLS_UNSUPPORTED;
	memset(&inst, 0, sizeof(inst));
	inst.settings = &s;
	wbuf_init(&out, 0);

	blocks(&a, "Cluster \"two\":\n", "Cluster \"one\":\n", "Cluster \"three\":\n");
	CHECK(strcmp(reply(&inst, "list\n", &a, 4096, &out),
	          "OK\nCluster \"one\":\nCluster \"two\":\nCluster \"three\":\n") == 0);
	CHECK(strstr(reply(&inst, "status\n", &a, 4096, &out),
	          "Connected clients:\t\t5\nConnected clusters:\t\t3\n") != NULL);
	CHECK(strcmp(reply(&inst, "health\n", &a, 4096, &out),
	          "OK\nhealthy: listening on *:5403, 5 clients, 3 clusters\n") == 0);
	a.unhealthy = 1;
	snprintf(a.why, sizeof(a.why), "worker 1 is restarting");
	CHECK(strcmp(reply(&inst, "health\n", &a, 4096, &out), "Error\nworker 1 is restarting\n") ==
	    0);
	ipc_agg_destroy(&a);

	/* No cluster anywhere: an empty list. */
	ipc_agg_init(&a);
	CHECK(strcmp(reply(&inst, "list\n", &a, 4096, &out), "OK\n") == 0);
	CHECK(strstr(reply(&inst, "json list\n", &a, 4096, &out), "\"clusters\":[]}\n") != NULL);
	ipc_agg_destroy(&a);

	blocks(&a, "{\"b\":2}", "{\"a\":1}", "{\"c\":3}");
	CHECK(strstr(reply(&inst, "json list\n", &a, 4096, &out),
	          "\"clusters\":[{\"a\":1},{\"b\":2},{\"c\":3}]}\n") != NULL);
	ipc_agg_destroy(&a);

	/* A cluster larger than ipc_max_send_size is listed: only each entry is bounded. */
	blocks(&a, "Cluster \"two\":\n", "Cluster \"one\" with a head longer than forty bytes:\n",
	    "x");
	CHECK(strstr(reply(&inst, "list\n", &a, 40, &out), "longer than forty") != NULL);
	/* The first cluster has an entry too long to send: the list's error reply. */
	CHECK_EQ(ipc_agg_add_block(&a, 1, NULL, 0), 0);
	CHECK(strcmp(reply(&inst, "list\n", &a, 40, &out),
	          "Error\nCan't get QNetd cluster list\n") == 0);
	/* A later one: what came before it is sent, then the connection closes. */
	a.blocks[0].key = 25;
	CHECK(strcmp(reply(&inst, "list\n", &a, 40, &out),
	          "OK\nCluster \"one\" with a head longer than forty bytes:\nCluster \"two\":\n") ==
	    0);
	ipc_agg_destroy(&a);

	wbuf_destroy(&out);
	settings_destroy(&s);
	return (check_exit("test_ipc_aggregate"));
}
