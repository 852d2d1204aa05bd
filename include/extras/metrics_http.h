/*
 * metrics_http.h - the opt-in Prometheus endpoint (-S metrics_address):
 * a tiny HTTP/1.0-style server on the event loop answering
 * "GET /metrics" (metrics_format) and "GET /healthz".  Bounded: at most
 * METRICS_HTTP_MAX_CONNS connections, METRICS_HTTP_MAX_REQUEST bytes of
 * request, METRICS_HTTP_TIMEOUT_MS for the whole exchange; never blocks.
 */
#ifndef QNETD_METRICS_HTTP_H
#define QNETD_METRICS_HTTP_H

#include <stddef.h>

struct wbuf;

#define METRICS_HTTP_MAX_CONNS 16
#define METRICS_HTTP_MAX_REQUEST 4096
#define METRICS_HTTP_TIMEOUT_MS 5000

/* address: "HOST:PORT", "[V6]:PORT", or "unix:/path".  0, or -1 after logging. */
int metrics_http_init(const char *address);
void metrics_http_fini(void);

/*
 * Workers (docs/workers.md): the parent answers /metrics and /healthz for
 * every process.  format: the whole text into out (limit set), 0 or -1;
 * health: 0 with a summary in why, or -1 with the reason.  NULL (the
 * default): this process's own metrics_format() and extra_health().
 */
typedef int (*metrics_http_format_fn)(struct wbuf *out);
typedef int (*metrics_http_health_fn)(char *why, size_t len);
void metrics_http_set_hooks(metrics_http_format_fn format, metrics_http_health_fn health);

#endif
