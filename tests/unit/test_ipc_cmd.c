/*
 * test_ipc_cmd.c - IPC request parsing and the status/list texts.
 *
 * golden_list and golden_list_v are what Debian's corosync-qnetd 3.0.3
 * printed for the state that tests/blackbox/test_tool.py builds (client
 * ports renumbered); build_state() below makes the same state by hand.
 * The status goldens come from real runs of Debian's daemon too; the TLS
 * and odd-value cases follow upstream's formatting rules.
 */
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include <time.h>

#include "check.h"
#include "core/cluster.h"
#include "control/ipc_cmd.h"
#include "control/status_json.h"

static const char golden_list_v[] =
	"Cluster \"alpha\":\n"
	"    Algorithm:\t\tFifty-Fifty split (KAP Tie-breaker)\n"
	"    Tie-breaker:\tNode with lowest node ID\n"
	"    Node ID 1:\n"
	"        Client address:\t\t127.0.0.1:40001\n"
	"        HB interval:\t\t120000ms\n"
	"        Configuration version:\t7\n"
	"        Configured node list:\t1 (5), 2, 3 (6)\n"
	"        Ring ID:\t\t1.4\n"
	"        Membership node list:\t1, 2\n"
	"        Heuristics:\t\tPass (membership: Pass, regular: Undefined)\n"
	"        TLS active:\t\tNo\n"
	"        Vote:\t\t\tACK (ACK)\n"
	"    Node ID 2:\n"
	"        Client address:\t\t127.0.0.1:40002\n"
	"        HB interval:\t\t120000ms\n"
	"        Configuration version:\t7\n"
	"        Configured node list:\t1 (5), 2, 3 (6)\n"
	"        Ring ID:\t\t1.4\n"
	"        Membership node list:\t1, 2\n"
	"        Heuristics:\t\tPass (membership: Pass, regular: Undefined)\n"
	"        TLS active:\t\tNo\n"
	"        Vote:\t\t\tNo change (ACK)\n"
	"Cluster \"we\"ird\\name\":\n"
	"    Algorithm:\t\tLMS\n"
	"    Tie-breaker:\tNode with node ID 3\n"
	"    Node ID 3:\n"
	"        Client address:\t\t127.0.0.1:40003\n"
	"        HB interval:\t\t100000ms\n"
	"        Configured node list:\t3\n"
	"        Ring ID:\t\t1a.2b3c4d5e6f\n"
	"        Membership node list:\t3\n"
	"        Heuristics:\t\tFail (membership: Undefined, regular: Fail)\n"
	"        TLS active:\t\tNo\n"
	"        Vote:\t\t\tNo change (ACK)\n"
	"Cluster \"gamma\":\n"
	"    Algorithm:\t\tTest\n"
	"    Tie-breaker:\tNode with highest node ID\n"
	"    Node ID 7:\n"
	"        Client address:\t\t127.0.0.1:40004\n"
	"        HB interval:\t\t60000ms\n"
	"        Ring ID:\t\t7.0\n"
	"        Heuristics:\t\tUndefined (membership: Undefined, regular: Undefined)\n"
	"        TLS active:\t\tNo\n"
	"Cluster \"delta\":\n"
	"    Algorithm:\t\tFifty-Fifty split\n"
	"    Tie-breaker:\tNode with lowest node ID\n"
	"    Node ID 1:\n"
	"        Client address:\t\t127.0.0.1:40005\n"
	"        HB interval:\t\t120000ms\n"
	"        Configured node list:\t1, 4\n"
	"        Ring ID:\t\t1.1\n"
	"        Heuristics:\t\tUndefined (membership: Undefined, regular: Undefined)\n"
	"        TLS active:\t\tNo\n"
	"        Vote:\t\t\tAsk later\n"
	"    Node ID 4:\n"
	"        Client address:\t\t127.0.0.1:40006\n"
	"        HB interval:\t\t120000ms\n"
	"        Configured node list:\t1, 4\n"
	"        Ring ID:\t\t1.1\n"
	"        Heuristics:\t\tUndefined (membership: Undefined, regular: Undefined)\n"
	"        TLS active:\t\tNo\n"
	"        Vote:\t\t\tAsk later\n"
	"Cluster \"epsilon\":\n"
	"    Algorithm:\t\tFifty-Fifty split (KAP Tie-breaker)\n"
	"    Tie-breaker:\tNode with lowest node ID\n"
	"    Node ID 1:\n"
	"        Client address:\t\t127.0.0.1:40007\n"
	"        HB interval:\t\t120000ms\n"
	"        Configuration version:\t1311768467463790320\n"
	"        Configured node list:\t1, 2\n"
	"        Ring ID:\t\t1.5\n"
	"        Membership node list:\t1\n"
	"        Heuristics:\t\tPass (membership: Pass, regular: Undefined)\n"
	"        TLS active:\t\tNo\n"
	"        Vote:\t\t\tACK (ACK)\n"
	"    Node ID 2:\n"
	"        Client address:\t\t127.0.0.1:40008\n"
	"        HB interval:\t\t120000ms\n"
	"        Configuration version:\t1311768467463790320\n"
	"        Configured node list:\t1, 2\n"
	"        Ring ID:\t\t2.5\n"
	"        Membership node list:\t2\n"
	"        Heuristics:\t\tFail (membership: Fail, regular: Undefined)\n"
	"        TLS active:\t\tNo\n"
	"        Vote:\t\t\tNo change (NACK)\n";

