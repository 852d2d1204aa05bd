/*
 * expiry.h - certificate expiry warnings (docs/admin.md "Expiry"): the CA,
 * the server certificate and each connected cluster's certificate (the
 * one its clients presented last) get a warning when they expire within
 * EXPIRY_WARN_DAYS, or have expired.  Shown by corosync-qnetd-tool -k,
 * /healthz and the JSON status; a warning never makes either unhealthy.
 */
#ifndef QNETD_EXPIRY_H
#define QNETD_EXPIRY_H

#include <stddef.h>
#include <time.h>

#include "codec/wbuf.h"
#include "core/instance.h"

#define EXPIRY_WARN_DAYS 30
/* Warnings given one by one; past this, one more says how many were left out. */
#define EXPIRY_WARNINGS_MAX 16

/* Told one warning: a line of printable ASCII without a newline. */
typedef void expiry_warn_fn(void *arg, const char *text);

/* Call fn for each warning at time now.  The number of calls. */
size_t expiry_warnings(const struct qnetd_instance *instance, time_t now, expiry_warn_fn *fn,
    void *arg);

/* Append "warning: <text>\n" per warning to out. */
void expiry_warnings_text(const struct qnetd_instance *instance, time_t now, struct wbuf *out);

#endif
