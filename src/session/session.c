/*
 * session.c - the protocol state machine of one client (protocol.md §2).
 *
 * Every handler checks first (state, TLS gate, required TLVs, ranges,
 * using only the decoded message), replies with the protocol's error if
 * needed, and only then changes the client.  Protocol errors never close
 * the connection; a reply that cannot be queued does.
 */
#include <stdlib.h>
#include <string.h>

#include "algo/algo.h"
#include "base/log.h"
#include "codec/msg.h"
#include "core/cluster.h"
#include "core/instance.h"
#include "core/metrics_counters.h"
#include "extras/events.h"
#include "net/conn.h"
#include "net/tls.h"
#include "session/session.h"

#define PREINIT_HB 120000u
#define TIMER_MAX_INTERVAL 18000000ull /* upstream's timer limit: 5 h */

static struct wbuf out;
static const uint16_t supported_algorithms[] = { 0, 1, 2, 3 };

typedef void (
    *msg_handler)(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t raw_len);

/* ---- sending ---- */

/* Queue what `out` holds; on failure close the connection.  0 or -1. */
static int
queue_out(struct conn *c, const char *what)
{
	int r = -1;

	if (!out.failed)
		r = conn_queue(c, out.data, out.len);
	wbuf_reset(&out);
	if (r != 0) {
		log_client(LOG_ERR, &c->client, "Can't queue %s message, disconnecting", what);
		conn_schedule_close(c, "send queue full");
	}
	return (r);
}

static void
send_error(struct conn *c, const struct msg_decoded *m, enum tlv_reply_error_code code)
{
	log_client_routine(LOG_INFO, &c->client, "sending error %u (%s)", (unsigned)code,
	    tlv_reply_error_code_to_str(code));
	metrics_protocol_error(code);
	msg_create_server_error(&out, m != NULL && m->seq_number_set, m != NULL ? m->seq_number : 0,
	    code);
	queue_out(c, "server error");
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
	struct conn *c = conn_of(client);
	int r = -1;

	if (c->closing)
		return (-1);
	msg_create_vote_info(&out, seq, ring, vote);
	if (!out.failed)
		r = conn_queue(c, out.data, out.len);
	wbuf_reset(&out);
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
	events_vote(client, vote);
	client_record_vote(client, vote);
	return (0);
}

static int
env_timer_schedule(struct qnetd_client *client, uint32_t ms)
{
	struct conn *c = conn_of(client);

	c->algo_timer_ms = ms;
	return (loop_timer_arm(&c->algo_timer, ms));
}

static void
env_timer_abort(struct qnetd_client *client)
{
	loop_timer_disarm(&conn_of(client)->algo_timer);
}

static void
env_schedule_disconnect(struct qnetd_client *client)
{
	conn_schedule_close(conn_of(client), "disconnect requested by algorithm");
}

static const struct algo_env session_algo_env = {
	.send_vote_info = env_send_vote_info,
	.timer_schedule = env_timer_schedule,
	.timer_abort = env_timer_abort,
	.schedule_disconnect = env_schedule_disconnect,
};

/* ---- timers ---- */

static uint64_t
dpd_interval(uint32_t hb)
{
	return ((uint64_t)(qnetd_instance.settings->dpd_interval_coefficient * (double)hb));
}

#define DPD_GRACE_MS 1000

