/*
 * test_session.c - the session state machine without a socket: every
 * state x every message type (plus malformed variants) -> the exact reply
 * bytes and the next state, against a transport that records what the
 * session queued, armed and closed.
 *
 * The transport below is the session's injected interface itself
 * (struct session_transport), as the daemon's src/daemon/wire.c is: it
 * records instead of writing to a socket.  Expected replies are built
 * with the codec's server encoders (pinned byte for byte by test_msg.c
 * against captures of Debian's daemon), plus two frames written out in
 * hex here.  The outcome of each row is what the daemon answers today,
 * which tests/blackbox/test_proto_differential.py compares with Debian's.
 */
#include <stdlib.h>
#include <string.h>

#include "base/settings.h"
#include "check.h"
#include "codec/msg.h"
#include "core/cluster.h"
#include "extras/events.h"
#include "extras/metrics.h"
#include "hex.h"
#include "session/session.h"

#define SEQ 7u
#define NODE 1u
#define HB 8000u

/* ---- the recording transport ---- */

struct fake {
	struct qnetd_client c; /* first member: the transport gets &c */
	struct wbuf sent;      /* every queued message, back to back */
	unsigned queued;
	unsigned closes;
	const char *close_reason;
	unsigned start_tls_calls;
	unsigned certs_verified;
	int peer_name_ok;
	int input_pending;
	int armed[SESSION_TIMER_COUNT];
	uint64_t expire[SESSION_TIMER_COUNT];
};

static uint64_t now_ms = 1000000;

static struct fake *
fake_of(struct qnetd_client *client)
{
	return ((struct fake *)client);
}

static int
f_queue(struct qnetd_client *client, const uint8_t *data, size_t len)
{
	struct fake *f = fake_of(client);

	f->queued++;
	return (wbuf_put(&f->sent, data, len));
}

static int
f_start_tls(struct qnetd_client *client)
{
	fake_of(client)->start_tls_calls++;
	return (0);
}

static void
f_close(struct qnetd_client *client, const char *reason)
{
	fake_of(client)->closes++;
	fake_of(client)->close_reason = reason;
}

static int
f_input_pending(struct qnetd_client *client)
{
	return (fake_of(client)->input_pending);
}

static int
f_check_peer_name(struct qnetd_client *client, const char *name, char *why, size_t why_len)
{
	(void)name;
	snprintf(why, why_len, "test says no");
	return (fake_of(client)->peer_name_ok ? 0 : -1);
}

static void
f_cert_verified(struct qnetd_client *client)
{
	fake_of(client)->certs_verified++;
}

static uint64_t
f_now_ms(void)
{
	return (now_ms);
}

static int
f_timer_arm(struct qnetd_client *client, enum session_timer t, uint64_t ms)
{
	fake_of(client)->armed[t] = 1;
	fake_of(client)->expire[t] = now_ms + ms;
	return (0);
}

static void
f_timer_disarm(struct qnetd_client *client, enum session_timer t)
{
	fake_of(client)->armed[t] = 0;
}

static int
f_timer_expiry(struct qnetd_client *client, enum session_timer t, uint64_t *expire_ms)
{
	if (!fake_of(client)->armed[t])
		return (0);
	*expire_ms = fake_of(client)->expire[t];
	return (1);
}

static const struct session_transport fake_transport = {
	.queue = f_queue,
	.start_tls = f_start_tls,
	.close = f_close,
	.input_pending = f_input_pending,
	.check_peer_name = f_check_peer_name,
	.cert_verified = f_cert_verified,
	.now_ms = f_now_ms,
	.timer_arm = f_timer_arm,
	.timer_disarm = f_timer_disarm,
	.timer_expiry = f_timer_expiry,
};

/* The session's reports go to the real events module (metrics, conflicts). */
static const struct session_observer events_observer = {
	.vote = events_vote,
	.client_init = events_client_init,
	.cert_rejected = events_cert_rejected,
	.duplicate_node_id = events_duplicate_node_id,
};

/* ---- fixture ---- */

static struct qnetd_settings settings;
static struct cluster_registry clusters;
static struct session_ctx ctx;
static const struct tlv_tie_breaker tb = { TLV_TIE_BREAKER_MODE_LOWEST, 0 };
static const struct tlv_ring_id ring = { 1, 4 };

static void
fake_start(struct fake *f, uint64_t id)
{
	memset(f, 0, sizeof(*f));
	client_state_init(&f->c);
	f->c.id = id;
	snprintf(f->c.addr_str, sizeof(f->c.addr_str), "192.0.2.1:%u", (unsigned)id);
	f->peer_name_ok = 1;
	wbuf_init(&f->sent, 1 << 20);
	CHECK_EQ(session_client_accepted(&ctx, &f->c), 0);
}

