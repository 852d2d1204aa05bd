/*
 * session.c - the protocol state machine of one client (protocol.md §2;
 * docs/design.md, "State machine and ownership").
 *
 * dispatch() checks each message against its type's rule (TLS gate, then
 * the client's state) before the handler runs; the handler then checks
 * required TLVs and ranges, using only the decoded message, replies with
 * the protocol's error if needed, and only then changes the client.
 * Protocol errors never close the connection; a reply that cannot be
 * queued does.  The transport is reached only through ctx->tp.
 */
#include <stdlib.h>
#include <string.h>

#include "algo/algo.h"
#include "base/log.h"
#include "codec/msg.h"
#include "core/cluster.h"
#include "core/metrics_counters.h"
#include "session/session.h"

#define PREINIT_HB 120000u
#define TIMER_MAX_INTERVAL 18000000ull /* upstream's timer limit: 5 h */

session_preinit_hook_fn session_preinit_hook;
static const uint16_t supported_algorithms[] = { 0, 1, 2, 3 };

typedef void (*msg_handler)(struct qnetd_client *client, const struct msg_decoded *m,
    const uint8_t *raw, size_t raw_len);

/*
 * What a message type needs before its handler runs, checked in this
 * order by dispatch(): the TLS gate (tls_gate), then the state (the
 * client must have reached min_state, else state_error is the reply).
 * INIT checks its state inside its validation, where upstream's order of
 * checks puts it (init_validate()).
 */
struct msg_rule {
	msg_handler handler;
	unsigned tls_gate : 1;
	enum client_state min_state;
	enum tlv_reply_error_code state_error;
};

static struct session_ctx *
ctx_of(const struct qnetd_client *client)
{
	return (client->session);
}

/* Close the client at the next safe point (state CLOSING, transport told once). */
static void
session_close(struct qnetd_client *client, const char *reason)
{
	if (client_closing(client))
		return;
	client_state_move(client, CLIENT_STATE_CLOSING);
	ctx_of(client)->tp->close(client, reason);
}

/* ---- sending ---- */

/* Queue what ctx->out holds; on failure close the client.  0 or -1. */
static int
queue_out(struct qnetd_client *client, const char *what)
{
	struct session_ctx *ctx = ctx_of(client);
	int r = -1;

	if (!ctx->out.failed)
		r = ctx->tp->queue(client, ctx->out.data, ctx->out.len);
	wbuf_reset(&ctx->out);
	if (r != 0) {
		log_client(LOG_ERR, client, "Can't queue %s message, disconnecting", what);
		session_close(client, "send queue full");
	}
	return (r);
}

static void
send_error(struct qnetd_client *client, const struct msg_decoded *m, enum tlv_reply_error_code code)
{
	log_client_routine(LOG_INFO, client, "sending error %u (%s)", (unsigned)code,
	    tlv_reply_error_code_to_str(code));
	metrics_protocol_error(code);
	msg_create_server_error(&ctx_of(client)->out, m != NULL && m->seq_number_set,
	    m != NULL ? m->seq_number : 0, code);
	queue_out(client, "server error");
}

/* ---- algorithm environment ---- */

/*
 * A vote is worth a line at the default level when it changes what the
 * client holds: an ACK or NACK other than the last ACK or NACK it was
 * sent (the first one included).  WAIT_FOR_REPLY, NO_CHANGE and a
 * repeated ACK after a round (ACK, wait, ACK) change nothing for the
 * administrator and go to debug.
 */
static int
vote_is_news(const struct qnetd_client *client, enum tlv_vote vote)
{
	return (vote == TLV_VOTE_ACK || vote == TLV_VOTE_NACK) &&
	    vote != client->last_sent_ack_nack_vote;
}

static int
env_send_vote_info(struct qnetd_client *client, uint32_t seq, const struct tlv_ring_id *ring,
    enum tlv_vote vote)
{
	struct session_ctx *ctx = ctx_of(client);
	int r = -1;