static void
dpd_timer_cb(struct loop_timer *t)
{
	struct conn *c = t->data;
	uint64_t now = loop_now_ms();

	/* A message came since the timer was armed: wait for the rest (see dpd_reschedule). */
	if (c->dpd_due_ms > now) {
		loop_timer_arm(&c->dpd_timer, c->dpd_due_ms - now);
		return;
	}
	/*
	 * On a loaded arbiter the timer can come due while the peer's message
	 * already waits in the socket: that peer is alive, read it first.
	 */
	if (conn_input_pending(c)) {
		log_client(LOG_DEBUG, &c->client,
		    "dead-peer timer due with input pending; "
		    "deferring %ums",
		    DPD_GRACE_MS);
		loop_timer_arm(&c->dpd_timer, DPD_GRACE_MS);
		return;
	}

	log_client(LOG_WARNING, &c->client, "doesn't sent any message during %llums. Disconnecting",
	    (unsigned long long)dpd_interval(c->client.heartbeat_interval));
	metrics_inc(M_DPD_DISCONNECTS);
	conn_schedule_close(c, "dead peer detected");
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
dpd_reschedule(struct conn *c)
{
	uint64_t iv, due;

	if (!qnetd_instance.settings->dpd_enabled)
		return;
	iv = dpd_interval(c->client.heartbeat_interval);
	due = loop_now_ms() + iv;
	c->dpd_due_ms = due;
	if (!loop_timer_armed(&c->dpd_timer) || c->dpd_timer.expire_ms > due)
		loop_timer_arm(&c->dpd_timer, iv);
}

static void
deadline_timer_cb(struct loop_timer *t)
{
	struct conn *c = t->data;

	log_client(LOG_WARNING, &c->client,
	    "did not complete INIT within %ums (handshake_timeout). "
	    "Disconnecting",
	    qnetd_instance.settings->handshake_timeout);
	conn_schedule_close(c, "handshake timeout");
}

static void
algo_timer_cb(struct loop_timer *t)
{
	struct conn *c = t->data;
	struct qnetd_client *client = &c->client;
	const struct algo_ops *ops = algo_get(client->decision_algorithm);
	enum tlv_vote vote = TLV_VOTE_WAIT_FOR_REPLY;
	enum tlv_reply_error_code err;
	int resched = 0, send_vote = 0;

	if (c->closing || !client->init_received || ops == NULL)
		return;
	err = ops->timer_callback(client, &resched, &send_vote, &vote);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		send_error(c, NULL, err);
		return;
	}
	if (send_vote) {
		client->algo_timer_vote_info_seq++;
		if (env_send_vote_info(client, client->algo_timer_vote_info_seq,
		        &client->last_ring_id, vote) != 0) {
			conn_schedule_close(c, "send queue full");
			return;
		}
	}
	if (resched && !loop_timer_armed(&c->algo_timer))
		loop_timer_arm(&c->algo_timer, c->algo_timer_ms);
}

/* ---- TLS gate (protocol.md §2.3) ---- */

/* 0: go on; -1: stop (an error was sent, or the client is being closed). */
static int
check_tls(struct conn *c, const struct msg_decoded *m)
{
	const struct qnetd_settings *s = qnetd_instance.settings;
	struct qnetd_client *client = &c->client;
	char why[300];

	if (s->tls == TLV_TLS_REQUIRED && !client->tls_started) {
		send_error(c, m, TLV_REPLY_ERROR_CODE_TLS_REQUIRED);
		return (-1);
	}
	if (!client->tls_started || !s->tls_client_cert_required ||
	    client->tls_peer_certificate_verified)
		return (0);
	if (tls_check_peer_name(c->ssl, client->cluster_name, why, sizeof(why)) != 0) {
		log_client(LOG_ERR, client, "Client certificate rejected: %s. Disconnecting", why);
		events_cert_rejected(client, why);
		conn_schedule_close(c, "client certificate rejected");
		return (-1);
	}
	client->tls_peer_certificate_verified = 1;
	events_cert_verified(c);
	return (0);
}

/* Common preamble of the post-INIT handlers: TLS gate, INIT required. */
static int
check_tls_and_init(struct conn *c, const struct msg_decoded *m)
{
	if (check_tls(c, m) != 0)
		return (-1);
	if (!c->client.init_received) {
		send_error(c, m, TLV_REPLY_ERROR_CODE_INIT_REQUIRED);
		return (-1);
	}
	return (0);
}

/* ---- handlers ---- */