static void
fake_stop(struct fake *f)
{
	session_client_disconnect(&f->c, 0);
	client_state_destroy(&f->c);
	wbuf_destroy(&f->sent);
}

static void
feed(struct fake *f, struct wbuf *w)
{
	CHECK(!w->failed);
	session_msg_received(&f->c, w->data, w->len);
	wbuf_reset(w);
}

static void
forget_sent(struct fake *f)
{
	wbuf_reset(&f->sent);
	f->queued = 0;
}

static void
send_init(struct fake *f, uint32_t node, struct wbuf *w)
{
	msg_create_init(w, 1, SEQ, 1, node, TLV_DECISION_ALGORITHM_TEST, HB, &tb, &ring);
	feed(f, w);
}

/* Drive a new client through the protocol to state `to` (TLS on the way if tls). */
static void
reach(struct fake *f, enum client_state to, int tls)
{
	struct wbuf w;

	wbuf_init(&w, 1 << 16);
	if (to == CLIENT_STATE_CLOSING) /* from ACCEPTED, by the INIT deadline */
		session_timer_fired(&f->c, SESSION_TIMER_DEADLINE);
	if (to >= CLIENT_STATE_PREINIT_DONE && to != CLIENT_STATE_CLOSING) {
		msg_create_preinit(&w, 1, 1, "c1", 2);
		feed(f, &w);
	}
	if (to == CLIENT_STATE_TLS_STARTED || (to == CLIENT_STATE_INITIALISED && tls)) {
		msg_create_starttls(&w, 1, 2);
		feed(f, &w);
	}
	if (to == CLIENT_STATE_INITIALISED)
		send_init(f, NODE, &w);
	CHECK_EQ(f->c.state, to);
	forget_sent(f);
	wbuf_destroy(&w);
}

/* ---- the messages of the table ---- */

enum mk {
	MK_PREINIT,
	MK_STARTTLS,
	MK_INIT,
	MK_SET_OPTION,
	MK_ECHO,
	MK_NODE_LIST,
	MK_ASK_FOR_VOTE,
	MK_VOTE_INFO_REPLY,
	MK_HEURISTICS_CHANGE,
	/* server-to-client types */
	MK_PREINIT_REPLY,
	MK_INIT_REPLY,
	MK_SERVER_ERROR,
	MK_SET_OPTION_REPLY,
	MK_ECHO_REPLY,
	MK_NODE_LIST_REPLY,
	MK_ASK_FOR_VOTE_REPLY,
	MK_VOTE_INFO,
	MK_HEURISTICS_CHANGE_REPLY,
	/* malformed */
	MK_PREINIT_NO_NAME,
	MK_INIT_SEQ_ONLY,
	MK_INIT_BAD_HB,
	MK_SET_OPTION_BAD_HB,
	MK_NODE_LIST_NO_SEQ,
	MK_NODE_LIST_QUORUM_NO_QUORATE,
	MK_ASK_NO_SEQ,
	MK_VOTE_INFO_REPLY_NO_SEQ,
	MK_VOTE_INFO_REPLY_WRONG_SEQ,
	MK_HEURISTICS_UNDEFINED,
	MK_SEQ_BAD_LENGTH,
	MK_EMPTY_BODY,
	MK_COUNT
};

static void
put_hex(struct wbuf *w, const char *hex)
{
	uint8_t buf[256];

	wbuf_put(w, buf, hex_decode(hex, buf, sizeof(buf)));
}