static const char golden_list[] =
	"Cluster \"alpha\":\n"
	"    Algorithm:\t\tFifty-Fifty split (KAP Tie-breaker)\n"
	"    Tie-breaker:\tNode with lowest node ID\n"
	"    Node ID 1:\n"
	"        Client address:\t\t127.0.0.1:40001\n"
	"        Configuration version:\t7\n"
	"        Configured node list:\t1 (5), 2, 3 (6)\n"
	"        Membership node list:\t1, 2\n"
	"        Heuristics:\t\tPass\n"
	"        Vote:\t\t\tACK (ACK)\n"
	"    Node ID 2:\n"
	"        Client address:\t\t127.0.0.1:40002\n"
	"        Configuration version:\t7\n"
	"        Configured node list:\t1 (5), 2, 3 (6)\n"
	"        Membership node list:\t1, 2\n"
	"        Heuristics:\t\tPass\n"
	"        Vote:\t\t\tNo change (ACK)\n"
	"Cluster \"we\"ird\\name\":\n"
	"    Algorithm:\t\tLMS\n"
	"    Tie-breaker:\tNode with node ID 3\n"
	"    Node ID 3:\n"
	"        Client address:\t\t127.0.0.1:40003\n"
	"        Configured node list:\t3\n"
	"        Membership node list:\t3\n"
	"        Heuristics:\t\tFail\n"
	"        Vote:\t\t\tNo change (ACK)\n"
	"Cluster \"gamma\":\n"
	"    Algorithm:\t\tTest\n"
	"    Tie-breaker:\tNode with highest node ID\n"
	"    Node ID 7:\n"
	"        Client address:\t\t127.0.0.1:40004\n"
	"Cluster \"delta\":\n"
	"    Algorithm:\t\tFifty-Fifty split\n"
	"    Tie-breaker:\tNode with lowest node ID\n"
	"    Node ID 1:\n"
	"        Client address:\t\t127.0.0.1:40005\n"
	"        Configured node list:\t1, 4\n"
	"        Vote:\t\t\tAsk later\n"
	"    Node ID 4:\n"
	"        Client address:\t\t127.0.0.1:40006\n"
	"        Configured node list:\t1, 4\n"
	"        Vote:\t\t\tAsk later\n"
	"Cluster \"epsilon\":\n"
	"    Algorithm:\t\tFifty-Fifty split (KAP Tie-breaker)\n"
	"    Tie-breaker:\tNode with lowest node ID\n"
	"    Node ID 1:\n"
	"        Client address:\t\t127.0.0.1:40007\n"
	"        Configuration version:\t1311768467463790320\n"
	"        Configured node list:\t1, 2\n"
	"        Membership node list:\t1\n"
	"        Heuristics:\t\tPass\n"
	"        Vote:\t\t\tACK (ACK)\n"
	"    Node ID 2:\n"
	"        Client address:\t\t127.0.0.1:40008\n"
	"        Configuration version:\t1311768467463790320\n"
	"        Configured node list:\t1, 2\n"
	"        Membership node list:\t2\n"
	"        Heuristics:\t\tFail\n"
	"        Vote:\t\t\tNo change (NACK)\n";


#define NCLUSTERS 256	/* test_stream_slices adds 200 */
#define NCLIENTS 700

struct fixture {
	struct qnetd_settings settings;
	struct qnetd_instance inst;
	struct qnetd_cluster clusters[NCLUSTERS];
	struct qnetd_client clients[NCLIENTS];
	size_t nclusters, nclients;
};

static struct node_info cfg_alpha[] = { { 1, 5, 0 }, { 2, 0, 0 }, { 3, 6, 0 } };
static struct node_info memb_12[] = { { 1, 0, 0 }, { 2, 0, 0 } };
static struct node_info one_1[] = { { 1, 0, 0 } };
static struct node_info one_2[] = { { 2, 0, 0 } };
static struct node_info one_3[] = { { 3, 0, 0 } };
static struct node_info cfg_delta[] = { { 1, 0, 0 }, { 4, 0, 0 } };

static void
set_list(struct node_list *nl, struct node_info *nodes, size_t n)
{

	nl->nodes = nodes;
	nl->count = n;
	nl->cap = n;
}

static void
settings_default(struct qnetd_settings *s)
{

	memset(s, 0, sizeof(*s));
	s->port = 5403;
	s->tls = TLV_TLS_SUPPORTED;
	s->tls_client_cert_required = 1;
	s->max_client_send_size = 32768;
	s->max_client_receive_size = 32768;
}

static struct qnetd_cluster *
add_cluster(struct fixture *f, const char *name)
{
	struct qnetd_cluster *cl = &f->clusters[f->nclusters++];

	memset(cl, 0, sizeof(*cl));
	cl->name = strdup(name);
	cl->name_len = strlen(name);
	TAILQ_INIT(&cl->clients);
	TAILQ_INSERT_TAIL(&f->inst.clusters.clusters, cl, entries);
	f->inst.clusters.count++;
	return (cl);
}

/* Clients must be added in node-id order, as the registry keeps them. */
static struct qnetd_client *
add_client(struct fixture *f, struct qnetd_cluster *cl, uint32_t node_id, const char *addr,
    enum tlv_decision_algorithm algo, enum tlv_tie_breaker_mode tb, uint32_t tb_node)
{
	struct qnetd_client *c = &f->clients[f->nclients++];

	memset(c, 0, sizeof(*c));
	snprintf(c->addr_str, sizeof(c->addr_str), "%s", addr);
	c->node_id = node_id;
	c->decision_algorithm = algo;
	c->tie_breaker.mode = tb;
	c->tie_breaker.node_id = tb_node;
	c->heartbeat_interval = 120000;
	c->state = CLIENT_STATE_INITIALISED;
	c->cluster = cl;
	if (cl != NULL) {
		TAILQ_INSERT_TAIL(&cl->clients, c, cluster_entries);
		cl->client_count++;
	}
	f->inst.client_count++;
	return (c);
}

static void
fixture_init(struct fixture *f)
{

	memset(f, 0, sizeof(*f));
	settings_default(&f->settings);
	f->inst.settings = &f->settings;
	TAILQ_INIT(&f->inst.clusters.clusters);
	TAILQ_INIT(&f->inst.clusters.cursors);
}

static void
fixture_destroy(struct fixture *f)
{
	size_t i;

	for (i = 0; i < f->nclusters; i++)
		free(f->clusters[i].name);
}

static void
vote(struct qnetd_client *c, enum tlv_vote v, enum tlv_vote ack_nack)
{

	c->last_sent_vote = v;
	c->last_sent_ack_nack_vote = ack_nack;
}

