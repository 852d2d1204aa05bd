/*
 * status_json.h - the daemon's state as JSON for "corosync-qnetd-tool -j"
 * (IPC request "json status|list|all [verbose] [cluster NAME]").  The
 * schema is docs/json-schema.md and docs/qnetd-status.schema.json; its
 * version is STATUS_JSON_SCHEMA_VERSION.
 */
#ifndef QNETD_STATUS_JSON_H
#define QNETD_STATUS_JSON_H

#include <stddef.h>

#include "codec/wbuf.h"
#include "core/conflict.h"
#include "core/instance.h"

#define STATUS_JSON_SCHEMA_VERSION 1

enum status_json_what {
	STATUS_JSON_STATUS = 1, /* "daemon" */
	STATUS_JSON_LIST = 2,   /* "clusters" */
	STATUS_JSON_ALL = 3,
};

/*
 * TLS details of a client, filled by the daemon (NULL in unit tests):
 * protocol and cipher names; 0, or -1 when unknown.
 */
typedef int (*status_json_tls_fn)(const struct qnetd_client *client, char *proto, size_t plen,
    char *cipher, size_t clen);
void status_json_set_tls_fn(status_json_tls_fn fn);

/*
 * Identity conflicts (newest first; the count, *out set) and a client's
 * certificate SHA-256 in hex (NULL: none), filled by the daemon's
 * additions (extras/events.h); unset: no conflicts, no fingerprints.
 */
typedef size_t (*status_json_conflicts_fn)(const struct events_conflict **out);
typedef const char *(*status_json_fingerprint_fn)(const struct qnetd_client *client);
void status_json_set_events_fns(status_json_conflicts_fn conflicts,
    status_json_fingerprint_fn fingerprint);

/*
 * The certificate a cluster's clients presented last (0, or -1: none) and
 * the certificate-expiry warnings (fn called once per warning; returns
 * their number), filled by the additions (extras/events.h,
 * extras/expiry.h); unset: no cluster certificates, no warnings.
 */
typedef int (*status_json_cluster_cert_fn)(const struct qnetd_cluster *cl, struct events_cert *out);
typedef size_t (*status_json_warnings_fn)(const struct qnetd_instance *instance, time_t now,
    void (*fn)(void *arg, const char *text), void *arg);
void status_json_set_cert_fns(status_json_cluster_cert_fn cluster_cert,
    status_json_warnings_fn warnings);

/*
 * One JSON document (and a newline) appended to out.  now: the time to
 * compute the uptime from.  0, or -1 when out's limit was hit.
 */
int status_json(const struct qnetd_instance *instance, enum status_json_what what,
    const char *cluster_name, time_t now, struct wbuf *out);

/*
 * The same document in parts, for a reply streamed cluster by cluster
 * (ipc_cmd.h): head (with "clusters":[ when what has STATUS_JSON_LIST),
 * then for each cluster its start, its clients and its end, then the
 * tail.  first: no comma before this cluster (client of the cluster).
 * A failed append leaves out->failed set.
 */
void status_json_head(const struct qnetd_instance *instance, enum status_json_what what, time_t now,
    struct wbuf *out);
void status_json_cluster_start(struct wbuf *out, const struct qnetd_cluster *cl, int first);
void status_json_client(struct wbuf *out, const struct qnetd_client *c, int first);
void status_json_cluster_end(struct wbuf *out);
void status_json_tail(enum status_json_what what, struct wbuf *out);

/* Append s (len bytes) as a JSON string; invalid UTF-8 becomes U+FFFD. */
void status_json_string(struct wbuf *out, const char *s, size_t len);

#endif
