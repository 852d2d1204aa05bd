/*
 * metrics.h - the Prometheus text of the counters (core/metrics_counters.h)
 * for the opt-in endpoint (metrics_http.h).  Gauges (clients, clusters,
 * per-cluster votes) are read from qnetd_instance when the text is
 * formatted.
 */
#ifndef QNETD_METRICS_H
#define QNETD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "codec/wbuf.h"
#include "core/instance.h"
#include "core/metrics_counters.h"

/* The partitions of cl holding the vote: distinct last ring ids among the clients
 * whose last ACK/NACK vote was ACK.  0 when none does; 2 or more must not last. */
size_t metrics_acked_partitions(const struct qnetd_cluster *cl);

/* The whole Prometheus text exposition (format 0.0.4).  0, or -1 when out's limit was hit. */
int metrics_format(const struct qnetd_instance *instance, struct wbuf *out);

#endif