/* The state of the black-box test: alpha, we"ird\name, gamma, delta, epsilon, one bare client. */
static void
build_state(struct fixture *f)
{
	struct qnetd_cluster *cl;
	struct qnetd_client *c;
	int i;

	fixture_init(f);
	f->settings.listen_addr = (char *)(uintptr_t)"127.0.0.1";
	f->settings.tls = TLV_TLS_UNSUPPORTED;
	f->settings.max_clients = 20;

	cl = add_cluster(f, "alpha");
	for (i = 1; i <= 2; i++) {
		c = add_client(f, cl, (uint32_t)i, i == 1 ? "127.0.0.1:40001" : "127.0.0.1:40002",
		    TLV_DECISION_ALGORITHM_FFSPLIT, TLV_TIE_BREAKER_MODE_LOWEST, 0);
		c->keep_active_partition_tie_breaker = 1;
		c->config_version_set = 1;
		c->config_version = 7;
		set_list(&c->configuration_node_list, cfg_alpha, 3);
		set_list(&c->last_membership_node_list, memb_12, 2);
		c->last_ring_id.node_id = 1;
		c->last_ring_id.seq = 4;
		c->last_heuristics = c->last_membership_heuristics = TLV_HEURISTICS_PASS;
		vote(c, i == 1 ? TLV_VOTE_ACK : TLV_VOTE_NO_CHANGE, TLV_VOTE_ACK);
	}

	cl = add_cluster(f, "we\"ird\\name");
	c = add_client(f, cl, 3, "127.0.0.1:40003", TLV_DECISION_ALGORITHM_LMS,
	    TLV_TIE_BREAKER_MODE_NODE_ID, 3);
	c->heartbeat_interval = 100000;
	set_list(&c->configuration_node_list, one_3, 1);
	set_list(&c->last_membership_node_list, one_3, 1);
	c->last_ring_id.node_id = 0x1a;
	c->last_ring_id.seq = 0x2b3c4d5e6fULL;
	c->last_heuristics = c->last_regular_heuristics = TLV_HEURISTICS_FAIL;
	vote(c, TLV_VOTE_NO_CHANGE, TLV_VOTE_ACK);

	cl = add_cluster(f, "gamma");
	c = add_client(f, cl, 7, "127.0.0.1:40004", TLV_DECISION_ALGORITHM_TEST,
	    TLV_TIE_BREAKER_MODE_HIGHEST, 0);
	c->heartbeat_interval = 60000;
	c->last_ring_id.node_id = 7;

	cl = add_cluster(f, "delta");
	for (i = 0; i < 2; i++) {
		c = add_client(f, cl, i == 0 ? 1 : 4, i == 0 ? "127.0.0.1:40005" : "127.0.0.1:40006",
		    TLV_DECISION_ALGORITHM_FFSPLIT, TLV_TIE_BREAKER_MODE_LOWEST, 0);
		c->keep_active_partition_tie_breaker = (i == 0);	/* not all: no KAP */
		set_list(&c->configuration_node_list, cfg_delta, 2);
		c->last_ring_id.node_id = 1;
		c->last_ring_id.seq = 1;
		vote(c, TLV_VOTE_ASK_LATER, TLV_VOTE_UNDEFINED);
	}

	cl = add_cluster(f, "epsilon");
	for (i = 1; i <= 2; i++) {
		c = add_client(f, cl, (uint32_t)i, i == 1 ? "127.0.0.1:40007" : "127.0.0.1:40008",
		    TLV_DECISION_ALGORITHM_FFSPLIT, TLV_TIE_BREAKER_MODE_LOWEST, 0);
		c->keep_active_partition_tie_breaker = 1;
		c->config_version_set = 1;
		c->config_version = 0x123456789abcdef0ULL;
		set_list(&c->configuration_node_list, memb_12, 2);
		set_list(&c->last_membership_node_list, i == 1 ? one_1 : one_2, 1);
		c->last_ring_id.node_id = (uint32_t)i;
		c->last_ring_id.seq = 5;
		c->last_heuristics = c->last_membership_heuristics =
		    i == 1 ? TLV_HEURISTICS_PASS : TLV_HEURISTICS_FAIL;
		vote(c, i == 1 ? TLV_VOTE_ACK : TLV_VOTE_NO_CHANGE,
		    i == 1 ? TLV_VOTE_ACK : TLV_VOTE_NACK);
	}

	add_client(f, NULL, 0, "127.0.0.1:40009", TLV_DECISION_ALGORITHM_TEST, 0, 0);
}

/* Compare text, and say where it first differs. */
#define CHECK_TEXT(wb, want) check_text(__LINE__, (wb), (want))
static void
check_text(int line, const struct wbuf *wb, const char *want)
{
	size_t wl = strlen(want), i;

	check_count++;
	if (wb->len == wl && (wl == 0 || memcmp(wb->data, want, wl) == 0))
		return;
	check_failures++;
	for (i = 0; i < wb->len && i < wl && wb->data[i] == (uint8_t)want[i]; i++)
		;
	fprintf(stderr, "line %d: text differs at byte %zu (got %zu bytes, want %zu):\n"
	    "--- got\n%.*s\n--- want\n%s\n", line, i, wb->len, wl, (int)wb->len,
	    (const char *)wb->data, want);
}

/* Extract the block of one cluster from a golden list. */
static char *
golden_cluster(const char *golden, const char *name)
{
	char head[128];
	const char *p, *end;

	snprintf(head, sizeof(head), "Cluster \"%s\":\n", name);
	p = strstr(golden, head);
	if (p == NULL)
		return (strdup(""));
	end = strstr(p + 1, "\nCluster \"");
	end = end != NULL ? end + 1 : p + strlen(p);
	return (strndup(p, (size_t)(end - p)));
}