	if (client_closing(client))
		return (-1);
	msg_create_vote_info(&ctx->out, seq, ring, vote);
	if (!ctx->out.failed)
		r = ctx->tp->queue(client, ctx->out.data, ctx->out.len);
	wbuf_reset(&ctx->out);
	if (r != 0) {
		log_client(LOG_ERR, client, "Can't queue vote info message");
		return (-1);
	}
	if (vote_is_news(client, vote))
		log_client_routine(LOG_INFO, client, "vote %s (vote info seq %u)",
		    tlv_vote_to_str(vote), seq);
	else
		log_client(LOG_DEBUG, client, "vote %s (vote info seq %u)", tlv_vote_to_str(vote),
		    seq);
	ctx_of(client)->obs->vote(client, vote);
	client_record_vote(client, vote);
	return (0);
}

static int
env_timer_schedule(struct qnetd_client *client, uint32_t ms)
{
	client->algo_timer_ms = ms;
	return (ctx_of(client)->tp->timer_arm(client, SESSION_TIMER_ALGO, ms));
}

static void
env_timer_abort(struct qnetd_client *client)
{
	ctx_of(client)->tp->timer_disarm(client, SESSION_TIMER_ALGO);
}

static void
env_schedule_disconnect(struct qnetd_client *client)
{
	session_close(client, "disconnect requested by algorithm");
}

static const struct algo_env session_algo_env = {
	.send_vote_info = env_send_vote_info,
	.timer_schedule = env_timer_schedule,
	.timer_abort = env_timer_abort,
	.schedule_disconnect = env_schedule_disconnect,
};

/* ---- timers ---- */

static uint64_t
dpd_interval(const struct session_ctx *ctx, uint32_t hb)
{
	return ((uint64_t)(ctx->settings->dpd_interval_coefficient * (double)hb));
}

#define DPD_GRACE_MS 1000

/*
 * Arm the dead-peer timer and remember when it fires: the session is the
 * only one to arm it, so dpd_reschedule() needs no question to the
 * transport on every message.
 */
static void
dpd_arm(struct qnetd_client *client, uint64_t now, uint64_t ms)
{
	if (ctx_of(client)->tp->timer_arm(client, SESSION_TIMER_DPD, ms) == 0)
		client->dpd_timer_ms = now + ms;
}

static void
dpd_timer_fired(struct qnetd_client *client)
{
	const struct session_transport *tp = ctx_of(client)->tp;
	uint64_t now = tp->now_ms();

	client->dpd_timer_ms = 0; /* it fired */
	/* A message came since the timer was armed: wait for the rest (see dpd_reschedule). */
	if (client->dpd_due_ms > now) {
		dpd_arm(client, now, client->dpd_due_ms - now);
		return;
	}
	/*
	 * On a loaded arbiter the timer can come due while the peer's message
	 * already waits in the socket: that peer is alive, read it first.
	 */
	if (tp->input_pending(client)) {
		log_client(LOG_DEBUG, client,
		    "dead-peer timer due with input pending; "
		    "deferring %ums",
		    DPD_GRACE_MS);
		dpd_arm(client, now, DPD_GRACE_MS);
		return;
	}
	log_client(LOG_WARNING, client, "doesn't sent any message during %llums. Disconnecting",
	    (unsigned long long)dpd_interval(ctx_of(client), client->heartbeat_interval));
	metrics_inc(M_DPD_DISCONNECTS);
	session_close(client, "dead peer detected");
}

/*
 * Every message moves the dead-peer deadline.  Moving it later (the
 * common case: same interval, later message) only records it; the armed
 * timer, when it comes, re-arms itself for what is left.  So a message
 * costs no timer-heap work, and each client's timer fires about once per
 * interval.  A deadline that moves earlier (a shorter interval from
 * SET_OPTION) or an unarmed timer is armed at once.
 */
static void
dpd_reschedule(struct qnetd_client *client)
{
	const struct session_ctx *ctx = ctx_of(client);
	uint64_t iv, now, due;

	if (!ctx->settings->dpd_enabled)
		return;
	iv = dpd_interval(ctx, client->heartbeat_interval);
	now = ctx->tp->now_ms();
	due = now + iv;
	client->dpd_due_ms = due;
	if (client->dpd_timer_ms == 0 || client->dpd_timer_ms > due)
		dpd_arm(client, now, iv);
}