static void
build_server_type(enum mk k, struct wbuf *w)
{
	static const uint8_t echo[] = { 0, 8, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 7 };

	switch (k) {
	case MK_PREINIT_REPLY:
		msg_create_preinit_reply(w, 1, SEQ, TLV_TLS_SUPPORTED, 0);
		break;
	case MK_INIT_REPLY:
		msg_create_init_reply(w, 0, 0, 0, 1, SEQ, 1000, 1000, NULL, 0);
		break;
	case MK_SERVER_ERROR:
		msg_create_server_error(w, 1, SEQ, TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
		break;
	case MK_SET_OPTION_REPLY:
		msg_create_set_option_reply(w, 1, SEQ, 1, HB, 0, 0);
		break;
	case MK_ECHO_REPLY:
		msg_create_echo_reply(w, echo, sizeof(echo));
		break;
	case MK_NODE_LIST_REPLY:
		msg_create_node_list_reply(w, SEQ, TLV_NODE_LIST_TYPE_MEMBERSHIP, &ring,
		    TLV_VOTE_ACK);
		break;
	case MK_ASK_FOR_VOTE_REPLY:
		msg_create_ask_for_vote_reply(w, SEQ, &ring, TLV_VOTE_ACK);
		break;
	case MK_VOTE_INFO:
		msg_create_vote_info(w, SEQ, &ring, TLV_VOTE_ACK);
		break;
	default:
		msg_create_heuristics_change_reply(w, SEQ, TLV_HEURISTICS_PASS, &ring,
		    TLV_VOTE_ACK);
		break;
	}
}

static void
build_malformed(enum mk k, struct wbuf *w)
{
	switch (k) {
	case MK_PREINIT_NO_NAME: /* PREINIT, seq 7 only */
		put_hex(w, "0000 00000008 | 0000 0004 00000007");
		break;
	case MK_INIT_SEQ_ONLY: /* INIT, seq 7 only */
		put_hex(w, "0003 00000008 | 0000 0004 00000007");
		break;
	case MK_INIT_BAD_HB:
		msg_create_init(w, 1, SEQ, 1, NODE, TLV_DECISION_ALGORITHM_TEST, 1, &tb, &ring);
		break;
	case MK_SET_OPTION_BAD_HB:
		msg_create_set_option(w, 1, SEQ, 1, 1, 0, 0);
		break;
	case MK_NODE_LIST_NO_SEQ: /* NODE_LIST, type membership only */
		put_hex(w, "000a 00000005 | 0012 0001 02");
		break;
	case MK_NODE_LIST_QUORUM_NO_QUORATE:
		msg_create_node_list(w, SEQ, TLV_NODE_LIST_TYPE_QUORUM, NULL, 0, 0, 0, 0, NULL,
		    TLV_HEURISTICS_UNDEFINED);
		break;
	case MK_ASK_NO_SEQ: /* ASK_FOR_VOTE with one unknown (ignored) option */
		put_hex(w, "000c 00000004 | 0063 0000");
		break;
	case MK_VOTE_INFO_REPLY_NO_SEQ:
		put_hex(w, "000f 00000004 | 0063 0000");
		break;
	case MK_VOTE_INFO_REPLY_WRONG_SEQ: /* no VOTE_INFO was ever sent */
		msg_create_vote_info_reply(w, 99);
		break;
	case MK_HEURISTICS_UNDEFINED: /* HEURISTICS_CHANGE, seq 7, heuristics 0 (undefined) */
		put_hex(w, "0010 0000000d | 0000 0004 00000007 | 0016 0001 00");
		break;
	case MK_SEQ_BAD_LENGTH: /* ECHO_REQUEST whose seq option is 2 bytes long */
		put_hex(w, "0008 00000006 | 0000 0002 0007");
		break;
	default: /* MK_EMPTY_BODY: ECHO_REQUEST without a body */
		put_hex(w, "0008 00000000");
		break;
	}
}

static void
build(enum mk k, struct wbuf *w)
{
	switch (k) {
	case MK_PREINIT:
		msg_create_preinit(w, 1, SEQ, "c1", 2);
		break;
	case MK_STARTTLS:
		msg_create_starttls(w, 1, SEQ);
		break;
	case MK_INIT:
		msg_create_init(w, 1, SEQ, 1, NODE, TLV_DECISION_ALGORITHM_TEST, HB, &tb, &ring);
		break;
	case MK_SET_OPTION:
		msg_create_set_option(w, 1, SEQ, 1, HB, 1, 1);
		break;
	case MK_ECHO:
		msg_create_echo_request(w, 1, SEQ);
		break;
	case MK_NODE_LIST:
		msg_create_node_list(w, SEQ, TLV_NODE_LIST_TYPE_MEMBERSHIP, &ring, 0, 0, 0, 0,
		    NULL, TLV_HEURISTICS_UNDEFINED);
		break;
	case MK_ASK_FOR_VOTE:
		msg_create_ask_for_vote(w, SEQ);
		break;
	case MK_VOTE_INFO_REPLY:
		msg_create_vote_info_reply(w, SEQ);
		break;
	case MK_HEURISTICS_CHANGE:
		msg_create_heuristics_change(w, SEQ, TLV_HEURISTICS_PASS);
		break;
	default:
		if (k < MK_PREINIT_NO_NAME)
			build_server_type(k, w);
		else
			build_malformed(k, w);
		break;
	}
}

/* ---- expected replies ---- */

enum rep {
	R_NONE,      /* nothing queued */
	R_ERROR,     /* SERVER_ERROR(seq 7, code) */
	R_ERROR_NS,  /* SERVER_ERROR(no seq, code) */
	R_PREINIT,   /* PREINIT_REPLY(seq 7, the settings' TLS mode) */
	R_INIT,      /* INIT_REPLY(code, seq 7) with the supported lists */
	R_INIT_BARE, /* INIT_REPLY(code, seq 7) for an INIT that asked for no lists */
	R_SET_OPT,   /* SET_OPTION_REPLY(seq 7, hb 8000, kap 1) */
	R_ECHO,      /* ECHO_REPLY of the request */
	R_NODE_LIST, /* NODE_LIST_REPLY(seq 7, membership, ring, ACK) */
	R_ASK,       /* ASK_FOR_VOTE_REPLY(seq 7, ring, ACK) */
	R_HEUR,      /* HEURISTICS_CHANGE_REPLY(seq 7, pass, ring, NO_CHANGE) */
};

static void
expect(enum rep r, enum tlv_reply_error_code code, enum mk k, struct wbuf *w)
{
	static const uint16_t algos[] = { 0, 1, 2, 3 };
	struct wbuf req;

	switch (r) {
	case R_NONE:
		break;
	case R_ERROR:
	case R_ERROR_NS:
		msg_create_server_error(w, r == R_ERROR, SEQ, code);
		break;
	case R_PREINIT:
		msg_create_preinit_reply(w, 1, SEQ, settings.tls, settings.tls_client_cert_required);
		break;
	case R_INIT:
	case R_INIT_BARE:
		msg_create_init_reply(w, code, r == R_INIT, r == R_INIT, 1, SEQ, settings.max_client_receive_size,
		    settings.max_client_send_size, algos, 4);
		break;
	case R_SET_OPT:
		msg_create_set_option_reply(w, 1, SEQ, 1, HB, 1, 1);
		break;
	case R_ECHO:
		wbuf_init(&req, 1 << 16);
		build(k, &req);
		msg_create_echo_reply(w, req.data, req.len);
		wbuf_destroy(&req);
		break;
	case R_NODE_LIST:
		msg_create_node_list_reply(w, SEQ, TLV_NODE_LIST_TYPE_MEMBERSHIP, &ring,
		    TLV_VOTE_ACK);
		break;
	case R_ASK:
		msg_create_ask_for_vote_reply(w, SEQ, &ring, TLV_VOTE_ACK);
		break;
	case R_HEUR:
		msg_create_heuristics_change_reply(w, SEQ, TLV_HEURISTICS_PASS, &ring,
		    TLV_VOTE_NO_CHANGE);
		break;
	}
}

/* ---- the table ---- */

struct row {
	enum client_state from;
	int tls; /* reach `from` over STARTTLS */
	enum mk msg;
	enum rep rep;
	enum tlv_reply_error_code code;
	enum client_state to;
	int closes;
};

#define A CLIENT_STATE_ACCEPTED
#define P CLIENT_STATE_PREINIT_DONE
#define T CLIENT_STATE_TLS_STARTED
#define I CLIENT_STATE_INITIALISED
#define C CLIENT_STATE_CLOSING
#define E(x) TLV_REPLY_ERROR_CODE_##x
#define OK E(NO_ERROR)

/* With the default settings: TLS supported (-s on), client certificate required. */
static const struct row rows[] = {
	/* PREINIT: legal everywhere; the state only moves from ACCEPTED */
	{ A, 0, MK_PREINIT, R_PREINIT, OK, P, 0 },
	{ P, 0, MK_PREINIT, R_PREINIT, OK, P, 0 },
	{ T, 1, MK_PREINIT, R_PREINIT, OK, T, 0 },
	{ I, 0, MK_PREINIT, R_PREINIT, OK, I, 0 },
	{ I, 1, MK_PREINIT, R_PREINIT, OK, I, 0 },
	/* STARTTLS: needs PREINIT; a second one on TLS closes; after a plain INIT it is taken */
	{ A, 0, MK_STARTTLS, R_ERROR, E(PREINIT_REQUIRED), A, 0 },
	{ P, 0, MK_STARTTLS, R_NONE, OK, T, 0 },
	{ T, 1, MK_STARTTLS, R_NONE, OK, C, 1 },
	{ I, 0, MK_STARTTLS, R_NONE, OK, I, 0 },
	{ I, 1, MK_STARTTLS, R_NONE, OK, C, 1 },
	/* INIT: PREINIT first; a second INIT is a duplicate (upstream's 17) */
	{ A, 0, MK_INIT, R_INIT, E(PREINIT_REQUIRED), A, 0 },
	{ P, 0, MK_INIT, R_INIT, OK, I, 0 },
	{ T, 1, MK_INIT, R_INIT, OK, I, 0 },
	{ I, 0, MK_INIT, R_INIT, E(DUPLICATE_NODE_ID), I, 0 },
	{ I, 1, MK_INIT, R_INIT, E(DUPLICATE_NODE_ID), I, 0 },
	/* the post-INIT requests: INIT_REQUIRED before */
	{ A, 0, MK_SET_OPTION, R_ERROR, E(INIT_REQUIRED), A, 0 },
	{ P, 0, MK_SET_OPTION, R_ERROR, E(INIT_REQUIRED), P, 0 },
	{ T, 1, MK_SET_OPTION, R_ERROR, E(INIT_REQUIRED), T, 0 },
	{ I, 0, MK_SET_OPTION, R_SET_OPT, OK, I, 0 },
	{ A, 0, MK_ECHO, R_ERROR, E(INIT_REQUIRED), A, 0 },
	{ P, 0, MK_ECHO, R_ERROR, E(INIT_REQUIRED), P, 0 },
	{ T, 1, MK_ECHO, R_ERROR, E(INIT_REQUIRED), T, 0 },
	{ I, 0, MK_ECHO, R_ECHO, OK, I, 0 },
	{ I, 1, MK_ECHO, R_ECHO, OK, I, 0 },
	{ A, 0, MK_NODE_LIST, R_ERROR, E(INIT_REQUIRED), A, 0 },
	{ P, 0, MK_NODE_LIST, R_ERROR, E(INIT_REQUIRED), P, 0 },
	{ T, 1, MK_NODE_LIST, R_ERROR, E(INIT_REQUIRED), T, 0 },
	{ I, 0, MK_NODE_LIST, R_NODE_LIST, OK, I, 0 },
	{ A, 0, MK_ASK_FOR_VOTE, R_ERROR, E(INIT_REQUIRED), A, 0 },
	{ P, 0, MK_ASK_FOR_VOTE, R_ERROR, E(INIT_REQUIRED), P, 0 },
	{ T, 1, MK_ASK_FOR_VOTE, R_ERROR, E(INIT_REQUIRED), T, 0 },
	{ I, 0, MK_ASK_FOR_VOTE, R_ASK, OK, I, 0 },
	{ A, 0, MK_VOTE_INFO_REPLY, R_ERROR, E(INIT_REQUIRED), A, 0 },
	{ P, 0, MK_VOTE_INFO_REPLY, R_ERROR, E(INIT_REQUIRED), P, 0 },
	{ T, 1, MK_VOTE_INFO_REPLY, R_ERROR, E(INIT_REQUIRED), T, 0 },
	{ I, 0, MK_VOTE_INFO_REPLY, R_NONE, OK, I, 0 },
	{ A, 0, MK_HEURISTICS_CHANGE, R_ERROR, E(INIT_REQUIRED), A, 0 },
	{ P, 0, MK_HEURISTICS_CHANGE, R_ERROR, E(INIT_REQUIRED), P, 0 },
	{ T, 1, MK_HEURISTICS_CHANGE, R_ERROR, E(INIT_REQUIRED), T, 0 },
	{ I, 0, MK_HEURISTICS_CHANGE, R_HEUR, OK, I, 0 },
	/* malformed variants */
	{ A, 0, MK_PREINIT_NO_NAME, R_ERROR, E(DOESNT_CONTAIN_REQUIRED_OPTION), A, 0 },
	{ I, 0, MK_PREINIT_NO_NAME, R_ERROR, E(DOESNT_CONTAIN_REQUIRED_OPTION), I, 0 },
	/* upstream's precedence: the heartbeat check replaces an earlier error */
	{ A, 0, MK_INIT_SEQ_ONLY, R_INIT_BARE, E(INVALID_HEARTBEAT_INTERVAL), A, 0 },
	{ P, 0, MK_INIT_SEQ_ONLY, R_INIT_BARE, E(INVALID_HEARTBEAT_INTERVAL), P, 0 },
	{ P, 0, MK_INIT_BAD_HB, R_INIT, E(INVALID_HEARTBEAT_INTERVAL), P, 0 },
	{ I, 0, MK_SET_OPTION_BAD_HB, R_ERROR, E(INVALID_HEARTBEAT_INTERVAL), I, 0 },
	{ P, 0, MK_SET_OPTION_BAD_HB, R_ERROR, E(INIT_REQUIRED), P, 0 },
	{ I, 0, MK_NODE_LIST_NO_SEQ, R_ERROR_NS, E(DOESNT_CONTAIN_REQUIRED_OPTION), I, 0 },
	{ I, 0, MK_NODE_LIST_QUORUM_NO_QUORATE, R_ERROR, E(DOESNT_CONTAIN_REQUIRED_OPTION), I,
	    0 },
	{ A, 0, MK_ASK_NO_SEQ, R_ERROR_NS, E(INIT_REQUIRED), A, 0 },
	{ I, 0, MK_ASK_NO_SEQ, R_ERROR_NS, E(DOESNT_CONTAIN_REQUIRED_OPTION), I, 0 },
	{ I, 0, MK_VOTE_INFO_REPLY_NO_SEQ, R_ERROR_NS, E(DOESNT_CONTAIN_REQUIRED_OPTION), I, 0 },
	{ I, 0, MK_VOTE_INFO_REPLY_WRONG_SEQ, R_NONE, OK, I, 0 },
	/* the decoder refuses heuristics 0: a decoding error that keeps the seq */
	{ I, 0, MK_HEURISTICS_UNDEFINED, R_ERROR, E(ERROR_DECODING_MSG), I, 0 },
	{ A, 0, MK_SEQ_BAD_LENGTH, R_ERROR_NS, E(ERROR_DECODING_MSG), A, 0 },
	{ I, 0, MK_SEQ_BAD_LENGTH, R_ERROR_NS, E(ERROR_DECODING_MSG), I, 0 },
	{ P, 0, MK_EMPTY_BODY, R_ERROR_NS, E(ERROR_DECODING_MSG), P, 0 },
};

/* Server-to-client types: UNEXPECTED_MESSAGE in every live state. */
static const enum mk server_types[] = { MK_PREINIT_REPLY, MK_INIT_REPLY, MK_SERVER_ERROR,
	MK_SET_OPTION_REPLY, MK_ECHO_REPLY, MK_NODE_LIST_REPLY, MK_ASK_FOR_VOTE_REPLY,
	MK_VOTE_INFO, MK_HEURISTICS_CHANGE_REPLY };

/* 1 if two buffers hold the same bytes (either may be empty, data NULL). */
static int
same(const struct wbuf *a, const struct wbuf *b)
{
	return (a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0));
}

