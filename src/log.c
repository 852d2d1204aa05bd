/*
 * log.c - logging set-up on libqb: syslog always, stderr with -f.
 */
#include <stdio.h>
#include <string.h>

#include <qb/qblog.h>

#include "client.h"
#include "log.h"

void
log_init(const char *ident, int foreground, int debug)
{
	int prio = debug ? LOG_DEBUG : LOG_INFO;

	qb_log_init(ident, LOG_DAEMON, LOG_INFO);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_REMOVE, QB_LOG_FILTER_FILE, "*", LOG_TRACE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
	if (debug > 1) {
		/* -dd: debug lines reach syslogs that drop LOG_DEBUG, as upstream's bump */
		qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_PRIORITY_BUMP, LOG_INFO - LOG_DEBUG);
	}
	qb_log_format_set(QB_LOG_SYSLOG, "%b");
	if (foreground) {
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
		qb_log_format_set(QB_LOG_STDERR, "%t %7p %b");
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	}
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_FALSE);
}

void
log_fini(void)
{
	qb_log_fini();
}

/* Peer-chosen names go into logs: keep them printable and short. */
static void
sanitize(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i, n = srclen < dstlen - 1 ? srclen : dstlen - 1;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	dst[n] = '\0';
}

const char *
log_client_ctx(const struct qnetd_client *client)
{
	static char buf[320];
	char name[201];

	if (client->cluster_name == NULL) {
		buf[0] = '\0';
		return buf;
	}
	sanitize(name, sizeof(name), client->cluster_name, client->cluster_name_len);
	if (client->init_received)
		snprintf(buf, sizeof(buf), " (cluster %s, node %u)", name, client->node_id);
	else
		snprintf(buf, sizeof(buf), " (cluster %s)", name);
	return buf;
}
