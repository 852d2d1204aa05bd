/*
 * metrics_http.h - the opt-in Prometheus endpoint (-S metrics_address):
 * a tiny HTTP/1.0-style server on the event loop answering
 * "GET /metrics" (metrics_format) and "GET /healthz".  Bounded: at most
 * METRICS_HTTP_MAX_CONNS connections, METRICS_HTTP_MAX_REQUEST bytes of
 * request, METRICS_HTTP_TIMEOUT_MS for the whole exchange; never blocks.
 */
#ifndef QNETD_METRICS_HTTP_H
#define QNETD_METRICS_HTTP_H

#define METRICS_HTTP_MAX_CONNS 16
#define METRICS_HTTP_MAX_REQUEST 4096
#define METRICS_HTTP_TIMEOUT_MS 5000

/* address: "HOST:PORT", "[V6]:PORT", or "unix:/path".  0, or -1 after logging. */
int metrics_http_init(const char *address);
void metrics_http_fini(void);

#endif
