/*
 * ipc_cmd.c - parse IPC requests and format the status and list replies.
 *
 * The texts are a frozen contract (pcs, crmsh and the resource agent
 * parse them with regular expressions), so the strings for enumerated
 * values live here rather than being shared with the log messages, and
 * every line follows Debian's corosync-qnetd 3.0.3 (protocol.md 5.3).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "control/health.h"
#include "control/ipc_cmd.h"
#include "control/ipc_lex.h"
#include "control/status_json.h"
#include "core/cluster.h"
#include "core/cluster_cursor.h"

static const char *
tls_str(enum tlv_tls_supported tls)
{

	switch (tls) {
	case TLV_TLS_UNSUPPORTED:
		return ("Unsupported");
	case TLV_TLS_SUPPORTED:
		return ("Supported");
	case TLV_TLS_REQUIRED:
		return ("Required");
	}

	return ("Unhandled tls supported state");
}

/* The tool's text: the codec's, except for a vote never sent (as upstream's tool). */
static const char *
vote_str(enum tlv_vote vote)
{
	if (vote == TLV_VOTE_UNDEFINED)
		return ("Unknown vote value");
	return (tlv_vote_to_str(vote));
}

/* ---------------------------------------------------------------- parse */

/* The list arguments: "verbose", "cluster NAME"; anything else ends them. */
static int
parse_list_args(struct ipc_cmd *cmd, struct ipc_lex *lex, char *tok, size_t toksize)
{

	for (;;) {
		if (ipc_lex_next(lex, tok, toksize) < 0 || tok[0] == '\0')
			return (0);
		if (strcasecmp(tok, "verbose") == 0) {
			cmd->verbose = 1;
		} else if (strcasecmp(tok, "cluster") == 0) {
			if (ipc_lex_next(lex, tok, toksize) < 0)
				tok[0] = '\0';
			free(cmd->cluster_name);
			cmd->cluster_name = strdup(tok);
			if (cmd->cluster_name == NULL)
				return (-1);
		} else {
			return (0);
		}
	}
}

/* "json [status|list|all]" then the list arguments. */
static int
parse_json_args(struct ipc_cmd *cmd, struct ipc_lex *lex, char *tok, size_t toksize)
{
	struct ipc_lex save = *lex;

	cmd->json_what = STATUS_JSON_ALL;
	if (ipc_lex_next(lex, tok, toksize) < 0 || tok[0] == '\0')
		return (0);
	if (strcasecmp(tok, "status") == 0)
		cmd->json_what = STATUS_JSON_STATUS;
	else if (strcasecmp(tok, "list") == 0)
		cmd->json_what = STATUS_JSON_LIST;
	else if (strcasecmp(tok, "all") != 0)
		*lex = save; /* not a selector: let the list arguments see it */

	return (parse_list_args(cmd, lex, tok, toksize));
}

int
ipc_cmd_parse(struct ipc_cmd *cmd, const char *req, size_t len)
{
	struct ipc_lex lex;
	char *tok;
	size_t toksize;
	int res;

	memset(cmd, 0, sizeof(*cmd));
	cmd->type = IPC_CMD_NONE;

	/* A token is never longer than the request, so this never truncates. */
	toksize = len + 1;
	tok = malloc(toksize);
	if (tok == NULL)
		return (-1);

	res = 0;
	ipc_lex_init(&lex, req, len);
	if (ipc_lex_next(&lex, tok, toksize) < 0 || tok[0] == '\0')
		goto out;

	if (strcasecmp(tok, "shutdown") == 0) {
		cmd->type = IPC_CMD_SHUTDOWN;
	} else if (strcasecmp(tok, "status") == 0) {
		cmd->type = IPC_CMD_STATUS;
		/* Only the word right after "status" counts. */
		if (ipc_lex_next(&lex, tok, toksize) >= 0 && strcasecmp(tok, "verbose") == 0)
			cmd->verbose = 1;
	} else if (strcasecmp(tok, "list") == 0) {
		cmd->type = IPC_CMD_LIST;
		res = parse_list_args(cmd, &lex, tok, toksize);
	} else if (strcasecmp(tok, "json") == 0) {
		cmd->type = IPC_CMD_JSON;
		res = parse_json_args(cmd, &lex, tok, toksize);
	} else if (strcasecmp(tok, "health") == 0) {
		cmd->type = IPC_CMD_HEALTH;
	} else {
		cmd->type = IPC_CMD_UNKNOWN;
		cmd->word = strdup(tok);
		if (cmd->word == NULL)
			res = -1;
	}

out:
	free(tok);
	if (res != 0) {
		ipc_cmd_destroy(cmd);
		return (-1);
	}

	return (0);
}