static void
deadline_timer_fired(struct qnetd_client *client)
{
	log_client(LOG_WARNING, client,
	    "did not complete INIT within %ums (handshake_timeout). "
	    "Disconnecting",
	    ctx_of(client)->settings->handshake_timeout);
	session_close(client, "handshake timeout");
}

static void
algo_timer_fired(struct qnetd_client *client)
{
	const struct algo_ops *ops = algo_get(client->decision_algorithm);
	enum tlv_vote vote = TLV_VOTE_WAIT_FOR_REPLY;
	enum tlv_reply_error_code err;
	uint64_t expire;
	int resched = 0, send_vote = 0;

	if (client->state != CLIENT_STATE_INITIALISED || ops == NULL)
		return;
	err = ops->timer_callback(client, &resched, &send_vote, &vote);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		send_error(client, NULL, err);
		return;
	}
	if (send_vote) {
		client->algo_timer_vote_info_seq++;
		if (env_send_vote_info(client, client->algo_timer_vote_info_seq,
		        &client->last_ring_id, vote) != 0) {
			session_close(client, "send queue full");
			return;
		}
	}
	if (resched && !ctx_of(client)->tp->timer_expiry(client, SESSION_TIMER_ALGO, &expire))
		ctx_of(client)->tp->timer_arm(client, SESSION_TIMER_ALGO, client->algo_timer_ms);
}

/* ---- TLS gate (protocol.md §2.3) ---- */

/* 0: go on; -1: stop (an error was sent, or the client is being closed). */
static int
check_tls(struct qnetd_client *client, const struct msg_decoded *m)
{
	const struct session_ctx *ctx = ctx_of(client);
	const struct qnetd_settings *s = ctx->settings;
	char why[300];

	if (s->tls == TLV_TLS_REQUIRED && !client->tls_started) {
		send_error(client, m, TLV_REPLY_ERROR_CODE_TLS_REQUIRED);
		return (-1);
	}
	if (!client->tls_started || !s->tls_client_cert_required ||
	    client->tls_peer_certificate_verified)
		return (0);
	if (ctx->tp->check_peer_name(client, client->cluster_name, why, sizeof(why)) != 0) {
		log_client(LOG_ERR, client, "Client certificate rejected: %s. Disconnecting", why);
		ctx->obs->cert_rejected(client, why);
		session_close(client, "client certificate rejected");
		return (-1);
	}
	client->tls_peer_certificate_verified = 1;
	ctx->tp->cert_verified(client);
	return (0);
}

/* ---- handlers: each runs after dispatch() checked the rule of its type ---- */

