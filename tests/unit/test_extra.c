/*
 * test_extra.c - the pure parts of the additions: JSON string escaping and
 * the JSON document, the IPC words "json" and "health", the Prometheus
 * text (label escaping, bounded label sets), the new -S keys.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "check.h"
#include "core/cluster.h"
#include "extras/extra.h"
#include "control/ipc_cmd.h"
#include "extras/metrics.h"
#include "base/settings.h"
#include "control/status_json.h"

static int
json_of(const char *s, size_t len, const char *want)
{
	struct wbuf wb;
	int ok;

	wbuf_init(&wb, 4096);
	status_json_string(&wb, s, len);
	ok = wb.len == strlen(want) && memcmp(wb.data, want, wb.len) == 0;
	if (!ok)
		fprintf(stderr, "json: got %.*s want %s\n", (int)wb.len, (const char *)wb.data, want);
	wbuf_destroy(&wb);
	return ok;
}

static void
test_json_string(void)
{
	CHECK(json_of("abc", 3, "\"abc\""));
	CHECK(json_of("a\"b\\c", 5, "\"a\\\"b\\\\c\""));
	CHECK(json_of("\x01\n\x7f", 3, "\"\\u0001\\u000a\\u007f\""));
	CHECK(json_of("a\0b", 3, "\"a\\u0000b\""));
	/* valid UTF-8 passes: é, €, U+1F600 */
	CHECK(json_of("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""));
	/* invalid: lone 0xff, overlong NUL, surrogate, truncated, past U+10FFFF */
	CHECK(json_of("\xff", 1, "\"\\ufffd\""));
	CHECK(json_of("\xc0\x80", 2, "\"\\ufffd\\ufffd\""));
	CHECK(json_of("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""));
	CHECK(json_of("\xe2\x82", 2, "\"\\ufffd\\ufffd\""));
	CHECK(json_of("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""));
}

static struct qnetd_client *
new_client(struct qnetd_instance *inst, const char *cluster, size_t clen, uint32_t node)
{
	struct qnetd_client *c = calloc(1, sizeof(*c));

	client_state_init(c);
	c->cluster_name = malloc(clen + 1);
	memcpy(c->cluster_name, cluster, clen);
	c->cluster_name[clen] = '\0';
	c->cluster_name_len = clen;
	c->node_id = node;
	c->state = CLIENT_STATE_INITIALISED;
	c->decision_algorithm = TLV_DECISION_ALGORITHM_FFSPLIT;
	c->tie_breaker.mode = TLV_TIE_BREAKER_MODE_NODE_ID;
	c->tie_breaker.node_id = 9;
	snprintf(c->addr_str, sizeof(c->addr_str), "192.0.2.%u:5000", (unsigned)node);
	cluster_registry_add_client(&inst->clusters, c);
	inst->client_count++;
	return c;
}

static int
contains(const struct wbuf *wb, const char *s)
{
	return wb->len > 0 && memmem(wb->data, wb->len, s, strlen(s)) != NULL;
}

/* Brackets balance outside strings, and no raw control byte appears. */
static int
well_formed(const struct wbuf *wb)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < wb->len; i++) {
		unsigned char ch = wb->data[i];

		if (ch < 0x20 && !(ch == '\n' && i == wb->len - 1))
			return 0;
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
			continue;
		}
		if (ch == '"')
			in_str = 1;
		else if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']')
			depth--;
		if (depth < 0)
			return 0;
	}
	return depth == 0 && !in_str;
}

static void
test_json_document(void)
{
	struct qnetd_settings s;
	struct qnetd_instance inst;
	struct qnetd_client *a, *b, *o;
	struct wbuf wb;

	memset(&inst, 0, sizeof(inst));
	settings_init(&s);
	s.port = 5403;
	inst.settings = &s;
	inst.started_at = 1000;
	CHECK_EQ(cluster_registry_init(&inst.clusters), 0);
	a = new_client(&inst, "alpha", 5, 1);
	b = new_client(&inst, "alpha", 5, 2);
	o = new_client(&inst, "x\"\xff", 3, 3);
	node_list_add(&a->configuration_node_list, 1, 5, TLV_NODE_STATE_NOT_SET);
	node_list_add(&a->configuration_node_list, 2, 0, TLV_NODE_STATE_NOT_SET);
	a->config_version_set = 1;
	a->config_version = 18446744073709551615ULL;
	a->last_ring_id.node_id = 0x1a;
	a->last_ring_id.seq = 0x2b;
	client_record_vote(a, TLV_VOTE_ACK);
	client_record_vote(b, TLV_VOTE_NACK);
	client_record_vote(b, TLV_VOTE_NO_CHANGE);

	wbuf_init(&wb, 1 << 20);
	CHECK_EQ(status_json(&inst, STATUS_JSON_ALL, NULL, 1060, &wb), 0);
	CHECK(well_formed(&wb));
	CHECK(contains(&wb, "{\"schema\":\"qnetd-status\",\"schema_version\":1,\"daemon\":{"));
	CHECK(contains(&wb, "\"address\":\"*:5403\",\"listen_address\":null,\"port\":5403"));
	CHECK(contains(&wb, "\"tls\":\"on\",\"tls_client_certificate_required\":true"));
	CHECK(contains(&wb, "\"uptime_seconds\":60,\"connected_clients\":3,"
	    "\"connected_clusters\":2"));
	CHECK(contains(&wb, "\"max_clients\":null"));
	CHECK(contains(&wb, "\"name\":\"x\\\"\\ufffd\""));
	CHECK(contains(&wb, "\"tie_breaker\":{\"mode\":\"node_id\",\"node_id\":9}"));
	CHECK(contains(&wb, "\"config_version\":18446744073709551615"));
	CHECK(contains(&wb, "\"configured_node_list\":[{\"node_id\":1,\"data_center_id\":5},"
	    "{\"node_id\":2,\"data_center_id\":null}]"));
	CHECK(contains(&wb, "\"ring_id\":{\"node_id\":26,\"seq\":43,\"text\":\"1a.2b\"}"));
	CHECK(contains(&wb, "\"vote\":\"ACK\",\"last_ack_nack_vote\":\"ACK\""));
	CHECK(contains(&wb, "\"vote\":\"No change\",\"last_ack_nack_vote\":\"NACK\""));
	CHECK(contains(&wb, "\"vote\":null,\"last_ack_nack_vote\":null,\"last_vote_change\":null"));
	CHECK(contains(&wb, "\"protocol\":null,\"cipher\":null"));
	CHECK(wb.data[wb.len - 1] == '\n');

	/* the cluster filter, and status alone */
	wbuf_reset(&wb);
	CHECK_EQ(status_json(&inst, STATUS_JSON_LIST, "alpha", 1060, &wb), 0);
	CHECK(well_formed(&wb) && !contains(&wb, "\"daemon\"") && !contains(&wb, "ufffd"));
	wbuf_reset(&wb);
	CHECK_EQ(status_json(&inst, STATUS_JSON_STATUS, NULL, 1060, &wb), 0);
	CHECK(!contains(&wb, "\"clusters\""));
	wbuf_destroy(&wb);

	/* a limit too small fails instead of cutting the document */
	wbuf_init(&wb, 200);
	CHECK_EQ(status_json(&inst, STATUS_JSON_ALL, NULL, 1060, &wb), -1);
	wbuf_destroy(&wb);

	/* Prometheus text: per-cluster series with escaped names */
	metrics_reset();
	metrics_protocol_error(TLV_REPLY_ERROR_CODE_DUPLICATE_NODE_ID);
	metrics_vote(TLV_DECISION_ALGORITHM_FFSPLIT, TLV_VOTE_ACK);
	wbuf_init(&wb, 1 << 20);
	CHECK_EQ(metrics_format(&inst, &wb), 0);
	CHECK(contains(&wb, "qnetd_cluster_clients{cluster=\"x\\\"?\"} 1\n"));
	CHECK(contains(&wb, "qnetd_cluster_votes{cluster=\"alpha\",vote=\"ack\"} 1\n"));
	CHECK(contains(&wb, "qnetd_cluster_votes{cluster=\"alpha\",vote=\"nack\"} 1\n"));
	CHECK(contains(&wb, "qnetd_protocol_errors_total{code=\"17\","));
	CHECK(contains(&wb, "qnetd_votes_total{algorithm=\"ffsplit\",result=\"ack\"} 1\n"));
	CHECK(contains(&wb, "qnetd_clients_connected 3\n"));
	CHECK(contains(&wb, "# TYPE qnetd_dpd_disconnects_total counter\n"));
	wbuf_destroy(&wb);

	cluster_registry_del_client(&inst.clusters, a);
	cluster_registry_del_client(&inst.clusters, b);
	cluster_registry_del_client(&inst.clusters, o);
	client_state_destroy(a);
	client_state_destroy(b);
	client_state_destroy(o);
	free(a);
	free(b);
	free(o);
	cluster_registry_destroy(&inst.clusters);
	settings_destroy(&s);
}

static void
test_tls_reasons_bounded(void)
{
	struct qnetd_settings s;
	struct qnetd_instance inst;
	struct wbuf wb;
	char name[32];
	int i;

	memset(&inst, 0, sizeof(inst));
	settings_init(&s);
	inst.settings = &s;
	cluster_registry_init(&inst.clusters);
	metrics_reset();
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "SSL_ERROR_%d", i);
		metrics_tls_failure(name);
	}
	metrics_tls_failure("SSL_ERROR_3");
	wbuf_init(&wb, 1 << 20);
	CHECK_EQ(metrics_format(&inst, &wb), 0);
	CHECK(contains(&wb, "qnetd_tls_handshake_failures_total{reason=\"SSL_ERROR_3\"} 2\n"));
	CHECK(contains(&wb, "qnetd_tls_handshake_failures_total{reason=\"SSL_ERROR_15\"} 1\n"));
	CHECK(!contains(&wb, "SSL_ERROR_16"));
	CHECK(contains(&wb, "qnetd_tls_handshake_failures_total{reason=\"other\"} 24\n"));
	wbuf_destroy(&wb);
	cluster_registry_destroy(&inst.clusters);
	settings_destroy(&s);
}