void
ipc_cmd_destroy(struct ipc_cmd *cmd)
{

	free(cmd->cluster_name);
	free(cmd->word);
	memset(cmd, 0, sizeof(*cmd));
	cmd->type = IPC_CMD_NONE;
}

/* ---------------------------------------------------------------- status */

int
ipc_cmd_status(const struct qnetd_instance *instance, int verbose, struct wbuf *out)
{
	const struct qnetd_settings *s = instance->settings;
	int cert_required;

	cert_required = (s->tls != TLV_TLS_UNSUPPORTED && s->tls_client_cert_required);
	wbuf_printf(out, "QNetd address:\t\t\t%s:%u\n",
	    s->listen_addr != NULL ? s->listen_addr : "*", (unsigned)s->port);
	wbuf_printf(out, "TLS:\t\t\t\t%s%s\n", tls_str(s->tls),
	    cert_required ? " (client certificate required)" : "");
	wbuf_printf(out, "Connected clients:\t\t%zu\n", instance->client_count);
	wbuf_printf(out, "Connected clusters:\t\t%zu\n", instance->clusters.count);
	if (verbose) {
		if (s->max_clients != 0)
			wbuf_printf(out, "Maximum allowed clients:\t%u\n",
			    (unsigned)s->max_clients);
		wbuf_printf(out, "Maximum send/receive size:\t%u/%u bytes\n",
		    (unsigned)s->max_client_send_size, (unsigned)s->max_client_receive_size);
	}

	return (out->failed ? -1 : 0);
}

/* ---------------------------------------------------------------- list */

/* "1 (5), 2, 3": node ids in list order, data centre in brackets when set. */
static void
put_node_list(struct wbuf *out, const char *title, const struct node_list *nl)
{
	size_t i;

	wbuf_printf(out, "        %s:\t", title);
	for (i = 0; i < nl->count; i++) {
		if (i != 0)
			wbuf_printf(out, ", ");
		wbuf_printf(out, "%u", (unsigned)nl->nodes[i].node_id);
		if (nl->nodes[i].data_center_id != 0)
			wbuf_printf(out, " (%u)", (unsigned)nl->nodes[i].data_center_id);
	}
	wbuf_printf(out, "\n");
}

static void
put_tie_breaker(struct wbuf *out, const struct tlv_tie_breaker *tb)
{

	wbuf_printf(out, "    Tie-breaker:\t");
	switch (tb->mode) {
	case TLV_TIE_BREAKER_MODE_LOWEST:
		wbuf_printf(out, "Node with lowest node ID");
		break;
	case TLV_TIE_BREAKER_MODE_HIGHEST:
		wbuf_printf(out, "Node with highest node ID");
		break;
	case TLV_TIE_BREAKER_MODE_NODE_ID:
		wbuf_printf(out, "Node with node ID %u", (unsigned)tb->node_id);
		break;
	}
	wbuf_printf(out, "\n");
}

static void
put_heuristics(struct wbuf *out, const struct qnetd_client *c, int verbose)
{

	if (c->last_heuristics == TLV_HEURISTICS_UNDEFINED && !verbose)
		return;
	wbuf_printf(out, "        Heuristics:\t\t%s", tlv_heuristics_to_str(c->last_heuristics));
	if (verbose)
		wbuf_printf(out, " (membership: %s, regular: %s)",
		    tlv_heuristics_to_str(c->last_membership_heuristics),
		    tlv_heuristics_to_str(c->last_regular_heuristics));
	wbuf_printf(out, "\n");
}

