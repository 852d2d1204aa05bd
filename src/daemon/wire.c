/*
 * wire.c - the session core on top of the daemon's connections (see
 * wire.h).  The only module that knows both a struct conn and the
 * session: the connection and the session never include each other.
 */
#include "daemon/wire.h"
#include "extras/events.h"
#include "net/conn.h"
#include "net/loop.h"
#include "net/tls.h"
#include "net/tls_cert.h"
#include "session/session.h"

_Static_assert(SESSION_TIMER_COUNT <= CONN_TIMERS, "a connection carries every session timer");

/* The daemon's one session context: the instance's settings and clusters. */
static struct session_ctx daemon_session;

/* ---- the session's transport: a struct conn ---- */

static int
tp_queue(struct qnetd_client *client, const uint8_t *data, size_t len)
{
	return (conn_queue(conn_of(client), data, len));
}

static int
tp_start_tls(struct qnetd_client *client)
{
	return (conn_start_tls(conn_of(client)));
}

static void
tp_close(struct qnetd_client *client, const char *reason)
{
	conn_schedule_close(conn_of(client), reason);
}

static int
tp_input_pending(struct qnetd_client *client)
{
	return (conn_input_pending(conn_of(client)));
}

static int
tp_check_peer_name(struct qnetd_client *client, const char *name, char *why, size_t why_len)
{
	return (tls_check_peer_name(conn_of(client)->ssl, name, why, why_len));
}

static void
tp_cert_verified(struct qnetd_client *client)
{
	struct tls_cert_facts f;

	if (tls_peer_facts(conn_of(client)->ssl, &f) == 0)
		events_cert_verified(client, &f);
}

static int
tp_timer_arm(struct qnetd_client *client, enum session_timer t, uint64_t ms)
{
	return (conn_timer_arm(conn_of(client), (unsigned)t, ms));
}

static void
tp_timer_disarm(struct qnetd_client *client, enum session_timer t)
{
	conn_timer_disarm(conn_of(client), (unsigned)t);
}

static int
tp_timer_expiry(struct qnetd_client *client, enum session_timer t, uint64_t *expire_ms)
{
	return (conn_timer_expiry(conn_of(client), (unsigned)t, expire_ms));
}

static const struct session_transport conn_transport = {
	.queue = tp_queue,
	.start_tls = tp_start_tls,
	.close = tp_close,
	.input_pending = tp_input_pending,
	.check_peer_name = tp_check_peer_name,
	.cert_verified = tp_cert_verified,
	.now_ms = loop_now_ms,
	.timer_arm = tp_timer_arm,
	.timer_disarm = tp_timer_disarm,
	.timer_expiry = tp_timer_expiry,
};

/* What the session reports goes to the opt-in additions. */
static const struct session_observer events_observer = {
	.vote = events_vote,
	.client_init = events_client_init,
	.cert_rejected = events_cert_rejected,
	.duplicate_node_id = events_duplicate_node_id,
};

/* ---- the connections' upcalls: to the session and the events ---- */

int
wire_client_accepted(struct conn *c)
{
	return (session_client_accepted(&daemon_session, &c->client));
}

static void
up_message(struct conn *c, const uint8_t *msg, size_t len)
{
	session_msg_received(&c->client, msg, len);
}

static void
up_skipped(struct conn *c, enum tlv_reply_error_code reason)
{
	session_msg_skipped(&c->client, reason);
}

static void
up_timer(struct conn *c, unsigned which)
{
	session_timer_fired(&c->client, (enum session_timer)which);
}

static void
up_tls_done(struct conn *c, const char *error_name, const char *revoked_serial)
{
	if (revoked_serial != NULL)
		events_cert_revoked(&c->client, revoked_serial, 1);
	if (error_name == NULL)
		events_tls_handshake(&c->client);
	else
		events_tls_failed(&c->client, error_name);
}

static void
up_gone(struct conn *c, const char *reason, int server_going_down)
{
	events_client_gone(&c->client, reason);
	session_client_disconnect(&c->client, server_going_down);
}

static const struct conn_upcalls session_upcalls = {
	.message = up_message,
	.skipped = up_skipped,
	.timer = up_timer,
	.tls_done = up_tls_done,
	.gone = up_gone,
};

void
wire_init(struct qnetd_instance *instance)
{
	session_ctx_init(&daemon_session, instance->settings, &instance->clusters, &conn_transport,
	    &events_observer);
	conn_module_init(&session_upcalls);
}

void
wire_fini(void)
{
	session_ctx_destroy(&daemon_session);
}