static void
dump(const char *what, const struct wbuf *w)
{
	size_t i;

	fprintf(stderr, "  %s ", what);
	for (i = 0; i < w->len; i++)
		fprintf(stderr, "%02x", w->data[i]);
	fprintf(stderr, "\n");
}

static void
run_row(const struct row *r, unsigned n)
{
	struct fake f;
	struct wbuf w, want;

	wbuf_init(&w, 1 << 16);
	wbuf_init(&want, 1 << 16);
	fake_start(&f, 1000 + n);
	reach(&f, r->from, r->tls);
	build(r->msg, &w);
	feed(&f, &w);
	expect(r->rep, r->code, r->msg, &want);
	CHECK(same(&f.sent, &want));
	if (!same(&f.sent, &want)) {
		fprintf(stderr, "row %u: %s + message %d: reply differs\n", n,
		    client_state_name(r->from), (int)r->msg);
		dump("got ", &f.sent);
		dump("want", &want);
	}
	if (f.c.state != r->to)
		fprintf(stderr, "row %u: %s -> %s, want %s\n", n, client_state_name(r->from),
		    client_state_name(f.c.state), client_state_name(r->to));
	CHECK_EQ(f.c.state, r->to);
	CHECK_EQ(f.closes, r->closes);
	fake_stop(&f);
	wbuf_destroy(&w);
	wbuf_destroy(&want);
}