static void
put_client(struct wbuf *out, const struct qnetd_client *c, int verbose)
{

	wbuf_printf(out, "    Node ID %u:\n", (unsigned)c->node_id);
	wbuf_printf(out, "        Client address:\t\t%s\n", c->addr_str);
	if (verbose)
		wbuf_printf(out, "        HB interval:\t\t%ums\n", (unsigned)c->heartbeat_interval);
	if (c->config_version_set)
		wbuf_printf(out, "        Configuration version:\t%llu\n",
		    (unsigned long long)c->config_version);
	if (c->configuration_node_list.count != 0)
		put_node_list(out, "Configured node list", &c->configuration_node_list);
	if (verbose)
		wbuf_printf(out, "        Ring ID:\t\t%x.%llx\n", (unsigned)c->last_ring_id.node_id,
		    (unsigned long long)c->last_ring_id.seq);
	if (c->last_membership_node_list.count != 0)
		put_node_list(out, "Membership node list", &c->last_membership_node_list);
	put_heuristics(out, c, verbose);
	if (verbose)
		wbuf_printf(out, "        TLS active:\t\t%s%s\n", c->tls_started ? "Yes" : "No",
		    (c->tls_started && c->tls_peer_certificate_verified)
		        ? " (client certificate verified)"
		        : "");
	/* A vote is shown once one was sent; the last ACK/NACK once there was one. */
	if (c->last_sent_vote != TLV_VOTE_UNDEFINED) {
		wbuf_printf(out, "        Vote:\t\t\t%s", vote_str(c->last_sent_vote));
		if (c->last_sent_ack_nack_vote != TLV_VOTE_UNDEFINED)
			wbuf_printf(out, " (%s)", vote_str(c->last_sent_ack_nack_vote));
		wbuf_printf(out, "\n");
	}
}

/* Keep-active-partition tie-breaker: shown only when every client is ffsplit with it on. */
static int
cluster_kap_active(const struct qnetd_cluster *cluster)
{
	const struct qnetd_client *c;

	TAILQ_FOREACH(c, &cluster->clients, cluster_entries) {
		if (c->decision_algorithm != TLV_DECISION_ALGORITHM_FFSPLIT ||
		    c->keep_active_partition_tie_breaker != TLV_KAP_TIE_BREAKER_ENABLED)
			return (0);
	}

	return (1);
}

/* The cluster's lines before its clients'. */
static void
put_cluster_head(struct wbuf *out, const struct qnetd_cluster *cluster)
{
	const struct qnetd_client *first;

	wbuf_printf(out, "Cluster \"%s\":\n", cluster->name);
	/* Algorithm and tie-breaker are the same for every client (INIT checks it). */
	first = TAILQ_FIRST(&cluster->clients);
	if (first != NULL) {
		wbuf_printf(out, "    Algorithm:\t\t%s%s\n",
		    tlv_decision_algorithm_to_str(first->decision_algorithm),
		    cluster_kap_active(cluster) ? " (KAP Tie-breaker)" : "");
		put_tie_breaker(out, &first->tie_breaker);
	}
}

/* As upstream: C-string comparison, exact case, NULL or "" means all. */
static int
cluster_selected(const struct qnetd_cluster *cluster, const char *cluster_name)
{

	return (cluster_name == NULL || cluster_name[0] == '\0' ||
	    strcmp(cluster_name, cluster->name) == 0);
}

int
ipc_cmd_list(const struct qnetd_instance *instance, int verbose, const char *cluster_name,
    struct wbuf *out)
{
	const struct qnetd_cluster *cluster;
	const struct qnetd_client *c;

	TAILQ_FOREACH(cluster, &instance->clusters.clusters, entries) {
		if (!cluster_selected(cluster, cluster_name))
			continue;
		put_cluster_head(out, cluster);
		TAILQ_FOREACH(c, &cluster->clients, cluster_entries)
			put_client(out, c, verbose);
		if (out->failed)
			return (-1);
	}

	return (out->failed ? -1 : 0);
}

/* ---------------------------------------------------------------- stream */

/*
 * A list reply in slices.  The cursor stands on the next item to format;
 * an item is formatted whole or not at all (a failed one is rewound and
 * retried in the next slice, into an empty buffer), so the cursor only
 * moves past what is in the buffer.
 */
struct ipc_stream;