static void
test_list_golden(void)
{
	static const char *const names[] = { "alpha", "we\"ird\\name", "gamma", "delta", "epsilon" };
	struct fixture f;
	struct wbuf wb;
	size_t i;
	char *want;

	build_state(&f);
	wbuf_init(&wb, 1 << 20);

	CHECK_EQ(ipc_cmd_list(&f.inst, 0, NULL, &wb), 0);
	CHECK_TEXT(&wb, golden_list);
	wbuf_reset(&wb);
	CHECK_EQ(ipc_cmd_list(&f.inst, 1, NULL, &wb), 0);
	CHECK_TEXT(&wb, golden_list_v);
	wbuf_reset(&wb);
	CHECK_EQ(ipc_cmd_list(&f.inst, 0, "", &wb), 0);
	CHECK_TEXT(&wb, golden_list);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		wbuf_reset(&wb);
		CHECK_EQ(ipc_cmd_list(&f.inst, 1, names[i], &wb), 0);
		want = golden_cluster(golden_list_v, names[i]);
		CHECK(want[0] != '\0');
		CHECK_TEXT(&wb, want);
		free(want);
	}
	/* Exact, case-sensitive match; no match gives an empty body. */
	wbuf_reset(&wb);
	CHECK_EQ(ipc_cmd_list(&f.inst, 0, "ALPHA", &wb), 0);
	CHECK_TEXT(&wb, "");
	wbuf_reset(&wb);
	CHECK_EQ(ipc_cmd_list(&f.inst, 0, "alph", &wb), 0);
	CHECK_TEXT(&wb, "");

	wbuf_destroy(&wb);
	fixture_destroy(&f);
}

static void
test_status_golden(void)
{
	struct fixture f;
	struct wbuf wb;

	build_state(&f);
	wbuf_init(&wb, 4096);
	CHECK_EQ(ipc_cmd_status(&f.inst, 0, &wb), 0);
	f.settings.port = 0;	/* unused below */
	CHECK_TEXT(&wb,
	    "QNetd address:\t\t\t127.0.0.1:5403\n"
	    "TLS:\t\t\t\tUnsupported\n"
	    "Connected clients:\t\t9\n"
	    "Connected clusters:\t\t5\n");
	wbuf_reset(&wb);
	f.settings.port = 5403;
	CHECK_EQ(ipc_cmd_status(&f.inst, 1, &wb), 0);
	CHECK_TEXT(&wb,
	    "QNetd address:\t\t\t127.0.0.1:5403\n"
	    "TLS:\t\t\t\tUnsupported\n"
	    "Connected clients:\t\t9\n"
	    "Connected clusters:\t\t5\n"
	    "Maximum allowed clients:\t20\n"
	    "Maximum send/receive size:\t32768/32768 bytes\n");
	wbuf_destroy(&wb);
	fixture_destroy(&f);

	/* Debian's daemon with no options (and -p 40124). */
	fixture_init(&f);
	f.settings.port = 40124;
	wbuf_init(&wb, 4096);
	CHECK_EQ(ipc_cmd_status(&f.inst, 1, &wb), 0);
	CHECK_TEXT(&wb,
	    "QNetd address:\t\t\t*:40124\n"
	    "TLS:\t\t\t\tSupported (client certificate required)\n"
	    "Connected clients:\t\t0\n"
	    "Connected clusters:\t\t0\n"
	    "Maximum send/receive size:\t32768/32768 bytes\n");
	/* -s req -c off */
	wbuf_reset(&wb);
	f.settings.tls = TLV_TLS_REQUIRED;
	f.settings.tls_client_cert_required = 0;
	CHECK_EQ(ipc_cmd_status(&f.inst, 0, &wb), 0);
	CHECK_TEXT(&wb,
	    "QNetd address:\t\t\t*:40124\n"
	    "TLS:\t\t\t\tRequired\n"
	    "Connected clients:\t\t0\n"
	    "Connected clusters:\t\t0\n");
	/* -l ::1 -s off (-c on) -m 7 -S max_client_send_size=40000,max_client_receive_size=50000 */
	wbuf_reset(&wb);
	f.settings.listen_addr = (char *)(uintptr_t)"::1";
	f.settings.tls = TLV_TLS_UNSUPPORTED;
	f.settings.tls_client_cert_required = 1;
	f.settings.max_clients = 7;
	f.settings.max_client_send_size = 40000;
	f.settings.max_client_receive_size = 50000;
	CHECK_EQ(ipc_cmd_status(&f.inst, 1, &wb), 0);
	CHECK_TEXT(&wb,
	    "QNetd address:\t\t\t::1:40124\n"
	    "TLS:\t\t\t\tUnsupported\n"
	    "Connected clients:\t\t0\n"
	    "Connected clusters:\t\t0\n"
	    "Maximum allowed clients:\t7\n"
	    "Maximum send/receive size:\t40000/50000 bytes\n");
	wbuf_destroy(&wb);
	fixture_destroy(&f);
}