static void
set_ring(struct qnetd_client *c, uint32_t node_id, uint64_t seq, enum tlv_vote vote)
{
	c->last_ring_id.node_id = node_id;
	c->last_ring_id.seq = seq;
	client_record_vote(c, vote);
}

/* Partitions holding the vote: distinct rings among ACKed clients. */
static void
test_acked_partitions(void)
{
	struct qnetd_settings s;
	struct qnetd_instance inst;
	struct qnetd_client *c[4];
	struct qnetd_cluster *cl;
	struct wbuf wb;
	int i;

	memset(&inst, 0, sizeof(inst));
	settings_init(&s);
	inst.settings = &s;
	CHECK_EQ(cluster_registry_init(&inst.clusters), 0);
	for (i = 0; i < 4; i++)
		c[i] = new_client(&inst, "pc", 2, (uint32_t)i + 1);
	cl = c[0]->cluster;
	CHECK_EQ(metrics_acked_partitions(cl), 0); /* nobody voted yet */
	for (i = 0; i < 4; i++)
		set_ring(c[i], 1, 4, TLV_VOTE_ACK);
	CHECK_EQ(metrics_acked_partitions(cl), 1); /* one ring, all ACK */
	set_ring(c[2], 3, 8, TLV_VOTE_NACK);
	set_ring(c[3], 3, 8, TLV_VOTE_NACK);
	CHECK_EQ(metrics_acked_partitions(cl), 1); /* 50:50 split, one side ACK */
	set_ring(c[0], 1, 8, TLV_VOTE_NACK);
	set_ring(c[1], 1, 8, TLV_VOTE_NACK);
	CHECK_EQ(metrics_acked_partitions(cl), 0); /* nobody holds the vote */
	set_ring(c[1], 1, 8, TLV_VOTE_ACK);
	set_ring(c[3], 3, 8, TLV_VOTE_ACK);
	/* NO_CHANGE keeps the last ACK: it still counts */
	client_record_vote(c[3], TLV_VOTE_NO_CHANGE);
	CHECK_EQ(metrics_acked_partitions(cl), 2); /* must never last */
	wbuf_init(&wb, 1 << 20);
	CHECK_EQ(metrics_format(&inst, &wb), 0);
	CHECK(contains(&wb, "# TYPE qnetd_cluster_partitions_acked gauge\n"));
	CHECK(contains(&wb, "qnetd_cluster_partitions_acked{cluster=\"pc\"} 2\n"));
	wbuf_destroy(&wb);
	for (i = 0; i < 4; i++) {
		cluster_registry_del_client(&inst.clusters, c[i]);
		client_state_destroy(c[i]);
		free(c[i]);
	}
	cluster_registry_destroy(&inst.clusters);
	settings_destroy(&s);
}

