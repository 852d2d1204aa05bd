/*
 * health.h - is the daemon serving?  The one check behind IPC "health"
 * (corosync-qnetd-tool -H) and GET /healthz.
 */
#ifndef QNETD_HEALTH_H
#define QNETD_HEALTH_H

#include <stddef.h>

#include "core/instance.h"

/*
 * 0 when the daemon serves (listener open, TLS ready when on, not
 * shutting down), with a one-line summary in why; -1 with the reason.
 */
int health_check(const struct qnetd_instance *instance, char *why, size_t len);

#endif