struct ipc_stream_fmt {
	void (*cluster)(struct wbuf *out, const struct ipc_stream *st,
	    const struct qnetd_cluster *cluster);
	void (*client)(struct wbuf *out, const struct ipc_stream *st,
	    const struct qnetd_client *client);
	void (*cluster_end)(struct wbuf *out, const struct ipc_stream *st);
	void (*tail)(struct wbuf *out, const struct ipc_stream *st);
	const char *fail_msg; /* the error when not even the start fits */
};

struct ipc_stream {
	const struct ipc_stream_fmt *fmt;
	struct cluster_cursor cur;
	size_t max_size; /* bytes in the buffer at most */
	int verbose;
	enum status_json_what json_what;
	char *cluster_name; /* owned; NULL: every cluster */
	size_t nclusters;   /* clusters started so far */
	size_t nclients;    /* clients of the current cluster so far */
};

static void
text_cluster(struct wbuf *out, const struct ipc_stream *st, const struct qnetd_cluster *cluster)
{

	(void)st;
	put_cluster_head(out, cluster);
}

static void
text_client(struct wbuf *out, const struct ipc_stream *st, const struct qnetd_client *client)
{

	put_client(out, client, st->verbose);
}

static void
text_nothing(struct wbuf *out, const struct ipc_stream *st)
{

	(void)out;
	(void)st;
}

static const struct ipc_stream_fmt text_fmt = {
	text_cluster,
	text_client,
	text_nothing,
	text_nothing,
	"Can't get QNetd cluster list",
};

static void
json_cluster(struct wbuf *out, const struct ipc_stream *st, const struct qnetd_cluster *cluster)
{

	status_json_cluster_start(out, cluster, st->nclusters == 0);
}

static void
json_client(struct wbuf *out, const struct ipc_stream *st, const struct qnetd_client *client)
{

	status_json_client(out, client, st->nclients == 0);
}

static void
json_cluster_end(struct wbuf *out, const struct ipc_stream *st)
{

	(void)st;
	status_json_cluster_end(out);
}

static void
json_tail(struct wbuf *out, const struct ipc_stream *st)
{

	status_json_tail(st->json_what, out);
}

static const struct ipc_stream_fmt json_fmt = {
	json_cluster,
	json_client,
	json_cluster_end,
	json_tail,
	"Can't get QNetd status",
};

void
ipc_stream_free(struct ipc_stream *st)
{

	if (st == NULL)
		return;
	cluster_cursor_destroy(&st->cur);
	free(st->cluster_name);
	free(st);
}

enum ipc_stream_res
ipc_stream_fill(struct ipc_stream *st, struct wbuf *out)
{
	struct qnetd_cluster *cluster;
	struct qnetd_client *client;
	enum cluster_cursor_item item;
	size_t start, mark, target, steps;

	start = out->len;
	target = st->max_size < IPC_STREAM_SLICE_BYTES ? st->max_size : IPC_STREAM_SLICE_BYTES;
	for (steps = 0; steps < IPC_STREAM_SLICE_STEPS; steps++) {
		/* At least one item per slice, so that a slice always makes progress. */
		if (out->len > start && out->len >= target)
			break;
		mark = out->len;
		item = cluster_cursor_peek(&st->cur, &cluster, &client);
		switch (item) {
		case CLUSTER_CURSOR_DONE:
			st->fmt->tail(out, st);
			break;
		case CLUSTER_CURSOR_CLUSTER:
			if (!cluster_selected(cluster, st->cluster_name)) {
				cluster_cursor_skip_cluster(&st->cur);
				continue;
			}
			st->fmt->cluster(out, st, cluster);
			break;
		case CLUSTER_CURSOR_CLIENT:
			st->fmt->client(out, st, client);
			break;
		case CLUSTER_CURSOR_CLUSTER_END:
			st->fmt->cluster_end(out, st);
			break;
		}
		if (out->failed || out->len > st->max_size) {
			wbuf_rewind(out, mark);
			return (mark == start ? IPC_STREAM_FAILED : IPC_STREAM_MORE);
		}
		switch (item) {
		case CLUSTER_CURSOR_DONE:
			cluster_cursor_destroy(&st->cur);
			return (IPC_STREAM_DONE);
		case CLUSTER_CURSOR_CLUSTER:
			st->nclusters++;
			st->nclients = 0;
			break;
		case CLUSTER_CURSOR_CLIENT:
			st->nclients++;
			break;
		case CLUSTER_CURSOR_CLUSTER_END:
			break;
		}
		cluster_cursor_advance(&st->cur);
	}

	return (IPC_STREAM_MORE);
}