static void
test_ipc_words(void)
{
	struct ipc_cmd cmd;
	const char *r;

	r = "json\n";
	CHECK_EQ(ipc_cmd_parse(&cmd, r, strlen(r)), 0);
	CHECK(cmd.type == IPC_CMD_JSON && cmd.json_what == STATUS_JSON_ALL);
	ipc_cmd_destroy(&cmd);
	r = "JSON status verbose\n";
	CHECK_EQ(ipc_cmd_parse(&cmd, r, strlen(r)), 0);
	CHECK(cmd.type == IPC_CMD_JSON && cmd.json_what == STATUS_JSON_STATUS && cmd.verbose);
	ipc_cmd_destroy(&cmd);
	r = "json list cluster \"a b\" \n";
	CHECK_EQ(ipc_cmd_parse(&cmd, r, strlen(r)), 0);
	CHECK(cmd.type == IPC_CMD_JSON && cmd.json_what == STATUS_JSON_LIST &&
	    cmd.cluster_name != NULL && strcmp(cmd.cluster_name, "a b") == 0);
	ipc_cmd_destroy(&cmd);
	r = "json cluster x\n";
	CHECK_EQ(ipc_cmd_parse(&cmd, r, strlen(r)), 0);
	CHECK(cmd.type == IPC_CMD_JSON && cmd.json_what == STATUS_JSON_ALL &&
	    cmd.cluster_name != NULL && strcmp(cmd.cluster_name, "x") == 0);
	ipc_cmd_destroy(&cmd);
	r = "health\n";
	CHECK_EQ(ipc_cmd_parse(&cmd, r, strlen(r)), 0);
	CHECK(cmd.type == IPC_CMD_HEALTH);
	ipc_cmd_destroy(&cmd);
	/* upstream's words are unchanged */
	r = "jsonx\n";
	CHECK_EQ(ipc_cmd_parse(&cmd, r, strlen(r)), 0);
	CHECK(cmd.type == IPC_CMD_UNKNOWN && strcmp(cmd.word, "jsonx") == 0);
	ipc_cmd_destroy(&cmd);
}