/* Lines the black-box state cannot reach without TLS, and odd values. */
static void
test_list_more(void)
{
	struct fixture f;
	struct qnetd_cluster *cl;
	struct qnetd_client *c;
	struct wbuf wb;

	fixture_init(&f);
	cl = add_cluster(&f, "tls");
	c = add_client(&f, cl, 4294967295u, "::ffff:192.168.89.2:50028",
	    TLV_DECISION_ALGORITHM_2NODELMS, TLV_TIE_BREAKER_MODE_NODE_ID, 4294967295u);
	c->tls_started = 1;
	c->tls_peer_certificate_verified = 1;
	c->heartbeat_interval = 8000;
	c->config_version_set = 1;	/* version 0 is still printed */
	c->last_ring_id.node_id = 0xffffffffu;
	c->last_ring_id.seq = 0xffffffffffffffffULL;
	c->last_membership_heuristics = TLV_HEURISTICS_FAIL;
	vote(c, TLV_VOTE_WAIT_FOR_REPLY, TLV_VOTE_NACK);
	c = add_client(&f, cl, 2, "10.0.0.2:1", TLV_DECISION_ALGORITHM_2NODELMS,
	    TLV_TIE_BREAKER_MODE_NODE_ID, 4294967295u);
	c->tls_started = 1;	/* -c off: no verified peer certificate */
	c->heartbeat_interval = 1000;
	vote(c, TLV_VOTE_NACK, TLV_VOTE_NACK);
	c = add_client(&f, cl, 3, "10.0.0.3:2", 77, 9, 0);	/* values no client can send */
	c->tls_peer_certificate_verified = 1;	/* ignored without TLS */
	c->last_heuristics = 9;
	vote(c, 42, TLV_VOTE_UNDEFINED);

	wbuf_init(&wb, 4096);
	CHECK_EQ(ipc_cmd_list(&f.inst, 1, NULL, &wb), 0);
	CHECK_TEXT(&wb,
	    "Cluster \"tls\":\n"
	    "    Algorithm:\t\t2 Node LMS\n"
	    "    Tie-breaker:\tNode with node ID 4294967295\n"
	    "    Node ID 4294967295:\n"
	    "        Client address:\t\t::ffff:192.168.89.2:50028\n"
	    "        HB interval:\t\t8000ms\n"
	    "        Configuration version:\t0\n"
	    "        Ring ID:\t\tffffffff.ffffffffffffffff\n"
	    "        Heuristics:\t\tUndefined (membership: Fail, regular: Undefined)\n"
	    "        TLS active:\t\tYes (client certificate verified)\n"
	    "        Vote:\t\t\tWait for reply (NACK)\n"
	    "    Node ID 2:\n"
	    "        Client address:\t\t10.0.0.2:1\n"
	    "        HB interval:\t\t1000ms\n"
	    "        Ring ID:\t\t0.0\n"
	    "        Heuristics:\t\tUndefined (membership: Undefined, regular: Undefined)\n"
	    "        TLS active:\t\tYes\n"
	    "        Vote:\t\t\tNACK (NACK)\n"
	    "    Node ID 3:\n"
	    "        Client address:\t\t10.0.0.3:2\n"
	    "        HB interval:\t\t120000ms\n"
	    "        Ring ID:\t\t0.0\n"
	    "        Heuristics:\t\tUnknown heuristics type (membership: Undefined, regular: Undefined)\n"
	    "        TLS active:\t\tNo\n"
	    "        Vote:\t\t\tUnknown vote value\n");

	/* The first client sets the algorithm line; an unknown tie-breaker prints nothing. */
	TAILQ_REMOVE(&cl->clients, &f.clients[0], cluster_entries);
	TAILQ_REMOVE(&cl->clients, &f.clients[1], cluster_entries);
	wbuf_reset(&wb);
	CHECK_EQ(ipc_cmd_list(&f.inst, 0, NULL, &wb), 0);
	CHECK_TEXT(&wb,
	    "Cluster \"tls\":\n"
	    "    Algorithm:\t\tUnknown algorithm\n"
	    "    Tie-breaker:\t\n"
	    "    Node ID 3:\n"
	    "        Client address:\t\t10.0.0.3:2\n"
	    "        Heuristics:\t\tUnknown heuristics type\n"
	    "        Vote:\t\t\tUnknown vote value\n");

	/* A single ffsplit client with KAP on gets the KAP note. */
	TAILQ_REMOVE(&cl->clients, &f.clients[2], cluster_entries);
	c = &f.clients[1];
	c->decision_algorithm = TLV_DECISION_ALGORITHM_FFSPLIT;
	c->tie_breaker.mode = TLV_TIE_BREAKER_MODE_HIGHEST;
	c->keep_active_partition_tie_breaker = TLV_KAP_TIE_BREAKER_ENABLED;
	c->last_sent_vote = TLV_VOTE_UNDEFINED;
	TAILQ_INSERT_TAIL(&cl->clients, c, cluster_entries);
	wbuf_reset(&wb);
	CHECK_EQ(ipc_cmd_list(&f.inst, 0, NULL, &wb), 0);
	CHECK_TEXT(&wb,
	    "Cluster \"tls\":\n"
	    "    Algorithm:\t\tFifty-Fifty split (KAP Tie-breaker)\n"
	    "    Tie-breaker:\tNode with highest node ID\n"
	    "    Node ID 2:\n"
	    "        Client address:\t\t10.0.0.2:1\n");
	wbuf_destroy(&wb);
	fixture_destroy(&f);
}

/* Parse a request and return the whole reply as a string (caller frees), or NULL. */
static char *
reply_for(struct fixture *f, const char *req, size_t len, size_t max_size)
{
	struct ipc_cmd cmd;
	struct wbuf wb;
	char *s;

	if (ipc_cmd_parse(&cmd, req, len) != 0)
		return (NULL);
	wbuf_init(&wb, 0);
	s = NULL;
	if (ipc_cmd_reply(&f->inst, &cmd, max_size, &wb) == 0) {
		s = malloc(wb.len + 1);
		memcpy(s, wb.data, wb.len);
		s[wb.len] = '\0';
	}
	wbuf_destroy(&wb);
	ipc_cmd_destroy(&cmd);
	return (s);
}

#define CHECK_REPLY(f, req, max, want) check_reply(__LINE__, (f), (req), sizeof(req) - 1, \
    (max), (want))
static void
check_reply(int line, struct fixture *f, const char *req, size_t len, size_t max,
    const char *want)
{
	char *got = reply_for(f, req, len, max);

	check_count++;
	if (got == NULL && want == NULL)
		return;
	if (got != NULL && want != NULL && strcmp(got, want) == 0) {
		free(got);
		return;
	}
	check_failures++;
	fprintf(stderr, "line %d: request '%s': got '%s', want '%s'\n", line, req,
	    got != NULL ? got : "(no reply)", want != NULL ? want : "(no reply)");
	free(got);
}

static void
test_parse(void)
{
	struct ipc_cmd cmd;

	CHECK_EQ(ipc_cmd_parse(&cmd, "LiSt VERBOSE cluster \"a b\" cluster c\n", 36), 0);
	CHECK_EQ(cmd.type, IPC_CMD_LIST);
	CHECK_EQ(cmd.verbose, 1);
	CHECK(cmd.cluster_name != NULL && strcmp(cmd.cluster_name, "c") == 0);
	ipc_cmd_destroy(&cmd);

	CHECK_EQ(ipc_cmd_parse(&cmd, "list cluster \"a b\" junk verbose\n", 31), 0);
	CHECK_EQ(cmd.type, IPC_CMD_LIST);
	CHECK_EQ(cmd.verbose, 0);
	CHECK(cmd.cluster_name != NULL && strcmp(cmd.cluster_name, "a b") == 0);
	ipc_cmd_destroy(&cmd);

	CHECK_EQ(ipc_cmd_parse(&cmd, "status x verbose", 16), 0);
	CHECK_EQ(cmd.type, IPC_CMD_STATUS);
	CHECK_EQ(cmd.verbose, 0);
	ipc_cmd_destroy(&cmd);

	CHECK_EQ(ipc_cmd_parse(&cmd, "shutdown verbose \n", 18), 0);
	CHECK_EQ(cmd.type, IPC_CMD_SHUTDOWN);
	ipc_cmd_destroy(&cmd);

	CHECK_EQ(ipc_cmd_parse(&cmd, "", 0), 0);
	CHECK_EQ(cmd.type, IPC_CMD_NONE);
	ipc_cmd_destroy(&cmd);
	CHECK_EQ(cmd.type, IPC_CMD_NONE);
}