static struct ipc_stream *
stream_new(struct qnetd_instance *instance, const struct ipc_cmd *cmd, size_t max_size)
{
	struct ipc_stream *st;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return (NULL);
	if (cmd->cluster_name != NULL && cmd->cluster_name[0] != '\0') {
		st->cluster_name = strdup(cmd->cluster_name);
		if (st->cluster_name == NULL) {
			free(st);
			return (NULL);
		}
	}
	st->fmt = cmd->type == IPC_CMD_JSON ? &json_fmt : &text_fmt;
	st->max_size = max_size;
	st->verbose = cmd->verbose;
	st->json_what = (enum status_json_what)cmd->json_what;
	cluster_cursor_init(&st->cur, &instance->clusters);

	return (st);
}

/* ---------------------------------------------------------------- reply */

/* "Error\n<msg>\n", if it fits in max_size.  0 or -1. */
static int
reply_error(struct wbuf *out, size_t max_size, const char *msg, const char *arg)
{
	size_t len;

	wbuf_reset(out);
	len = strlen("Error\n") + strlen(msg) + 1;
	if (arg != NULL)
		len += strlen(arg) + strlen("''");
	if (len > max_size)
		return (-1);
	if (arg != NULL)
		wbuf_printf(out, "Error\n%s'%s'\n", msg, arg);
	else
		wbuf_printf(out, "Error\n%s\n", msg);

	return (out->failed ? -1 : 0);
}

/* "OK\n<facts>" when the daemon serves, else "Error\n<reason>\n". */
static int
reply_health(const struct qnetd_instance *instance, size_t max_size, struct wbuf *out)
{
	char why[256];

	if (health_check(instance, why, sizeof(why)) != 0)
		return (reply_error(out, max_size, why, NULL));
	wbuf_printf(out, "%s\n", why);
	health_warnings_text(instance, time(NULL), out);

	return (out->failed ? -1 : 0);
}

/* Every reply but the streamed ones, in one buffer. */
static int
reply_whole(const struct qnetd_instance *instance, const struct ipc_cmd *cmd, size_t max_size,
    struct wbuf *out)
{
	const char *fail_msg;
	size_t body;
	int res;

	/* Room for "OK\n" on top of a body of max_size, to tell the two failures apart. */
	wbuf_destroy(out);
	wbuf_init(out, max_size + 3);
	wbuf_put(out, "OK\n", 3);

	switch (cmd->type) {
	case IPC_CMD_NONE:
		return (reply_error(out, max_size, "No command specified", NULL));
	case IPC_CMD_UNKNOWN:
		return (reply_error(out, max_size, "Unknown command ",
		    cmd->word != NULL ? cmd->word : ""));
	case IPC_CMD_SHUTDOWN:
		/* Empty body: only "OK\n" has to fit. */
		if (max_size < 3)
			return (reply_error(out, max_size, "Internal IPC buffer too small", NULL));
		return (out->failed ? -1 : 0);
	case IPC_CMD_STATUS:
		fail_msg = "Can't get QNetd status";
		res = ipc_cmd_status(instance, cmd->verbose, out);
		break;
	case IPC_CMD_JSON:
		/* "json status": no clusters, not streamed. */
		fail_msg = "Can't get QNetd status";
		res = status_json(instance, cmd->json_what, cmd->cluster_name, time(NULL), out);
		break;
	case IPC_CMD_HEALTH:
		return (reply_health(instance, max_size, out));
	default:
		return (-1);
	}

	/*
	 * Upstream formats the body into a buffer of max_size bytes that
	 * must keep room for a NUL, then prepends "OK\n".
	 */
	body = out->len - 3;
	if (res != 0 || body + 1 > max_size)
		return (reply_error(out, max_size, fail_msg, NULL));
	if (body + 3 > max_size)
		return (reply_error(out, max_size, "Internal IPC buffer too small", NULL));