static void
test_settings_keys(void)
{
	struct qnetd_settings s;
	char err[256], warn[256];

	settings_init(&s);
	CHECK(s.metrics_address == NULL && s.event_hook == NULL && s.log_level_file == NULL);
	CHECK_EQ(s.event_hook_timeout, 10000);
	CHECK_EQ(s.event_hook_queue, 256);
	CHECK_EQ(s.conflict_log_interval, 60000);
	CHECK_EQ(settings_apply_advanced(&s, "metrics_address=unix:/run/m.sock,"
	    "event_hook=/bin/true,event_hook_timeout=5,event_hook_queue=3,"
	    "log_level_file=/etc/lvl,conflict_log_interval=0", err, sizeof(err), warn,
	    sizeof(warn)), 0);
	CHECK(strcmp(s.metrics_address, "unix:/run/m.sock") == 0);
	CHECK(strcmp(s.event_hook, "/bin/true") == 0 && strcmp(s.log_level_file, "/etc/lvl") == 0);
	CHECK(s.event_hook_timeout == 5 && s.event_hook_queue == 3 && s.conflict_log_interval == 0);
	CHECK_EQ(settings_apply_advanced(&s, "event_hook_queue=0", err, sizeof(err), warn,
	    sizeof(warn)), -1);
	CHECK(strcmp(err, "Invalid value '0' for option 'event_hook_queue'") == 0);
	CHECK_EQ(settings_apply_advanced(&s, "metrics_address=", err, sizeof(err), warn,
	    sizeof(warn)), -1);
	CHECK_EQ(settings_apply_advanced(&s, "event_hook_timeout=0", err, sizeof(err), warn,
	    sizeof(warn)), -1);
	settings_destroy(&s);
	CHECK_EQ(extra_parse_log_level("DEBUG"), LOG_DEBUG);
	CHECK_EQ(extra_parse_log_level("warning"), LOG_WARNING);
	CHECK_EQ(extra_parse_log_level("loud"), -1);
}

int
main(void)
{
	test_json_string();
	test_json_document();
	test_tls_reasons_bounded();
	test_acked_partitions();
	test_ipc_words();
	test_settings_keys();
	return check_exit("test_extra");
}
