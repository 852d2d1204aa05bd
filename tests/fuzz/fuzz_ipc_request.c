/*
 * fuzz_ipc_request.c - libFuzzer target for the IPC request path: the tokenizer
 * (ipc_lex.c), request parsing and the reply (ipc_cmd.c).
 *
 * The input's first byte picks the reply size limit (so that both "body
 * too big" answers are reached); the rest is the request as the daemon
 * would hold it.  A fixed daemon state with two clusters is built once.
 * Checks, besides the sanitizers:
 *   - the tokenizer always ends, moves forward, and never writes past
 *     the token buffer, whatever its size; a token never holds more
 *     bytes than the input;
 *   - parsing the same request twice gives the same command;
 *   - the reply is "OK\n..." or "Error\n<text>\n" and within the limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cluster.h"
#include "core/instance.h"
#include "control/ipc_cmd.h"
#include "control/ipc_lex.h"
#include "base/settings.h"
#include "codec/wbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_REQUEST 8192
#define FUZZ_CLIENTS 3

static struct qnetd_settings fuzz_settings;
static struct qnetd_instance fuzz_instance;
static struct qnetd_client fuzz_clients[FUZZ_CLIENTS];
static int fuzz_ready;

static void
fuzz_client(struct qnetd_client *c, const char *cluster, uint32_t node_id)
{

	client_state_init(c);
	c->cluster_name = strdup(cluster);
	if (c->cluster_name == NULL)
		abort();
	c->cluster_name_len = strlen(cluster);
	c->node_id = node_id;
	c->state = CLIENT_STATE_INITIALISED;
	c->decision_algorithm = TLV_DECISION_ALGORITHM_FFSPLIT;
	strcpy(c->addr_str, "127.0.0.1:40000");
	if (node_list_add(&c->configuration_node_list, 1, 0, TLV_NODE_STATE_NOT_SET) != 0 ||
	    node_list_add(&c->configuration_node_list, 2, 7, TLV_NODE_STATE_NOT_SET) != 0 ||
	    node_list_add(&c->last_membership_node_list, node_id, 0, TLV_NODE_STATE_NOT_SET) != 0)
		abort();
	c->config_version_set = 1;
	c->config_version = 42;
	client_record_vote(c, TLV_VOTE_ACK);
	if (cluster_registry_add_client(&fuzz_instance.clusters, c) == NULL)
		abort();
}

static void
fuzz_setup(void)
{

	if (fuzz_ready)
		return;
	if (settings_init(&fuzz_settings) != 0 ||
	    cluster_registry_init(&fuzz_instance.clusters) != 0)
		abort();
	fuzz_instance.settings = &fuzz_settings;
	fuzz_client(&fuzz_clients[0], "alpha", 1);
	fuzz_client(&fuzz_clients[1], "alpha", 2);
	fuzz_client(&fuzz_clients[2], "beta \"quoted\"", 1);
	fuzz_instance.client_count = FUZZ_CLIENTS;
	fuzz_ready = 1;
}

/* Tokenize with a token buffer of toksize bytes, guarded by a canary. */
static void
fuzz_lex(const char *req, size_t len, size_t toksize)
{
	struct ipc_lex lex;
	char *tok;
	size_t before, ntok;
	ssize_t n;

	tok = malloc(toksize + 1);
	if (tok == NULL)
		return;
	tok[toksize] = 'Z';
	ipc_lex_init(&lex, req, len);
	for (ntok = 0; ntok <= len + 1; ntok++) {
		before = lex.pos;
		n = ipc_lex_next(&lex, tok, toksize);
		if (tok[toksize] != 'Z' || lex.pos > len || lex.pos < before)
			abort();
		if (n > 0 && (size_t)n > len)
			abort();
		if (n >= 0 && (size_t)n + 1 > toksize)
			abort();
		if (n == 0 || (n < 0 && toksize == 0))
			break;
		/* A token (or an overflow) always consumes input. */
		if (lex.pos == before)
			abort();
	}
	if (ntok > len + 1)
		abort();	/* more tokens than bytes: the lexer does not advance */
	free(tok);
}

static int
fuzz_str_eq(const char *a, const char *b)
{

	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static void
fuzz_check_reply(const struct wbuf *out, size_t max_size)
{

	if (out->len > max_size)
		abort();
	if (out->len >= 3 && memcmp(out->data, "OK\n", 3) == 0)
		return;
	if (out->len < 7 || memcmp(out->data, "Error\n", 6) != 0 ||
	    out->data[out->len - 1] != '\n')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t max_sizes[] = { 1024, 64, 8, 200, 10 * 1024 * 1024, 7, 300, 500 };
	struct ipc_cmd cmd, again;
	struct wbuf out;
	const char *req;
	size_t len, max_size;
	struct ipc_stream *st;
	enum ipc_stream_res res;

	if (size == 0 || size > FUZZ_MAX_REQUEST)
		return (0);
	fuzz_setup();
	max_size = max_sizes[data[0] % (sizeof(max_sizes) / sizeof(max_sizes[0]))];
	req = (const char *)data + 1;
	len = size - 1;

	fuzz_lex(req, len, len + 1);
	fuzz_lex(req, len, 1);
	fuzz_lex(req, len, 4);

	if (ipc_cmd_parse(&cmd, req, len) != 0)
		return (0);
	if (cmd.type == IPC_CMD_UNKNOWN && cmd.word == NULL)
		abort();
	if (cmd.type != IPC_CMD_UNKNOWN && cmd.word != NULL)
		abort();
	if (cmd.type != IPC_CMD_LIST && cmd.type != IPC_CMD_JSON && cmd.cluster_name != NULL)
		abort();
	if (ipc_cmd_parse(&again, req, len) != 0)
		abort();
	if (again.type != cmd.type || again.verbose != cmd.verbose ||
	    !fuzz_str_eq(again.word, cmd.word) || !fuzz_str_eq(again.cluster_name, cmd.cluster_name))
		abort();
	ipc_cmd_destroy(&again);

	/* As the daemon sends it: the start, then each slice of a stream alone within max_size. */
	wbuf_init(&out, max_size + 3);
	if (ipc_cmd_reply_start(&fuzz_instance, &cmd, max_size, &out, &st) == 0) {
		fuzz_check_reply(&out, max_size);
		while (st != NULL) {
			wbuf_reset(&out);
			res = ipc_stream_fill(st, &out);
			if (out.len > max_size)
				abort();
			if (res != IPC_STREAM_MORE) {
				ipc_stream_free(st);
				st = NULL;
			}
		}
	}
	wbuf_destroy(&out);
	ipc_cmd_destroy(&cmd);

	return (0);
}
