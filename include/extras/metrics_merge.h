/*
 * metrics_merge.h - one Prometheus text exposition from several
 * processes' (docs/workers.md): each family once, in the order first
 * seen, its samples added up by series (labels included), except the
 * ones that are not sums: qnetd_build_info and *_max_seconds take the
 * largest value, qnetd_start_time_seconds the smallest.  Pure.
 */
#ifndef QNETD_METRICS_MERGE_H
#define QNETD_METRICS_MERGE_H

#include <stddef.h>

#include "codec/wbuf.h"

/* Merge n texts (parts[i].data, .len) into out.  0, or -1 (out's limit, out of memory). */
int metrics_merge(const struct wbuf *parts, size_t n, struct wbuf *out);

#endif