static void
handle_preinit(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	const struct qnetd_settings *s = ctx_of(client)->settings;
	char *name;

	if (!m->cluster_name_set) {
		send_error(client, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	if (session_preinit_hook != NULL && client->state < CLIENT_STATE_INITIALISED &&
	    session_preinit_hook(client, m->cluster_name, m->cluster_name_len, raw, len) != 0)
		return;
	/*
	 * Upstream overwrites (and leaks) the name on a repeated PREINIT, even
	 * after INIT, leaving the client filed under the old cluster.  Before
	 * INIT we replace it cleanly; after INIT the identity stays fixed.
	 */
	if (client->state != CLIENT_STATE_INITIALISED) {
		name = malloc(m->cluster_name_len + 1);
		if (name == NULL) {
			send_error(client, m, TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
			return;
		}
		memcpy(name, m->cluster_name, m->cluster_name_len);
		name[m->cluster_name_len] = '\0';
		free(client->cluster_name);
		client->cluster_name = name;
		client->cluster_name_len = m->cluster_name_len;
		if (client->state == CLIENT_STATE_ACCEPTED)
			client_state_move(client, CLIENT_STATE_PREINIT_DONE);
	}
	msg_create_preinit_reply(&ctx_of(client)->out, m->seq_number_set, m->seq_number, s->tls,
	    s->tls_client_cert_required);
	queue_out(client, "preinit reply");
}

/*
 * STARTTLS after PREINIT: no reply, the TLS handshake follows.  After
 * INIT on a plaintext channel it is taken too (upstream does); on a
 * channel that is already TLS it closes the connection.
 */
static void
handle_starttls(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	(void)m;
	(void)raw;
	(void)len;
	if (client->tls_started) {
		log_client(LOG_ERR, client, "STARTTLS on a TLS connection, disconnecting");
		session_close(client, "can't start TLS");
		return;
	}
	if (ctx_of(client)->tp->start_tls(client) != 0) {
		session_close(client, "can't start TLS");
		return;
	}
	client->tls_started = 1;
	client->tls_peer_certificate_verified = 0;
	if (client->state == CLIENT_STATE_PREINIT_DONE)
		client_state_move(client, CLIENT_STATE_TLS_STARTED);
}

/*
 * §2.5 step 10: the first conflicting client, in node-id order, decides.
 * *other: the client met, NULL if none or itself.
 */
static enum tlv_reply_error_code
init_check_cluster(const struct qnetd_client *self, const struct msg_decoded *m,
    const struct qnetd_client **other)
{
	const struct qnetd_cluster *cl;
	const struct qnetd_client *o;

	*other = NULL;
	cl = cluster_registry_find(ctx_of(self)->clusters, self->cluster_name,
	    self->cluster_name_len);
	if (cl == NULL)
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	TAILQ_FOREACH(o, &cl->clients, cluster_entries) {
		/* A repeated INIT meets its own entry: always a duplicate. */
		if (o == self) {
			*other = NULL;
			return (TLV_REPLY_ERROR_CODE_DUPLICATE_NODE_ID);
		}
		*other = o;
		if (!tlv_tie_breaker_eq(&m->tie_breaker, &o->tie_breaker))
			return (TLV_REPLY_ERROR_CODE_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES);
		if (m->decision_algorithm != o->decision_algorithm)
			return (TLV_REPLY_ERROR_CODE_ALGORITHM_DIFFERS_FROM_OTHER_NODES);
		if (m->node_id == o->node_id)
			return (TLV_REPLY_ERROR_CODE_DUPLICATE_NODE_ID);
	}
	*other = NULL;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static int
hb_acceptable(const struct session_ctx *ctx, uint32_t hb)
{
	const struct qnetd_settings *s = ctx->settings;

	if (hb < s->heartbeat_interval_min || hb > s->heartbeat_interval_max)
		return (0);
	return (!(s->dpd_enabled && dpd_interval(ctx, hb) > TIMER_MAX_INTERVAL));
}

/*
 * §2.5 steps 2-8 on the message alone, with upstream's precedence: the
 * state check (PREINIT first) comes first, but the heartbeat and
 * algorithm checks run even after an earlier error and then replace it
 * (INIT without PREINIT and without a heartbeat gets 13, not 6).  An
 * absent value counts as 0, as upstream's decoder leaves it.
 */
static enum tlv_reply_error_code
init_validate(const struct qnetd_client *client, const struct msg_decoded *m)
{
	const struct session_ctx *ctx = ctx_of(client);
	enum tlv_reply_error_code err = TLV_REPLY_ERROR_CODE_NO_ERROR;
	const enum tlv_reply_error_code missing =
	    TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION;

	if (!client_preinit_done(client))
		err = TLV_REPLY_ERROR_CODE_PREINIT_REQUIRED;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->node_id_set)
		err = missing;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->ring_id_set)
		err = missing;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->heartbeat_interval_set)
		err = missing;
	else if (!hb_acceptable(ctx, m->heartbeat_interval_set ? m->heartbeat_interval : 0))
		err = TLV_REPLY_ERROR_CODE_INVALID_HEARTBEAT_INTERVAL;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->tie_breaker_set)
		err = missing;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->decision_algorithm_set)
		err = missing;
	else if (algo_get(m->decision_algorithm_set ? m->decision_algorithm : 0) == NULL)
		err = TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM;
	return (err);
}

