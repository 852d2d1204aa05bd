/*
 * health.c - the health check (see health.h).
 */
#include <stdio.h>

#include "control/health.h"
#include "net/listener.h"
#include "net/tls.h"

int
health_check(const struct qnetd_instance *instance, char *why, size_t len)
{
	const struct qnetd_settings *s = instance->settings;

	if (s == NULL) {
		snprintf(why, len, "not started");
		return (-1);
	}
	if (instance->shutting_down) {
		snprintf(why, len, "shutting down");
		return (-1);
	}
	if (!listener_is_open()) {
		snprintf(why, len, "listener on %s is not accepting", listener_display_addr());
		return (-1);
	}
	if (s->tls != TLV_TLS_UNSUPPORTED && !tls_available()) {
		snprintf(why, len, "TLS is on but no server certificate is loaded");
		return (-1);
	}
	snprintf(why, len, "healthy: listening on %s, %zu clients, %zu clusters",
	    listener_display_addr(), instance->client_count, instance->clusters.count);
	return (0);
}

static health_warnings_fn warnings_fn;

void
health_set_warnings_fn(health_warnings_fn fn)
{
	warnings_fn = fn;
}

void
health_warnings_text(const struct qnetd_instance *instance, time_t now, struct wbuf *out)
{
	if (warnings_fn != NULL)
		warnings_fn(instance, now, out);
}
