/*
 * conflict.h - what extras/events.c records about peers' identities and
 * the JSON status (control/status_json.c) shows: identity conflicts (two
 * peers claiming one identity) and the certificate a cluster's clients
 * presented last.  Types only.
 */
#ifndef QNETD_CONFLICT_H
#define QNETD_CONFLICT_H

#include <stdint.h>
#include <time.h>

#include "core/client.h"

/* Identity conflicts seen, newest first (for the JSON status). */
enum events_conflict_kind {
	EVENTS_CONFLICT_CERTIFICATE,
	EVENTS_CONFLICT_NODE_ID,
};

struct events_conflict {
	enum events_conflict_kind kind;
	char cluster[256];                /* printable ASCII */
	uint32_t node_id;                 /* node id refused (NODE_ID) or of the new peer */
	char peer_a[CLIENT_ADDR_STR_LEN]; /* connected first */
	char peer_b[CLIENT_ADDR_STR_LEN]; /* the newcomer */
	char fp_a[65], fp_b[65];          /* certificate SHA-256 (hex) for CERTIFICATE */
	time_t first_seen, last_seen;
	uint64_t count;
};

#define EVENTS_CONFLICTS_MAX 32

/* A client certificate as last presented for a cluster. */
struct events_cert {
	char serial[2 * 64 + 2]; /* hex, as the revoked file writes it */
	char sha256[65];         /* hex */
	time_t not_after;
	time_t last_seen; /* when a client presented it (the handshake that verified it) */
};

#endif