/* Steps 11-13: join the cluster, let the algorithm set itself up, state INITIALISED. */
static enum tlv_reply_error_code
init_apply(struct qnetd_client *client, const struct msg_decoded *m)
{
	struct session_ctx *ctx = ctx_of(client);
	const struct algo_ops *ops = algo_get(m->decision_algorithm);
	enum tlv_reply_error_code err;

	client->node_id = m->node_id;
	client->last_ring_id = m->ring_id;
	client->heartbeat_interval = m->heartbeat_interval;
	client->tie_breaker = m->tie_breaker;
	client->decision_algorithm = (enum tlv_decision_algorithm)m->decision_algorithm;
	client->keep_active_partition_tie_breaker =
	    ctx->settings->keep_active_partition_tie_breaker;
	if (cluster_registry_add_client(ctx->clusters, client) == NULL)
		return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
	err = ops->client_init(client);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		cluster_registry_del_client(ctx->clusters, client);
		return (err);
	}
	client_state_move(client, CLIENT_STATE_INITIALISED);
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static void
init_accepted(struct qnetd_client *client)
{
	const struct session_ctx *ctx = ctx_of(client);

	ctx->tp->timer_disarm(client, SESSION_TIMER_DEADLINE);
	dpd_reschedule(client);
	log_client_routine(LOG_INFO, client, "initialized: algorithm %s, heartbeat %ums, TLS %s",
	    tlv_decision_algorithm_to_str(client->decision_algorithm), client->heartbeat_interval,
	    client->tls_started ? "on" : "off");
	if (!client->tls_started && ctx->settings->tls == TLV_TLS_SUPPORTED)
		log_client(LOG_WARNING, client,
		    "is connected without TLS: its cluster name "
		    "and node id are not authenticated (use -s req to refuse such clients)");
	ctx->obs->client_init(client);
}

/*
 * A refused INIT.  DUPLICATE_NODE_ID is an identity conflict only when
 * another client holds the node id: a client that repeats INIT (upstream
 * answers 17, whatever the node id) meets only itself.
 */
static void
init_refused(struct qnetd_client *client, const struct msg_decoded *m,
    enum tlv_reply_error_code err, const struct qnetd_client *other)
{
	if (err == TLV_REPLY_ERROR_CODE_DUPLICATE_NODE_ID && other != NULL)
		ctx_of(client)->obs->duplicate_node_id(client, m->node_id, other);
	metrics_protocol_error(err);
	log_client(LOG_ERR, client, "INIT refused with error %u (%s)", (unsigned)err,
	    tlv_reply_error_code_to_str(err));
}

static void
handle_init(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	struct session_ctx *ctx = ctx_of(client);
	const struct qnetd_settings *s = ctx->settings;
	const struct qnetd_client *other = NULL;
	int repeated = client->state == CLIENT_STATE_INITIALISED;
	enum tlv_reply_error_code err;

	(void)raw;
	(void)len;
	err = init_validate(client, m);
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR)
		err = init_check_cluster(client, m, &other);
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !repeated)
		err = init_apply(client, m);
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR)
		init_accepted(client);
	else
		init_refused(client, m, err, other);
	msg_create_init_reply(&ctx->out, err, m->supported_messages_set, m->supported_options_set,
	    m->seq_number_set, m->seq_number, s->max_client_receive_size, s->max_client_send_size,
	    supported_algorithms, sizeof(supported_algorithms) / sizeof(supported_algorithms[0]));
	queue_out(client, "init reply");
}

static void
handle_set_option(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	(void)raw;
	(void)len;
	if (m->heartbeat_interval_set) {
		if (!hb_acceptable(ctx_of(client), m->heartbeat_interval)) {
			send_error(client, m, TLV_REPLY_ERROR_CODE_INVALID_HEARTBEAT_INTERVAL);
			return;
		}
		client->heartbeat_interval = m->heartbeat_interval;
		dpd_reschedule(client);
	}
	if (m->keep_active_partition_tie_breaker_set)
		client->keep_active_partition_tie_breaker = m->keep_active_partition_tie_breaker;
	msg_create_set_option_reply(&ctx_of(client)->out, m->seq_number_set, m->seq_number,
	    m->heartbeat_interval_set, client->heartbeat_interval,
	    m->keep_active_partition_tie_breaker_set, client->keep_active_partition_tie_breaker);
	queue_out(client, "set option reply");
}

static void
handle_echo_request(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	(void)m;
	msg_create_echo_reply(&ctx_of(client)->out, raw, len);
	queue_out(client, "echo reply");
}

static void
record_vote(struct qnetd_client *client, enum tlv_vote vote)
{
	if (vote_is_news(client, vote))
		log_client_routine(LOG_INFO, client, "vote %s", tlv_vote_to_str(vote));
	else if (vote != client->last_sent_vote)
		log_client(LOG_DEBUG, client, "vote %s", tlv_vote_to_str(vote));
	ctx_of(client)->obs->vote(client, vote);
	client_record_vote(client, vote);
}