static void
handle_preinit(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	const struct qnetd_settings *s = qnetd_instance.settings;
	struct qnetd_client *client = &c->client;
	char *name;

	(void)raw;
	(void)len;
	if (!m->cluster_name_set) {
		send_error(c, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	/*
	 * Upstream overwrites (and leaks) the name on a repeated PREINIT, even
	 * after INIT, leaving the client filed under the old cluster.  Before
	 * INIT we replace it cleanly; after INIT the identity stays fixed.
	 */
	if (!client->init_received) {
		name = malloc(m->cluster_name_len + 1);
		if (name == NULL) {
			send_error(c, m, TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
			return;
		}
		memcpy(name, m->cluster_name, m->cluster_name_len);
		name[m->cluster_name_len] = '\0';
		free(client->cluster_name);
		client->cluster_name = name;
		client->cluster_name_len = m->cluster_name_len;
		client->preinit_received = 1;
	}
	msg_create_preinit_reply(&out, m->seq_number_set, m->seq_number, s->tls,
	    s->tls_client_cert_required);
	queue_out(c, "preinit reply");
}

static void
handle_starttls(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	if (!c->client.preinit_received) {
		send_error(c, m, TLV_REPLY_ERROR_CODE_PREINIT_REQUIRED);
		return;
	}
	if (conn_start_tls(c) != 0) {
		conn_schedule_close(c, "can't start TLS");
		return;
	}
	c->client.tls_started = 1;
	c->client.tls_peer_certificate_verified = 0;
}

/* §2.5 step 10: the first conflicting client, in node-id order, decides. */
static enum tlv_reply_error_code
init_check_cluster(const struct qnetd_client *self, const struct msg_decoded *m)
{
	const struct qnetd_cluster *cl;
	const struct qnetd_client *o;

	cl = cluster_registry_find(&qnetd_instance.clusters, self->cluster_name,
	    self->cluster_name_len);
	if (cl == NULL)
		return (TLV_REPLY_ERROR_CODE_NO_ERROR);
	TAILQ_FOREACH(o, &cl->clients, cluster_entries) {
		/* A repeated INIT meets its own entry: always a duplicate. */
		if (o == self)
			return (TLV_REPLY_ERROR_CODE_DUPLICATE_NODE_ID);
		if (!tlv_tie_breaker_eq(&m->tie_breaker, &o->tie_breaker))
			return (TLV_REPLY_ERROR_CODE_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES);
		if (m->decision_algorithm != o->decision_algorithm)
			return (TLV_REPLY_ERROR_CODE_ALGORITHM_DIFFERS_FROM_OTHER_NODES);
		if (m->node_id == o->node_id)
			return (TLV_REPLY_ERROR_CODE_DUPLICATE_NODE_ID);
	}
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static int
hb_acceptable(uint32_t hb)
{
	const struct qnetd_settings *s = qnetd_instance.settings;

	if (hb < s->heartbeat_interval_min || hb > s->heartbeat_interval_max)
		return (0);
	return (!(s->dpd_enabled && dpd_interval(hb) > TIMER_MAX_INTERVAL));
}

/*
 * §2.5 steps 2-8 on the message alone, with upstream's precedence: the
 * heartbeat and algorithm checks run even after an earlier error and then
 * replace it (INIT without PREINIT and without a heartbeat gets 13, not 6).
 * An absent value counts as 0, as upstream's decoder leaves it.
 */
static enum tlv_reply_error_code
init_validate(const struct conn *c, const struct msg_decoded *m)
{
	enum tlv_reply_error_code err = TLV_REPLY_ERROR_CODE_NO_ERROR;
	const enum tlv_reply_error_code missing =
	    TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION;

	if (!c->client.preinit_received)
		err = TLV_REPLY_ERROR_CODE_PREINIT_REQUIRED;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->node_id_set)
		err = missing;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->ring_id_set)
		err = missing;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->heartbeat_interval_set)
		err = missing;
	else if (!hb_acceptable(m->heartbeat_interval_set ? m->heartbeat_interval : 0))
		err = TLV_REPLY_ERROR_CODE_INVALID_HEARTBEAT_INTERVAL;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->tie_breaker_set)
		err = missing;
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR && !m->decision_algorithm_set)
		err = missing;
	else if (algo_get(m->decision_algorithm_set ? m->decision_algorithm : 0) == NULL)
		err = TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM;
	return (err);
}