static void
test_table(void)
{
	struct row r = { A, 0, MK_PREINIT, R_ERROR, E(UNEXPECTED_MESSAGE), A, 0 };
	const enum client_state live[] = { A, P, T, I };
	unsigned i, j, n = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i], n++);
	for (i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		for (j = 0; j < sizeof(server_types) / sizeof(server_types[0]); j++) {
			r.from = r.to = live[i];
			r.tls = live[i] == T;
			r.msg = server_types[j];
			run_row(&r, n++);
		}
	}
}

/* CLOSING: every message, well-formed or not, is dropped without a reply. */
static void
test_closing(void)
{
	struct fake f;
	struct wbuf w;
	int k;

	wbuf_init(&w, 1 << 16);
	fake_start(&f, 2000);
	reach(&f, C, 0);
	CHECK_EQ(f.closes, 1);
	CHECK(strcmp(f.close_reason, "handshake timeout") == 0);
	for (k = 0; k < MK_COUNT; k++) {
		build((enum mk)k, &w);
		feed(&f, &w);
	}
	session_msg_skipped(&f.c, E(MESSAGE_TOO_LONG));
	session_timer_fired(&f.c, SESSION_TIMER_DPD);
	CHECK_EQ(f.queued, 0);
	CHECK_EQ(f.closes, 1);
	CHECK_EQ(f.c.state, C);
	CHECK_EQ(f.c.closed_in, A);
	fake_stop(&f);
	wbuf_destroy(&w);
}