/* After the algorithm accepted the list: store it (§2.8 step 5). */
static int
store_node_list(struct qnetd_client *client, const struct msg_decoded *m)
{
	struct node_list copy;

	node_list_init(&copy);
	if (node_list_clone(&copy, &m->nodes) != 0)
		return (-1);
	switch (m->node_list_type) {
	case TLV_NODE_LIST_TYPE_INITIAL_CONFIG:
	case TLV_NODE_LIST_TYPE_CHANGED_CONFIG:
		node_list_move(&client->configuration_node_list, &copy);
		client->config_version_set = m->config_version_set;
		client->config_version = m->config_version;
		break;
	case TLV_NODE_LIST_TYPE_MEMBERSHIP:
		node_list_move(&client->last_membership_node_list, &copy);
		client->last_ring_id = m->ring_id;
		client->last_membership_heuristics =
		    m->heuristics_set ? m->heuristics : TLV_HEURISTICS_UNDEFINED;
		client->last_heuristics = client->last_membership_heuristics;
		break;
	case TLV_NODE_LIST_TYPE_QUORUM:
		node_list_move(&client->last_quorum_node_list, &copy);
		break;
	}
	node_list_destroy(&copy);
	return (0);
}

/* Hand the list to the algorithm; NO_ERROR and *vote, or its error. */
static enum tlv_reply_error_code
node_list_to_algo(struct qnetd_client *client, const struct msg_decoded *m, enum tlv_vote *vote)
{
	const struct algo_ops *ops = algo_get(client->decision_algorithm);
	enum tlv_heuristics h = m->heuristics_set ? m->heuristics : TLV_HEURISTICS_UNDEFINED;

	switch (m->node_list_type) {
	case TLV_NODE_LIST_TYPE_INITIAL_CONFIG:
	case TLV_NODE_LIST_TYPE_CHANGED_CONFIG:
		return (ops->config_node_list_received(client, m->seq_number, m->config_version_set,
		    m->config_version, &m->nodes,
		    m->node_list_type == TLV_NODE_LIST_TYPE_INITIAL_CONFIG, vote));
	case TLV_NODE_LIST_TYPE_MEMBERSHIP:
		return (ops->membership_node_list_received(client, m->seq_number, &m->ring_id,
		    &m->nodes, h, vote));
	case TLV_NODE_LIST_TYPE_QUORUM:
		return (ops->quorum_node_list_received(client, m->seq_number, m->quorate, &m->nodes,
		    vote));
	}
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static void
handle_node_list(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	enum tlv_vote vote = TLV_VOTE_NO_CHANGE;
	enum tlv_reply_error_code err;

	(void)raw;
	(void)len;
	if (!m->node_list_type_set || !m->seq_number_set ||
	    (m->node_list_type == TLV_NODE_LIST_TYPE_MEMBERSHIP && !m->ring_id_set) ||
	    (m->node_list_type == TLV_NODE_LIST_TYPE_QUORUM && !m->quorate_set)) {
		send_error(client, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	err = node_list_to_algo(client, m, &vote);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		send_error(client, m, err);
		return;
	}
	if (store_node_list(client, m) != 0) {
		log_client(LOG_ERR, client, "Can't store node list, disconnecting");
		session_close(client, "out of memory");
		return;
	}
	record_vote(client, vote);
	msg_create_node_list_reply(&ctx_of(client)->out, m->seq_number, m->node_list_type,
	    &client->last_ring_id, vote);
	queue_out(client, "node list reply");
}

static void
handle_ask_for_vote(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	enum tlv_vote vote = TLV_VOTE_NO_CHANGE;
	enum tlv_reply_error_code err;

	(void)raw;
	(void)len;
	if (!m->seq_number_set) {
		send_error(client, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	err = algo_get(client->decision_algorithm)
	          ->ask_for_vote_received(client, m->seq_number, &vote);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		send_error(client, m, err);
		return;
	}
	record_vote(client, vote);
	msg_create_ask_for_vote_reply(&ctx_of(client)->out, m->seq_number, &client->last_ring_id,
	    vote);
	queue_out(client, "ask for vote reply");
}

static void
handle_vote_info_reply(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	enum tlv_reply_error_code err;

	(void)raw;
	(void)len;
	if (!m->seq_number_set) {
		send_error(client, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	err = algo_get(client->decision_algorithm)->vote_info_reply_received(client, m->seq_number);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR)
		send_error(client, m, err);
}

static void
handle_heuristics_change(struct qnetd_client *client, const struct msg_decoded *m,
    const uint8_t *raw, size_t len)
{
	enum tlv_vote vote = TLV_VOTE_NO_CHANGE;
	enum tlv_reply_error_code err;

	(void)raw;
	(void)len;
	if (!m->seq_number_set || !m->heuristics_set || m->heuristics == TLV_HEURISTICS_UNDEFINED) {
		send_error(client, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	err = algo_get(client->decision_algorithm)
	          ->heuristics_change_received(client, m->seq_number, m->heuristics, &vote);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		send_error(client, m, err);
		return;
	}
	record_vote(client, vote);
	client->last_regular_heuristics = m->heuristics;
	client->last_heuristics = m->heuristics;
	msg_create_heuristics_change_reply(&ctx_of(client)->out, m->seq_number, m->heuristics,
	    &client->last_ring_id, vote);
	queue_out(client, "heuristics change reply");
}

/* A server-to-client type sent by the client: refused in every state. */
static void
handle_unexpected(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	(void)raw;
	(void)len;
	log_client(LOG_ERR, client, "sent a %s message, which only a server sends",
	    msg_type_to_str(m->type));
	send_error(client, m, TLV_REPLY_ERROR_CODE_UNEXPECTED_MESSAGE);
}

#define ANY_STATE(h)                                                         \
	{                                                                    \
		(h), 0, CLIENT_STATE_ACCEPTED, TLV_REPLY_ERROR_CODE_NO_ERROR \
	}
#define AFTER_INIT(h)                                                                \
	{                                                                            \
		(h), 1, CLIENT_STATE_INITIALISED, TLV_REPLY_ERROR_CODE_INIT_REQUIRED \
	}

/* Which message is legal in which state, and the error it gets otherwise. */
static const struct msg_rule rules[MSG_TYPE_COUNT] = {
	[MSG_TYPE_PREINIT] = ANY_STATE(handle_preinit),
	[MSG_TYPE_PREINIT_REPLY] = ANY_STATE(handle_unexpected),
	[MSG_TYPE_STARTTLS] = { handle_starttls, 0, CLIENT_STATE_PREINIT_DONE,
	    TLV_REPLY_ERROR_CODE_PREINIT_REQUIRED },
	[MSG_TYPE_INIT] = { handle_init, 1, CLIENT_STATE_ACCEPTED, TLV_REPLY_ERROR_CODE_NO_ERROR },
	[MSG_TYPE_INIT_REPLY] = ANY_STATE(handle_unexpected),
	[MSG_TYPE_SERVER_ERROR] = ANY_STATE(handle_unexpected),
	[MSG_TYPE_SET_OPTION] = AFTER_INIT(handle_set_option),
	[MSG_TYPE_SET_OPTION_REPLY] = ANY_STATE(handle_unexpected),
	[MSG_TYPE_ECHO_REQUEST] = AFTER_INIT(handle_echo_request),
	[MSG_TYPE_ECHO_REPLY] = ANY_STATE(handle_unexpected),
	[MSG_TYPE_NODE_LIST] = AFTER_INIT(handle_node_list),
	[MSG_TYPE_NODE_LIST_REPLY] = ANY_STATE(handle_unexpected),
	[MSG_TYPE_ASK_FOR_VOTE] = AFTER_INIT(handle_ask_for_vote),
	[MSG_TYPE_ASK_FOR_VOTE_REPLY] = ANY_STATE(handle_unexpected),
	[MSG_TYPE_VOTE_INFO] = ANY_STATE(handle_unexpected),
	[MSG_TYPE_VOTE_INFO_REPLY] = AFTER_INIT(handle_vote_info_reply),
	[MSG_TYPE_HEURISTICS_CHANGE] = AFTER_INIT(handle_heuristics_change),
	[MSG_TYPE_HEURISTICS_CHANGE_REPLY] = ANY_STATE(handle_unexpected),
};

/* The rule of m's type first (TLS gate, then state), then its handler. */
static void
dispatch(struct qnetd_client *client, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	const struct msg_rule *rule;

	/* Framing let through only types 0..17. */
	if ((unsigned)m->type >= MSG_TYPE_COUNT)
		return;
	rule = &rules[m->type];
	if (rule->tls_gate && check_tls(client, m) != 0)
		return;
	if (client_progress(client) < rule->min_state) {
		send_error(client, m, rule->state_error);
		return;
	}
	rule->handler(client, m, raw, len);
}

/* ---- entry points ---- */

void
session_ctx_init(struct session_ctx *ctx, const struct qnetd_settings *settings,
    struct cluster_registry *clusters, const struct session_transport *tp,
    const struct session_observer *obs)
{
	ctx->settings = settings;
	ctx->clusters = clusters;
	ctx->tp = tp;
	ctx->obs = obs;
	wbuf_init(&ctx->out, settings->max_client_send_size);
	algo_env_set(&session_algo_env);
}

void
session_ctx_destroy(struct session_ctx *ctx)
{
	wbuf_destroy(&ctx->out);
}

int
session_client_accepted(struct session_ctx *ctx, struct qnetd_client *client)
{
	const struct qnetd_settings *s = ctx->settings;

	client->session = ctx;
	client->heartbeat_interval = PREINIT_HB;
	if (s->dpd_enabled) {
		if (ctx->tp->timer_arm(client, SESSION_TIMER_DPD, dpd_interval(ctx, PREINIT_HB)) !=
		    0)
			return (-1);
		client->dpd_timer_ms = ctx->tp->now_ms() + dpd_interval(ctx, PREINIT_HB);
	}
	if (s->handshake_timeout != 0 &&
	    ctx->tp->timer_arm(client, SESSION_TIMER_DEADLINE, s->handshake_timeout) != 0)
		return (-1);
	return (0);
}

void
session_msg_received(struct qnetd_client *client, const uint8_t *raw, size_t len)
{
	struct msg_decoded m;
	enum msg_decode_result r;

	if (client_closing(client))
		return;
	dpd_reschedule(client);
	msg_decoded_init(&m);
	r = msg_decode(raw, len, &m);
	if (r != MSG_DECODE_OK) {
		/* Hostile or broken peers repeat this: rate-limited like routine lines. */
		log_client_routine(LOG_WARNING, client, "sent a message that can't be decoded (%d)",
		    (int)r);
		send_error(client, &m, TLV_REPLY_ERROR_CODE_ERROR_DECODING_MSG);
		goto out;
	}
	dispatch(client, &m, raw, len);
out:
	msg_decoded_destroy(&m);
}

void
session_msg_skipped(struct qnetd_client *client, enum tlv_reply_error_code reason)
{
	if (client_closing(client))
		return;
	log_client_routine(LOG_WARNING, client, "sent an %s message; skipped",
	    reason == TLV_REPLY_ERROR_CODE_MESSAGE_TOO_LONG ? "oversize" : "unknown-type");
	send_error(client, NULL, reason);
}

void
session_timer_fired(struct qnetd_client *client, enum session_timer t)
{
	/* A client being closed has nothing left to time. */
	if (client_closing(client))
		return;
	switch (t) {
	case SESSION_TIMER_DPD:
		dpd_timer_fired(client);
		break;
	case SESSION_TIMER_ALGO:
		algo_timer_fired(client);
		break;
	case SESSION_TIMER_DEADLINE:
		deadline_timer_fired(client);
		break;
	case SESSION_TIMER_COUNT:
		break;
	}
}

void
session_client_disconnect(struct qnetd_client *client, int server_going_down)
{
	struct session_ctx *ctx = ctx_of(client);
	const struct algo_ops *ops;

	if (ctx == NULL)
		return;
	if (client_initialised(client)) {
		ops = algo_get(client->decision_algorithm);
		if (ops != NULL)
			ops->client_disconnect(client, server_going_down);
	}
	ctx->tp->timer_disarm(client, SESSION_TIMER_ALGO);
	cluster_registry_del_client(ctx->clusters, client);
}