	return (0);
}

/* Lists are streamed: text, and JSON that holds the clusters. */
static int
reply_is_streamed(const struct ipc_cmd *cmd)
{

	return (cmd->type == IPC_CMD_LIST ||
	    (cmd->type == IPC_CMD_JSON && (cmd->json_what & STATUS_JSON_LIST) != 0));
}

int
ipc_cmd_lists_clusters(const struct ipc_cmd *cmd)
{

	return (reply_is_streamed(cmd));
}

int
ipc_cmd_cluster_selected(const struct ipc_cmd *cmd, const struct qnetd_cluster *cluster)
{

	return (cluster_selected(cluster, cmd->cluster_name));
}

int
ipc_cmd_format_cluster(const struct ipc_cmd *cmd, const struct qnetd_cluster *cluster,
    size_t max_entry, struct wbuf *out)
{
	const struct qnetd_client *c;
	size_t mark = out->len;
	int first = 1;

	if (cmd->type == IPC_CMD_JSON)
		status_json_cluster_start(out, cluster, 1);
	else
		put_cluster_head(out, cluster);
	TAILQ_FOREACH(c, &cluster->clients, cluster_entries) {
		if (max_entry != 0 && out->len - mark > max_entry)
			return (-1);
		mark = out->len;
		if (cmd->type == IPC_CMD_JSON)
			status_json_client(out, c, first);
		else
			put_client(out, c, cmd->verbose);
		first = 0;
	}
	if (max_entry != 0 && out->len - mark > max_entry)
		return (-1);
	if (cmd->type == IPC_CMD_JSON)
		status_json_cluster_end(out);

	return (out->failed ? -1 : 0);
}

int
ipc_cmd_reply_start(struct qnetd_instance *instance, const struct ipc_cmd *cmd, size_t max_size,
    struct wbuf *out, struct ipc_stream **streamp)
{
	struct ipc_stream *st;
	const char *fail_msg;

	*streamp = NULL;
	if (!reply_is_streamed(cmd))
		return (reply_whole(instance, cmd, max_size, out));

	wbuf_destroy(out);
	wbuf_init(out, max_size + 3);
	fail_msg = cmd->type == IPC_CMD_JSON ? json_fmt.fail_msg : text_fmt.fail_msg;
	st = stream_new(instance, cmd, max_size);
	if (st == NULL)
		return (reply_error(out, max_size, fail_msg, NULL));
	wbuf_put(out, "OK\n", 3);
	if (cmd->type == IPC_CMD_JSON)
		status_json_head(instance, st->json_what, time(NULL), out);
	if (out->failed || out->len > max_size) {
		ipc_stream_free(st);
		return (reply_error(out, max_size, fail_msg, NULL));
	}

	switch (ipc_stream_fill(st, out)) {
	case IPC_STREAM_MORE:
		*streamp = st;
		return (0);
	case IPC_STREAM_DONE:
		ipc_stream_free(st);
		return (0);
	case IPC_STREAM_FAILED:
		break;
	}
	/* Not even the first entry fits: nothing was sent, upstream's error still can be. */
	ipc_stream_free(st);
	return (reply_error(out, max_size, fail_msg, NULL));
}

int
ipc_cmd_reply(struct qnetd_instance *instance, const struct ipc_cmd *cmd, size_t max_size,
    struct wbuf *out)
{
	struct ipc_stream *st;
	struct wbuf slice;
	enum ipc_stream_res res;

	if (ipc_cmd_reply_start(instance, cmd, max_size, out, &st) != 0)
		return (-1);
	if (st == NULL)
		return (0);

	/* Only each slice is bounded by max_size, not the whole. */
	out->limit = SIZE_MAX;
	wbuf_init(&slice, max_size + 3);
	do {
		wbuf_reset(&slice);
		res = ipc_stream_fill(st, &slice);
		if (res != IPC_STREAM_FAILED && wbuf_put(out, slice.data, slice.len) != 0)
			res = IPC_STREAM_FAILED;
	} while (res == IPC_STREAM_MORE);
	wbuf_destroy(&slice);
	ipc_stream_free(st);

	return (res == IPC_STREAM_DONE ? 0 : -1);
}
