/*
 * enrolld.h - corosync-qnetd-enroll, the enrollment service: its
 * configuration and counters, shared by its modules (main.c options,
 * svc_tls.c NSS, server.c connections, handler.c requests).
 *
 * The program, not the library: it links the library (enroll, base, the
 * event loop and the event hook runner) and is never linked into the
 * vote daemon, so a flood of handshakes here never delays a vote.
 */
#ifndef QNETD_ENROLLD_H
#define QNETD_ENROLLD_H

#include <stddef.h>
#include <stdint.h>

#define ENROLLD_DEFAULT_PORT 5443
#define ENROLLD_DEFAULT_STATE_DIR "/var/lib/corosync-qnetd"
#define ENROLLD_CA_NICKNAME "QNet CA"
/* Bodies: a PKCS#10 request of an RSA 4096 key is under 2 KiB in PEM. */
#define ENROLLD_MAX_BODY 16384
#define ENROLLD_MAX_JOIN_SCRIPT (256 * 1024)

struct enrolld_config {
	char *listen_addr; /* NULL: wildcard */
	uint16_t port;
	int family; /* AF_UNSPEC, AF_INET, AF_INET6 */
	char *nss_db_dir;
	char *cert_nickname;
	char *state_dir;
	char *join_script;
	char *event_hook;
	uint32_t max_connections;
	uint32_t request_timeout_ms; /* accept to complete request */
	uint32_t max_failures;       /* per peer address and window */
	uint32_t failure_window_ms;
	int debug;
	int foreground;
};

/* Everything the service counts; logged by enrolld_log_summary(). */
struct enrolld_stats {
	uint64_t connections;  /* accepted */
	uint64_t busy;         /* refused: max_connections open */
	uint64_t tls_failed;   /* handshake failed (garbage, wrong protocol, ...) */
	uint64_t timeouts;     /* request not complete within request_timeout */
	uint64_t bad_http;     /* malformed, too large, unknown path or method */
	uint64_t rate_limited; /* answered 429 */
	uint64_t files;        /* ca.crt and join.sh served */
	uint64_t enrolled;     /* certificates returned (new or the same again) */
	uint64_t refused;      /* enrollment refused by the token or request checks */
	uint64_t internal;     /* enrollment failed inside (500) */
};

extern struct enrolld_stats enrolld_stats;

/* One INFO line with every counter ("Enroll summary: ..."). */
void enrolld_log_summary(const char *when);

#endif