/* Two frames written out by hand: the table's encoders agree with them. */
static void
test_hex_anchors(void)
{
	struct fake f;
	struct wbuf w;
	uint8_t want[64];
	size_t n;

	wbuf_init(&w, 1 << 16);
	fake_start(&f, 2100);
	build(MK_VOTE_INFO, &w); /* a server type from a client: error 8, seq 7 */
	feed(&f, &w);
	n = hex_decode("0005 0000000e | 0000 0004 00000007 | 0006 0002 0008", want, sizeof(want));
	CHECK_MEM(f.sent.data, f.sent.len, want, n);
	forget_sent(&f);
	session_msg_skipped(&f.c, E(UNSUPPORTED_MESSAGE)); /* unknown type: error 4, no seq */
	n = hex_decode("0005 00000006 | 0006 0002 0004", want, sizeof(want));
	CHECK_MEM(f.sent.data, f.sent.len, want, n);
	fake_stop(&f);
	wbuf_destroy(&w);
}

/* ---- the TLS gate (-s req) and the client certificate ---- */

static void
test_tls_required(void)
{
	const struct row req_rows[] = {
		{ P, 0, MK_INIT, R_ERROR, E(TLS_REQUIRED), P, 0 },
		{ A, 0, MK_INIT, R_ERROR, E(TLS_REQUIRED), A, 0 },
		{ P, 0, MK_ECHO, R_ERROR, E(TLS_REQUIRED), P, 0 },
		{ P, 0, MK_NODE_LIST, R_ERROR, E(TLS_REQUIRED), P, 0 },
		{ P, 0, MK_VOTE_INFO, R_ERROR, E(UNEXPECTED_MESSAGE), P, 0 },
		{ P, 0, MK_PREINIT, R_PREINIT, OK, P, 0 },
		{ P, 0, MK_STARTTLS, R_NONE, OK, T, 0 },
		{ T, 1, MK_INIT, R_INIT, OK, I, 0 },
	};
	unsigned i;

	settings.tls = TLV_TLS_REQUIRED;
	for (i = 0; i < sizeof(req_rows) / sizeof(req_rows[0]); i++)
		run_row(&req_rows[i], 500 + i);
	settings.tls = TLV_TLS_SUPPORTED;
}