/* Steps 11-13: join the cluster and let the algorithm set itself up. */
static enum tlv_reply_error_code
init_apply(struct conn *c, const struct msg_decoded *m)
{
	struct qnetd_client *client = &c->client;
	const struct algo_ops *ops = algo_get(m->decision_algorithm);
	enum tlv_reply_error_code err;

	client->node_id = m->node_id;
	client->last_ring_id = m->ring_id;
	client->heartbeat_interval = m->heartbeat_interval;
	client->tie_breaker = m->tie_breaker;
	client->decision_algorithm = (enum tlv_decision_algorithm)m->decision_algorithm;
	client->keep_active_partition_tie_breaker =
	    qnetd_instance.settings->keep_active_partition_tie_breaker;
	if (cluster_registry_add_client(&qnetd_instance.clusters, client) == NULL)
		return (TLV_REPLY_ERROR_CODE_INTERNAL_ERROR);
	err = ops->client_init(client);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		cluster_registry_del_client(&qnetd_instance.clusters, client);
		return (err);
	}
	client->init_received = 1;
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

static void
handle_init(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	const struct qnetd_settings *s = qnetd_instance.settings;
	struct qnetd_client *client = &c->client;
	enum tlv_reply_error_code err;

	(void)raw;
	(void)len;
	if (check_tls(c, m) != 0)
		return;
	err = init_validate(c, m);
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR)
		err = init_check_cluster(client, m);
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR)
		err = init_apply(c, m);
	if (err == TLV_REPLY_ERROR_CODE_NO_ERROR) {
		loop_timer_disarm(&c->deadline_timer);
		dpd_reschedule(c);
		log_client_routine(LOG_INFO, client,
		    "initialized: algorithm %s, heartbeat %ums, "
		    "TLS %s",
		    tlv_decision_algorithm_to_str(client->decision_algorithm),
		    client->heartbeat_interval, client->tls_started ? "on" : "off");
		if (!client->tls_started && s->tls == TLV_TLS_SUPPORTED)
			log_client(LOG_WARNING, client,
			    "is connected without TLS: its cluster name "
			    "and node id are not authenticated (use -s req to refuse such clients)");
		events_client_init(client);
	} else {
		if (err == TLV_REPLY_ERROR_CODE_DUPLICATE_NODE_ID)
			events_duplicate_node_id(client, m->node_id);
		metrics_protocol_error(err);
		log_client(LOG_ERR, client, "INIT refused with error %u (%s)", (unsigned)err,
		    tlv_reply_error_code_to_str(err));
	}
	msg_create_init_reply(&out, err, m->supported_messages_set, m->supported_options_set,
	    m->seq_number_set, m->seq_number, s->max_client_receive_size, s->max_client_send_size,
	    supported_algorithms, sizeof(supported_algorithms) / sizeof(supported_algorithms[0]));
	queue_out(c, "init reply");
}

static void
handle_set_option(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	struct qnetd_client *client = &c->client;

	(void)raw;
	(void)len;
	if (check_tls_and_init(c, m) != 0)
		return;
	if (m->heartbeat_interval_set) {
		if (!hb_acceptable(m->heartbeat_interval)) {
			send_error(c, m, TLV_REPLY_ERROR_CODE_INVALID_HEARTBEAT_INTERVAL);
			return;
		}
		client->heartbeat_interval = m->heartbeat_interval;
		dpd_reschedule(c);
	}
	if (m->keep_active_partition_tie_breaker_set)
		client->keep_active_partition_tie_breaker = m->keep_active_partition_tie_breaker;
	msg_create_set_option_reply(&out, m->seq_number_set, m->seq_number,
	    m->heartbeat_interval_set, client->heartbeat_interval,
	    m->keep_active_partition_tie_breaker_set, client->keep_active_partition_tie_breaker);
	queue_out(c, "set option reply");
}

static void
handle_echo_request(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	if (check_tls_and_init(c, m) != 0)
		return;
	msg_create_echo_reply(&out, raw, len);
	queue_out(c, "echo reply");
}