static void
test_replies(void)
{
	struct fixture f;
	char big[5000];
	char *want;

	build_state(&f);
	/* The texts of Debian's daemon for malformed requests (test_tool.py checks them live). */
	CHECK_REPLY(&f, "\n", 4096, "Error\nNo command specified\n");
	CHECK_REPLY(&f, "   \t \r\n", 4096, "Error\nNo command specified\n");
	CHECK_REPLY(&f, "\0status\n", 4096, "Error\nNo command specified\n");
	CHECK_REPLY(&f, "\"\" status\n", 4096, "Error\nNo command specified\n");
	CHECK_REPLY(&f, "foo bar\n", 4096, "Error\nUnknown command 'foo'\n");
	CHECK_REPLY(&f, "\"fo\\\"o\"x\n", 4096, "Error\nUnknown command 'fo\"ox'\n");
	CHECK_REPLY(&f, "f\\o\\\\o\n", 4096, "Error\nUnknown command 'fo\\o'\n");
	CHECK_REPLY(&f, "\"a\\b\"\n", 4096, "Error\nUnknown command 'a\\b'\n");
	CHECK_REPLY(&f, "sta\rtus\n", 4096, "Error\nUnknown command 'sta'\n");
	CHECK_REPLY(&f, "fo\0o\n", 4096, "Error\nUnknown command 'fo'\n");
	CHECK_REPLY(&f, "shutdown\n", 4096, "OK\n");
	CHECK_REPLY(&f, "SHUTDOWN now\n", 4096, "OK\n");
	CHECK_REPLY(&f, "status\0junk\n", 4096,
	    "OK\nQNetd address:\t\t\t127.0.0.1:5403\nTLS:\t\t\t\tUnsupported\n"
	    "Connected clients:\t\t9\nConnected clusters:\t\t5\n");
	CHECK_REPLY(&f, "status\nverbose\n", 4096,
	    "OK\nQNetd address:\t\t\t127.0.0.1:5403\nTLS:\t\t\t\tUnsupported\n"
	    "Connected clients:\t\t9\nConnected clusters:\t\t5\n");
	want = golden_cluster(golden_list_v, "gamma");
	{
		char full[2048];

		snprintf(full, sizeof(full), "OK\n%s", want);
		CHECK_REPLY(&f, "list cluster gamma verbose extra\n", 4096, full);
		CHECK_REPLY(&f, "list verbose cluster \"gam\"ma\n", 4096, full);
		CHECK_REPLY(&f, "list verbose cluster \"gamma\n", 4096, full);
	}
	free(want);
	{
		char full[8192];

		snprintf(full, sizeof(full), "OK\n%s", golden_list);
		CHECK_REPLY(&f, "list bogus cluster gamma\n", 4096, full);
		CHECK_REPLY(&f, "list cluster \"\"\n", 4096, full);
		CHECK_REPLY(&f, "list cluster\n", 4096, full);
		CHECK_REPLY(&f, "list\r\n", 4096, full);
	}
	CHECK_REPLY(&f, "list cluster nosuch\n", 4096, "OK\n");

	/* Long unknown words are echoed whole, if the error fits in max_size. */
	memset(big, 'z', sizeof(big));
	big[4000] = '\n';
	{
		char *got = reply_for(&f, big, 4001, 4096);

		CHECK(got != NULL && strlen(got) == 4025 &&
		    strncmp(got, "Error\nUnknown command 'zzz", 26) == 0);
		free(got);
		/* "Error\n" + "Unknown command '" + 4000 + "'\n" = 4025 bytes. */
		got = reply_for(&f, big, 4001, 4025);
		CHECK(got != NULL);
		free(got);
		got = reply_for(&f, big, 4001, 4024);
		CHECK(got == NULL);
	}
	fixture_destroy(&f);
}

/*
 * ipc_max_send_size: upstream's exact boundaries between the two errors
 * for the one-buffer replies; a list is streamed, so any length works,
 * while each slice stays within the limit.
 */
static void
test_reply_limits(void)
{
	struct fixture f;
	struct wbuf wb;
	size_t body;
	char *got;

	build_state(&f);
	wbuf_init(&wb, 1 << 20);
	ipc_cmd_list(&f.inst, 1, NULL, &wb);
	body = wb.len;
	CHECK(body > 1024);

	got = reply_for(&f, "list verbose\n", 13, body + 3);
	CHECK(got != NULL && strncmp(got, "OK\nCluster", 10) == 0 && strlen(got) == body + 3);
	free(got);
	/* Upstream: "Internal IPC buffer too small" or "Can't get QNetd cluster list". */
	got = reply_for(&f, "list verbose\n", 13, body + 2);
	CHECK(got != NULL && strncmp(got, "OK\n", 3) == 0 &&
	    memcmp(got + 3, wb.data, body) == 0 && strlen(got) == body + 3);
	free(got);
	got = reply_for(&f, "list verbose\n", 13, 1024);
	CHECK(got != NULL && strncmp(got, "OK\n", 3) == 0 &&
	    memcmp(got + 3, wb.data, body) == 0 && strlen(got) == body + 3);
	free(got);
	wbuf_destroy(&wb);

	got = reply_for(&f, "status verbose\n", 15, 100);
	CHECK(got != NULL && strcmp(got, "Error\nCan't get QNetd status\n") == 0);
	free(got);
	got = reply_for(&f, "status verbose\n", 15, 10);
	CHECK(got == NULL);
	/* shutdown: only "OK\n" must fit; below that not even the error does. */
	got = reply_for(&f, "shutdown\n", 9, 3);
	CHECK(got != NULL && strcmp(got, "OK\n") == 0);
	free(got);
	got = reply_for(&f, "shutdown\n", 9, 2);
	CHECK(got == NULL);
	/* An entry that alone does not fit: upstream's error before the first byte. */
	got = reply_for(&f, "list verbose\n", 13, 40);
	CHECK(got != NULL && strcmp(got, "Error\nCan't get QNetd cluster list\n") == 0);
	free(got);
	got = reply_for(&f, "json list\n", 10, 40);
	CHECK(got != NULL && strcmp(got, "Error\nCan't get QNetd status\n") == 0);
	free(got);
	fixture_destroy(&f);
}