static void
test_cert_rejected(void)
{
	struct fake f;
	struct wbuf w;

	wbuf_init(&w, 1 << 16);
	fake_start(&f, 2200);
	reach(&f, T, 1);
	f.peer_name_ok = 0;
	send_init(&f, NODE, &w);
	CHECK_EQ(f.queued, 0);
	CHECK_EQ(f.c.state, C);
	CHECK_EQ(f.closes, 1);
	CHECK(strcmp(f.close_reason, "client certificate rejected") == 0);
	CHECK(!f.c.tls_peer_certificate_verified);
	CHECK_EQ(f.certs_verified, 0);
	fake_stop(&f);

	fake_start(&f, 2201);
	reach(&f, I, 1);
	CHECK(f.c.tls_started && f.c.tls_peer_certificate_verified);
	CHECK_EQ(f.start_tls_calls, 1);
	CHECK_EQ(f.certs_verified, 1); /* once, at the first gated message */
	fake_stop(&f);
	wbuf_destroy(&w);
}

/* ---- timers ---- */

static void
test_timers(void)
{
	static const uint8_t echo_frame[] = { 0, 8, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 7 };
	struct fake f;

	fake_start(&f, 2300);
	CHECK(f.armed[SESSION_TIMER_DPD] && f.armed[SESSION_TIMER_DEADLINE]);
	reach(&f, I, 0);
	CHECK(!f.armed[SESSION_TIMER_DEADLINE]); /* INIT came in time */
	/* The deadline moved with the INIT; a timer due early re-arms for the rest. */
	now_ms += 1000;
	session_timer_fired(&f.c, SESSION_TIMER_DPD);
	CHECK_EQ(f.closes, 0);
	CHECK_EQ(f.expire[SESSION_TIMER_DPD], f.c.dpd_due_ms);
	CHECK_EQ(f.c.dpd_timer_ms, f.expire[SESSION_TIMER_DPD]);
	/* A later message only moves the deadline: the timer stays where it is. */
	now_ms += 500;
	session_msg_received(&f.c, echo_frame, sizeof(echo_frame));
	CHECK_EQ(f.c.dpd_due_ms, now_ms + HB * settings.dpd_interval_coefficient);
	CHECK(f.expire[SESSION_TIMER_DPD] < f.c.dpd_due_ms);
	session_timer_fired(&f.c, SESSION_TIMER_DPD);
	CHECK_EQ(f.expire[SESSION_TIMER_DPD], f.c.dpd_due_ms);
	CHECK_EQ(f.c.dpd_timer_ms, f.expire[SESSION_TIMER_DPD]);
	/* Due, but the peer's message waits unread: a grace period. */
	now_ms = f.c.dpd_due_ms;
	f.input_pending = 1;
	session_timer_fired(&f.c, SESSION_TIMER_DPD);
	CHECK_EQ(f.closes, 0);
	CHECK_EQ(f.expire[SESSION_TIMER_DPD], now_ms + 1000);
	CHECK_EQ(f.c.dpd_timer_ms, now_ms + 1000);
	f.input_pending = 0;
	now_ms += 1000;
	session_timer_fired(&f.c, SESSION_TIMER_DPD);
	CHECK_EQ(f.closes, 1);
	CHECK(strcmp(f.close_reason, "dead peer detected") == 0);
	CHECK_EQ(f.c.state, C);
	CHECK_EQ(f.c.closed_in, I);
	CHECK(client_initialised(&f.c));
	fake_stop(&f);
}

