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

static int
tp_peer_fingerprint(struct qnetd_client *client, unsigned char fp[32])
{
	return (tls_peer_fingerprint(conn_of(client)->ssl, fp));
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
	.peer_fingerprint = tp_peer_fingerprint,
	.now_ms = loop_now_ms,
	.timer_arm = tp_timer_arm,
	.timer_disarm = tp_timer_disarm,
	.timer_expiry = tp_timer_expiry,
};

/* ---- the connections' upcalls: to the session and the events ---- */

static int
up_accepted(struct conn *c)
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
up_tls_done(struct conn *c, const char *error_name)
{
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
	.accepted = up_accepted,
	.message = up_message,
	.skipped = up_skipped,
	.timer = up_timer,
	.tls_done = up_tls_done,
	.gone = up_gone,
};

void
wire_init(struct qnetd_instance *instance)
{
	session_ctx_init(&daemon_session, instance->settings, &instance->clusters, &conn_transport);
	conn_module_init(&session_upcalls);
}

void
wire_fini(void)
{
	session_ctx_destroy(&daemon_session);
}
