/*
 * extra.c - lifecycle of the opt-in additions (see extra.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <qb/qblog.h>

#include "base/log.h"
#include "control/health.h"
#include "control/status_json.h"
#include "core/metrics_counters.h"
#include "extras/event_hook.h"
#include "extras/events.h"
#include "extras/expiry.h"
#include "extras/extra.h"
#include "extras/metrics_http.h"
#include "extras/revocation.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/loop.h"
#include "net/tls.h"

#define LAG_PROBE_MS 1000

static struct loop_timer lag_timer;
static int lag_running;
static int foreground;

static void
lag_cb(struct loop_timer *t)
{
	uint64_t now = loop_now_ms();

	metrics_loop_lag(now > t->expire_ms ? now - t->expire_ms : 0);
	loop_timer_arm(t, LAG_PROBE_MS);
}

static int
tls_info(const struct qnetd_client *client, char *proto, size_t plen, char *cipher, size_t clen)
{
	/* Every daemon client is the first member of its struct conn. */
	const struct conn *c = (const struct conn *)client;

	if (!client->tls_started || c->ssl == NULL || c->transport != CONN_TLS)
		return (-1);
	return (tls_channel_info(c->ssl, proto, plen, cipher, clen));
}

static const struct {
	const char *name;
	int prio;
} levels[] = {
	{ "debug", LOG_DEBUG },
	{ "info", LOG_INFO },
	{ "notice", LOG_NOTICE },
	{ "warning", LOG_WARNING },
	{ "warn", LOG_WARNING },
	{ "err", LOG_ERR },
	{ "error", LOG_ERR },
	{ "crit", LOG_CRIT },
};

int
extra_parse_log_level(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(word, levels[i].name) == 0)
			return (levels[i].prio);
	return (-1);
}

static void
set_log_level(int prio)
{
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_REMOVE, QB_LOG_FILTER_FILE, "*", LOG_TRACE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
	if (foreground) {
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_REMOVE, QB_LOG_FILTER_FILE, "*",
		    LOG_TRACE);
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
	}
}

/* The first word of the file names the level.  0, or -1 after logging. */
static int
load_log_level(const char *path)
{
	char buf[64], *p;
	FILE *f;
	int prio;

	f = fopen(path, "re");
	if (f == NULL) {
		log_msg(LOG_ERR, "Can't read log_level_file %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	for (p = buf; *p != '\0' && !isspace((unsigned char)*p); p++)
		;
	*p = '\0';
	prio = extra_parse_log_level(buf);
	if (prio < 0) {
		log_msg(LOG_ERR,
		    "log_level_file %s: unknown level '%s' (debug, info, notice, "
		    "warning, err, crit)",
		    path, buf);
		return (-1);
	}
	set_log_level(prio);
	log_msg(LOG_NOTICE, "Log level set to %s from %s", buf, path);
	return (0);
}

int
extra_init(const struct qnetd_settings *s)
{
	foreground = s->foreground;
	status_json_set_tls_fn(tls_info);
	status_json_set_events_fns(events_conflicts, events_client_fingerprint);
	status_json_set_cert_fns(events_cluster_certificate, expiry_warnings);
	health_set_warnings_fn(expiry_warnings_text);
	events_init(s);
	revocation_init(s);
	if (s->log_level_file != NULL && load_log_level(s->log_level_file) != 0)
		return (-1);
	if (event_hook_init(s) != 0)
		return (-1);
	if (s->metrics_address != NULL && metrics_http_init(s->metrics_address) != 0)
		return (-1);
	/* The probe wakes the daemon once a second: only when someone reads it. */
	loop_timer_init(&lag_timer, lag_cb, NULL);
	if (s->metrics_address != NULL)
		lag_running = loop_timer_arm(&lag_timer, LAG_PROBE_MS) == 0;
	return (0);
}

void
extra_fini(void)
{
	if (lag_running)
		loop_timer_disarm(&lag_timer);
	lag_running = 0;
	metrics_http_fini();
	revocation_fini();
	event_hook_fini();
	events_fini();
}

int
extra_reload(const struct qnetd_settings *s)
{
	char desc[512];
	int res = 0;

	log_msg(LOG_NOTICE, "SIGHUP received: reloading");
	if (s->log_level_file != NULL && load_log_level(s->log_level_file) != 0)
		res = -1;
	if (s->tls != TLV_TLS_UNSUPPORTED) {
		if (tls_reload(s) != 0) {
			res = -1;
		} else {
			tls_server_cert_describe(desc, sizeof(desc));
			log_msg(LOG_NOTICE, "Server certificate for new TLS connections: %s", desc);
		}
		if (revocation_reload(s) != 0)
			res = -1;
	}
	metrics_inc(res == 0 ? M_RELOADS : M_RELOAD_FAILURES);
	return (res);
}