/* ---- a repeated INIT is not an identity conflict ---- */

static void
test_repeated_init_no_conflict(void)
{
	struct fake a, b;
	struct wbuf w, want;
	const struct events_conflict *rec;
	uint64_t before = metrics_get(M_CONFLICTS_NODE_ID);

	wbuf_init(&w, 1 << 16);
	wbuf_init(&want, 1 << 16);
	fake_start(&a, 2400);
	reach(&a, I, 0);
	/* The same client, INIT again with another node id: 17, nothing reported. */
	send_init(&a, NODE + 1, &w);
	expect(R_INIT, E(DUPLICATE_NODE_ID), MK_INIT, &want);
	CHECK_MEM(a.sent.data, a.sent.len, want.data, want.len);
	CHECK_EQ(metrics_get(M_CONFLICTS_NODE_ID), before);
	CHECK_EQ(events_conflicts(&rec), 0);
	CHECK_EQ(a.c.node_id, NODE);
	/* Another client claiming node 1: a real conflict. */
	fake_start(&b, 2401);
	reach(&b, P, 0);
	send_init(&b, NODE, &w);
	CHECK_MEM(b.sent.data, b.sent.len, want.data, want.len);
	CHECK_EQ(metrics_get(M_CONFLICTS_NODE_ID), before + 1);
	CHECK_EQ(events_conflicts(&rec), 1);
	CHECK(strcmp(rec[0].peer_a, a.c.addr_str) == 0 && strcmp(rec[0].peer_b, b.c.addr_str) == 0);
	CHECK_EQ(b.c.state, P);
	fake_stop(&b);
	fake_stop(&a);
	wbuf_destroy(&w);
	wbuf_destroy(&want);
}

/* ---- the transition table itself ---- */

static void
test_transitions(void)
{
	static const int want[CLIENT_STATE_COUNT][CLIENT_STATE_COUNT] = {
		/*        A  P  T  I  C */
		/* A */ { 0, 1, 0, 0, 1 },
		/* P */ { 0, 1, 1, 1, 1 },
		/* T */ { 0, 0, 1, 1, 1 },
		/* I */ { 0, 0, 0, 0, 1 },
		/* C */ { 0, 0, 0, 0, 0 },
	};
	struct qnetd_client c;
	int from, to;

	for (from = 0; from < CLIENT_STATE_COUNT; from++) {
		for (to = 0; to < CLIENT_STATE_COUNT; to++) {
			CHECK_EQ(client_state_allowed(from, to), want[from][to]);
			client_state_init(&c);
			c.state = (enum client_state)from; /* fixture: put it there */
			CHECK_EQ(client_state_move(&c, to), want[from][to] ? 0 : -1);
			CHECK_EQ(c.state, want[from][to] ? to : from);
			client_state_destroy(&c);
		}
	}
	CHECK_EQ(client_state_allowed(CLIENT_STATE_COUNT, A), 0);
}

int
main(void)
{
	if (settings_init(&settings) != 0 || cluster_registry_init(&clusters) != 0)
		return (2);
	settings.tls = TLV_TLS_SUPPORTED;
	settings.tls_client_cert_required = 1;
	session_ctx_init(&ctx, &settings, &clusters, &fake_transport, &events_observer);
	test_transitions();
	test_table();
	test_closing();
	test_hex_anchors();
	test_tls_required();
	test_cert_rejected();
	test_timers();
	test_repeated_init_no_conflict();
	session_ctx_destroy(&ctx);
	cluster_registry_destroy(&clusters);
	settings_destroy(&settings);
	return (check_exit("test_session"));
}
