/*
 * log.h - logging through libqb: syslog (ident corosync-qnetd, LOG_DAEMON)
 * and, in the foreground, stderr as "Mon DD HH:MM:SS level   message".
 */
#ifndef QNETD_LOG_H
#define QNETD_LOG_H

#include <syslog.h>

#include <qb/qblog.h>

struct qnetd_client;

/* Start logging.  foreground: also to stderr.  debug: 0 off, 1 on, 2 debug bumped to info in syslog. */
void log_init(const char *ident, int foreground, int debug);
void log_fini(void);

/*
 * Not qb_log(): that looks up (and on first use allocates) a libqb
 * callsite for every line and asserts when the allocation fails.  Ours
 * are allocated once, in log_init().
 */
void log_printf(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_msg(prio, ...) log_printf((prio), __VA_ARGS__)

/*
 * A line about a client: prefixed with its address and, once known,
 * cluster name and node id:  "client 127.0.0.1:5403 (cluster c1, node 2): ..."
 */
#define log_client(prio, client, fmt, ...) \
	log_printf((prio), "Client %s%s: " fmt, (client)->addr_str, log_client_ctx(client), \
	    ##__VA_ARGS__)

/* " (cluster NAME node ID)" once known, else "".  Static buffer: use within one log call. */
const char *log_client_ctx(const struct qnetd_client *client);

#endif