static void
record_vote(struct qnetd_client *client, enum tlv_vote vote)
{
	if (vote_is_news(client, vote))
		log_client_routine(LOG_INFO, client, "vote %s", tlv_vote_to_str(vote));
	else if (vote != client->last_sent_vote)
		log_client(LOG_DEBUG, client, "vote %s", tlv_vote_to_str(vote));
	events_vote(client, vote);
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

static void
handle_node_list(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	struct qnetd_client *client = &c->client;
	const struct algo_ops *ops;
	enum tlv_reply_error_code err = TLV_REPLY_ERROR_CODE_NO_ERROR;
	enum tlv_vote vote = TLV_VOTE_NO_CHANGE;
	enum tlv_heuristics h;

	(void)raw;
	(void)len;
	if (check_tls_and_init(c, m) != 0)
		return;
	if (!m->node_list_type_set || !m->seq_number_set ||
	    (m->node_list_type == TLV_NODE_LIST_TYPE_MEMBERSHIP && !m->ring_id_set) ||
	    (m->node_list_type == TLV_NODE_LIST_TYPE_QUORUM && !m->quorate_set)) {
		send_error(c, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	ops = algo_get(client->decision_algorithm);
	h = m->heuristics_set ? m->heuristics : TLV_HEURISTICS_UNDEFINED;
	switch (m->node_list_type) {
	case TLV_NODE_LIST_TYPE_INITIAL_CONFIG:
	case TLV_NODE_LIST_TYPE_CHANGED_CONFIG:
		err = ops->config_node_list_received(client, m->seq_number, m->config_version_set,
		    m->config_version, &m->nodes,
		    m->node_list_type == TLV_NODE_LIST_TYPE_INITIAL_CONFIG, &vote);
		break;
	case TLV_NODE_LIST_TYPE_MEMBERSHIP:
		err = ops->membership_node_list_received(client, m->seq_number, &m->ring_id,
		    &m->nodes, h, &vote);
		break;
	case TLV_NODE_LIST_TYPE_QUORUM:
		err = ops->quorum_node_list_received(client, m->seq_number, m->quorate, &m->nodes,
		    &vote);
		break;
	}
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		send_error(c, m, err);
		return;
	}
	if (store_node_list(client, m) != 0) {
		log_client(LOG_ERR, client, "Can't store node list, disconnecting");
		conn_schedule_close(c, "out of memory");
		return;
	}
	record_vote(client, vote);
	msg_create_node_list_reply(&out, m->seq_number, m->node_list_type, &client->last_ring_id,
	    vote);
	queue_out(c, "node list reply");
}

static void
handle_ask_for_vote(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	struct qnetd_client *client = &c->client;
	enum tlv_vote vote = TLV_VOTE_NO_CHANGE;
	enum tlv_reply_error_code err;

	(void)raw;
	(void)len;
	if (check_tls_and_init(c, m) != 0)
		return;
	if (!m->seq_number_set) {
		send_error(c, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	err = algo_get(client->decision_algorithm)
	          ->ask_for_vote_received(client, m->seq_number, &vote);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		send_error(c, m, err);
		return;
	}
	record_vote(client, vote);
	msg_create_ask_for_vote_reply(&out, m->seq_number, &client->last_ring_id, vote);
	queue_out(c, "ask for vote reply");
}

static void
handle_vote_info_reply(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	struct qnetd_client *client = &c->client;
	enum tlv_reply_error_code err;

	(void)raw;
	(void)len;
	if (check_tls_and_init(c, m) != 0)
		return;
	if (!m->seq_number_set) {
		send_error(c, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	err = algo_get(client->decision_algorithm)->vote_info_reply_received(client, m->seq_number);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR)
		send_error(c, m, err);
}

static void
handle_heuristics_change(struct conn *c, const struct msg_decoded *m, const uint8_t *raw,
    size_t len)
{
	struct qnetd_client *client = &c->client;
	enum tlv_vote vote = TLV_VOTE_NO_CHANGE;
	enum tlv_reply_error_code err;

	(void)raw;
	(void)len;
	if (check_tls_and_init(c, m) != 0)
		return;
	if (!m->seq_number_set || !m->heuristics_set || m->heuristics == TLV_HEURISTICS_UNDEFINED) {
		send_error(c, m, TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION);
		return;
	}
	err = algo_get(client->decision_algorithm)
	          ->heuristics_change_received(client, m->seq_number, m->heuristics, &vote);
	if (err != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		send_error(c, m, err);
		return;
	}
	record_vote(client, vote);
	client->last_regular_heuristics = m->heuristics;
	client->last_heuristics = m->heuristics;
	msg_create_heuristics_change_reply(&out, m->seq_number, m->heuristics,
	    &client->last_ring_id, vote);
	queue_out(c, "heuristics change reply");
}

/* A server-to-client type sent by the client. */
static void
handle_unexpected(struct conn *c, const struct msg_decoded *m, const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	log_client(LOG_ERR, &c->client, "sent a %s message, which only a server sends",
	    msg_type_to_str(m->type));
	send_error(c, m, TLV_REPLY_ERROR_CODE_UNEXPECTED_MESSAGE);
}

static const msg_handler handlers[MSG_TYPE_COUNT] = {
	[MSG_TYPE_PREINIT] = handle_preinit,
	[MSG_TYPE_PREINIT_REPLY] = handle_unexpected,
	[MSG_TYPE_STARTTLS] = handle_starttls,
	[MSG_TYPE_INIT] = handle_init,
	[MSG_TYPE_INIT_REPLY] = handle_unexpected,
	[MSG_TYPE_SERVER_ERROR] = handle_unexpected,
	[MSG_TYPE_SET_OPTION] = handle_set_option,
	[MSG_TYPE_SET_OPTION_REPLY] = handle_unexpected,
	[MSG_TYPE_ECHO_REQUEST] = handle_echo_request,
	[MSG_TYPE_ECHO_REPLY] = handle_unexpected,
	[MSG_TYPE_NODE_LIST] = handle_node_list,
	[MSG_TYPE_NODE_LIST_REPLY] = handle_unexpected,
	[MSG_TYPE_ASK_FOR_VOTE] = handle_ask_for_vote,
	[MSG_TYPE_ASK_FOR_VOTE_REPLY] = handle_unexpected,
	[MSG_TYPE_VOTE_INFO] = handle_unexpected,
	[MSG_TYPE_VOTE_INFO_REPLY] = handle_vote_info_reply,
	[MSG_TYPE_HEURISTICS_CHANGE] = handle_heuristics_change,
	[MSG_TYPE_HEURISTICS_CHANGE_REPLY] = handle_unexpected,
};

/* ---- entry points ---- */

void
session_module_init(void)
{
	wbuf_init(&out, qnetd_instance.settings->max_client_send_size);
	algo_env_set(&session_algo_env);
}

int
session_client_accepted(struct conn *c)
{
	const struct qnetd_settings *s = qnetd_instance.settings;

	loop_timer_init(&c->dpd_timer, dpd_timer_cb, c);
	loop_timer_init(&c->algo_timer, algo_timer_cb, c);
	loop_timer_init(&c->deadline_timer, deadline_timer_cb, c);
	c->client.heartbeat_interval = PREINIT_HB;
	if (s->dpd_enabled && loop_timer_arm(&c->dpd_timer, dpd_interval(PREINIT_HB)) != 0)
		return (-1);
	if (s->handshake_timeout != 0 &&
	    loop_timer_arm(&c->deadline_timer, s->handshake_timeout) != 0)
		return (-1);
	return (0);
}

void
session_msg_received(struct conn *c, const uint8_t *raw, size_t len)
{
	struct msg_decoded m;
	enum msg_decode_result r;

	dpd_reschedule(c);
	msg_decoded_init(&m);
	r = msg_decode(raw, len, &m);
	if (r != MSG_DECODE_OK) {
		log_client(LOG_WARNING, &c->client, "sent a message that can't be decoded (%d)",
		    (int)r);
		send_error(c, &m, TLV_REPLY_ERROR_CODE_ERROR_DECODING_MSG);
		goto out;
	}
	/* Framing let through only types 0..17. */
	if ((unsigned)m.type < MSG_TYPE_COUNT)
		handlers[m.type](c, &m, raw, len);
out:
	msg_decoded_destroy(&m);
}

void
session_msg_skipped(struct conn *c, enum tlv_reply_error_code reason)
{
	log_client(LOG_WARNING, &c->client, "sent an %s message; skipped",
	    reason == TLV_REPLY_ERROR_CODE_MESSAGE_TOO_LONG ? "oversize" : "unknown-type");
	send_error(c, NULL, reason);
}

void
session_client_disconnect(struct conn *c, int server_going_down)
{
	struct qnetd_client *client = &c->client;
	const struct algo_ops *ops;

	if (client->init_received) {
		ops = algo_get(client->decision_algorithm);
		if (ops != NULL)
			ops->client_disconnect(client, server_going_down);
	}
	loop_timer_disarm(&c->algo_timer);
	cluster_registry_del_client(&qnetd_instance.clusters, client);
}