/*
 * The daemon's way: start, then slices.  Returns the concatenation (caller
 * frees) and the number of slices; every slice is checked against max.
 */
static char *
stream_all(struct fixture *f, const char *req, size_t max, size_t *nslices)
{
	struct ipc_cmd cmd;
	struct ipc_stream *st;
	struct wbuf wb, all;
	enum ipc_stream_res res = IPC_STREAM_DONE;
	char *s;

	*nslices = 0;
	if (ipc_cmd_parse(&cmd, req, strlen(req)) != 0)
		return (NULL);
	wbuf_init(&wb, 0);
	wbuf_init(&all, 1 << 24);
	if (ipc_cmd_reply_start(&f->inst, &cmd, max, &wb, &st) != 0) {
		ipc_cmd_destroy(&cmd);
		return (NULL);
	}
	for (;;) {
		CHECK(wb.len <= max);
		wbuf_put(&all, wb.data, wb.len);
		(*nslices)++;
		if (st == NULL)
			break;
		wbuf_reset(&wb);
		res = ipc_stream_fill(st, &wb);
		if (res != IPC_STREAM_MORE) {
			CHECK(res == IPC_STREAM_DONE);
			ipc_stream_free(st);
			st = NULL;
		}
	}
	CHECK(TAILQ_EMPTY(&f->inst.clusters.cursors));
	wbuf_put_u8(&all, 0);
	s = (char *)wbuf_steal(&all, &max);
	wbuf_destroy(&wb);
	ipc_cmd_destroy(&cmd);
	return (s);
}

/* Sliced output is byte for byte the one-buffer output, whatever the slice size. */
static void
test_stream_slices(void)
{
	static const char *const reqs[] = {
		"list\n", "list verbose\n", "list cluster gamma\n", "list cluster nosuch\n",
		"list verbose cluster \"we\\\"ird\\\\name\"\n", "json list\n", "json all verbose\n",
		"json list cluster delta\n",
	};
	static const size_t maxes[] = { 1024, 1500, 4096, 1 << 20 };
	struct fixture f;
	struct ipc_cmd cmd;
	struct wbuf one;
	size_t i, j, n, nslices;
	char *got;

	build_state(&f);
	/* 200 more clusters, so that a 64 KiB slice is not enough either. */
	for (i = 0; i < 200; i++) {
		char name[32];
		struct qnetd_cluster *cl;
		struct qnetd_client *c;

		snprintf(name, sizeof(name), "bulk%zu", i);
		cl = add_cluster(&f, name);
		for (j = 1; j <= 3; j++) {
			c = add_client(&f, cl, (uint32_t)j, "10.0.0.1:5000",
			    TLV_DECISION_ALGORITHM_FFSPLIT, TLV_TIE_BREAKER_MODE_LOWEST, 0);
			vote(c, TLV_VOTE_ACK, TLV_VOTE_ACK);
		}
	}
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		CHECK_EQ(ipc_cmd_parse(&cmd, reqs[i], strlen(reqs[i])), 0);
		wbuf_init(&one, 1 << 24);
		wbuf_put(&one, "OK\n", 3);
		if (cmd.type == IPC_CMD_LIST)
			CHECK_EQ(ipc_cmd_list(&f.inst, cmd.verbose, cmd.cluster_name, &one), 0);
		else
			CHECK_EQ(status_json(&f.inst, cmd.json_what, cmd.cluster_name, time(NULL),
			    &one), 0);
		ipc_cmd_destroy(&cmd);
		for (j = 0; j < sizeof(maxes) / sizeof(maxes[0]); j++) {
			got = stream_all(&f, reqs[i], maxes[j], &nslices);
			n = got != NULL ? strlen(got) : 0;
			CHECK(got != NULL && n == one.len && memcmp(got, one.data, n) == 0);
			if (got == NULL || n != one.len || memcmp(got, one.data, n) != 0)
				fprintf(stderr, "  request %s max %zu: %zu bytes, want %zu\n", reqs[i],
				    maxes[j], n, one.len);
			/* Slices are near min(max, 64 KiB) (the uptime in JSON may differ: no golden). */
			if (one.len > 70000 && maxes[j] == (1 << 20))
				CHECK(nslices >= one.len / 70000);
			if (one.len > 3000 && maxes[j] == 1024)
				CHECK(nslices >= one.len / 1024);
			free(got);
		}
		wbuf_destroy(&one);
	}
	fixture_destroy(&f);
}

/* An entry larger than the limit after the first slice: the stream fails (the daemon closes). */
static void
test_stream_entry_too_big(void)
{
	static struct node_info many[400];
	struct fixture f;
	struct wbuf wb;
	struct qnetd_client *c;
	struct ipc_cmd cmd;
	size_t i;
	char *got;

	for (i = 0; i < 400; i++)
		many[i].node_id = (uint32_t)(1000 + i);
	fixture_init(&f);
	c = add_client(&f, add_cluster(&f, "small"), 1, "127.0.0.1:1", TLV_DECISION_ALGORITHM_FFSPLIT,
	    TLV_TIE_BREAKER_MODE_LOWEST, 0);
	c = add_client(&f, add_cluster(&f, "big"), 1, "127.0.0.1:2", TLV_DECISION_ALGORITHM_FFSPLIT,
	    TLV_TIE_BREAKER_MODE_LOWEST, 0);
	set_list(&c->configuration_node_list, many, 400);	/* ~2.4 KB of text */

	got = reply_for(&f, "list\n", 5, 4096);
	CHECK(got != NULL && strstr(got, "Configured node list:\t1000, 1001") != NULL);
	free(got);
	CHECK(reply_for(&f, "list\n", 5, 1024) == NULL);
	CHECK_EQ(ipc_cmd_parse(&cmd, "list\n", 5), 0);
	wbuf_init(&wb, 0);
	CHECK_EQ(ipc_cmd_reply(&f.inst, &cmd, 1024, &wb), -1);
	/* What was sent before the close: "OK\n", the small cluster, the big one's head. */
	CHECK(wb.len > 3 && strncmp((char *)wb.data, "OK\nCluster \"small\"", 18) == 0 &&
	    memmem(wb.data, wb.len, "Cluster \"big\"", 13) != NULL &&
	    memmem(wb.data, wb.len, "Configured", 10) == NULL);
	wbuf_destroy(&wb);
	ipc_cmd_destroy(&cmd);
	CHECK(TAILQ_EMPTY(&f.inst.clusters.cursors));
	fixture_destroy(&f);
}

