/*
 * health.h - is the daemon serving?  The one check behind IPC "health"
 * (corosync-qnetd-tool -H) and GET /healthz.
 */
#ifndef QNETD_HEALTH_H
#define QNETD_HEALTH_H

#include <stddef.h>
#include <time.h>

#include "codec/wbuf.h"
#include "core/instance.h"

/*
 * 0 when the daemon serves (listener open, TLS ready when on, not
 * shutting down), with a one-line summary in why; -1 with the reason.
 */
int health_check(const struct qnetd_instance *instance, char *why, size_t len);

/*
 * Warnings that never make the daemon unhealthy (certificate expiry),
 * appended as "warning: <text>\n" lines to out; nothing when no source is
 * set.  The source is given by the additions (extras/expiry.h), so that
 * this layer does not include them.
 */
typedef void (
    *health_warnings_fn)(const struct qnetd_instance *instance, time_t now, struct wbuf *out);
void health_set_warnings_fn(health_warnings_fn fn);
void health_warnings_text(const struct qnetd_instance *instance, time_t now, struct wbuf *out);

#endif