/*
 * Clients and clusters come and go between slices (real registry): no
 * freed element is touched (ASan), every line is well formed, every
 * cluster that stayed is listed once with its staying clients.
 */
static struct qnetd_client *
churn_client(struct cluster_registry *reg, unsigned cl, uint32_t node_id)
{
	struct qnetd_client *c;
	char name[32];

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		abort();
	client_state_init(c);
	snprintf(name, sizeof(name), "cl%u", cl);
	c->cluster_name = strdup(name);
	c->cluster_name_len = strlen(name);
	c->node_id = node_id;
	snprintf(c->addr_str, sizeof(c->addr_str), "127.0.0.1:%u", 1000 + cl);
	c->decision_algorithm = TLV_DECISION_ALGORITHM_FFSPLIT;
	c->tie_breaker.mode = TLV_TIE_BREAKER_MODE_LOWEST;
	if (cluster_registry_add_client(reg, c) == NULL)
		abort();
	return (c);
}

static void
churn_free(struct cluster_registry *reg, struct qnetd_client *c)
{

	cluster_registry_del_client(reg, c);
	client_state_destroy(c);
	free(c);
}

#define CHURN_CL 300

static int
starts(const char *s, const char *prefix)
{

	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

static void
test_stream_churn(void)
{
	static struct qnetd_client *node[CHURN_CL][3];
	struct fixture f;
	struct ipc_cmd cmd;
	struct ipc_stream *st;
	struct wbuf wb, all;
	unsigned i, k, seed = 7, round, listed[CHURN_CL];
	char *text, *line, *save;
	size_t len;

	fixture_init(&f);
	CHECK_EQ(cluster_registry_init(&f.inst.clusters), 0);
	/* Node 1 of every cluster stays, so every cluster is listed once; nodes 2 and 3 churn. */
	for (i = 0; i < CHURN_CL; i++)
		for (k = 0; k < 3; k++)
			node[i][k] = churn_client(&f.inst.clusters, i, k + 1);
	for (round = 0; round < 6; round++) {
		CHECK_EQ(ipc_cmd_parse(&cmd, round & 1 ? "list verbose\n" : "list\n", 5 + (round & 1) * 8), 0);
		wbuf_init(&wb, 0);
		wbuf_init(&all, 1 << 24);
		CHECK_EQ(ipc_cmd_reply_start(&f.inst, &cmd, 1024, &wb, &st), 0);
		CHECK(st != NULL);
		for (;;) {
			wbuf_put(&all, wb.data, wb.len);
			if (st == NULL)
				break;
			for (k = 0; k < 20; k++) {
				seed = seed * 1103515245u + 12345u;
				i = (seed >> 8) % CHURN_CL;
				unsigned n = 1 + (seed >> 24) % 2;

				if (node[i][n] != NULL) {
					churn_free(&f.inst.clusters, node[i][n]);
					node[i][n] = NULL;
				} else {
					node[i][n] = churn_client(&f.inst.clusters, i, n + 1);
				}
			}
			wbuf_reset(&wb);
			if (ipc_stream_fill(st, &wb) != IPC_STREAM_MORE) {
				ipc_stream_free(st);
				st = NULL;
			}
		}
		ipc_cmd_destroy(&cmd);
		wbuf_put_u8(&all, 0);
		text = (char *)wbuf_steal(&all, &len);
		CHECK(strncmp(text, "OK\n", 3) == 0);
		memset(listed, 0, sizeof(listed));
		for (line = strtok_r(text + 3, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			if (strncmp(line, "Cluster \"cl", 11) == 0) {
				i = (unsigned)atoi(line + 11);
				CHECK(i < CHURN_CL);
				if (i < CHURN_CL)
					listed[i]++;
			} else {
				CHECK(starts(line, "    Algorithm:\t\t") ||
				    starts(line, "    Tie-breaker:\t") || starts(line, "    Node ID ") ||
				    starts(line, "        "));
			}
		}
		for (i = 0; i < CHURN_CL; i++)
			CHECK_EQ(listed[i], 1);
		free(text);
		wbuf_destroy(&wb);
	}
	CHECK(TAILQ_EMPTY(&f.inst.clusters.cursors));
	/* A stream left open when the registry goes (shutdown) is harmless. */
	CHECK_EQ(ipc_cmd_parse(&cmd, "list\n", 5), 0);
	wbuf_init(&wb, 0);
	CHECK_EQ(ipc_cmd_reply_start(&f.inst, &cmd, 1024, &wb, &st), 0);
	ipc_cmd_destroy(&cmd);
	for (i = 0; i < CHURN_CL; i++)
		for (k = 0; k < 3; k++)
			if (node[i][k] != NULL)
				churn_free(&f.inst.clusters, node[i][k]);
	cluster_registry_destroy(&f.inst.clusters);
	if (st != NULL) {
		wbuf_reset(&wb);
		CHECK(ipc_stream_fill(st, &wb) == IPC_STREAM_DONE);
		ipc_stream_free(st);
	}
	wbuf_destroy(&wb);
}

int
main(void)
{

	test_status_golden();
	test_list_golden();
	test_list_more();
	test_parse();
	test_replies();
	test_reply_limits();
	test_stream_slices();
	test_stream_churn();
	test_stream_entry_too_big();

	return (check_exit("test_ipc_cmd"));
}
