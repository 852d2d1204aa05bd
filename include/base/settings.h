/*
 * settings.h - the daemon's configuration: command-line options and the
 * -S advanced settings (protocol.md 4.1/4.2), with upstream's defaults,
 * ranges and error texts.  Pure: parsing never exits or logs.
 */
#ifndef QNETD_SETTINGS_H
#define QNETD_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "codec/tlv.h"

#ifndef QNETD_SYSCONFDIR
#define QNETD_SYSCONFDIR "/etc"
#endif
#define QNETD_DEFAULT_PORT 5403
#define QNETD_DEFAULT_NSS_DB_DIR QNETD_SYSCONFDIR "/corosync/qnetd/nssdb"
#define QNETD_DEFAULT_CERT_NICKNAME "QNetd Cert"
#define QNETD_DEFAULT_RUN_DIR "/var/run/corosync-qnetd"
#define QNETD_DEFAULT_LOCK_FILE QNETD_DEFAULT_RUN_DIR "/corosync-qnetd.pid"
#define QNETD_DEFAULT_LOCAL_SOCKET_FILE QNETD_DEFAULT_RUN_DIR "/corosync-qnetd.sock"
#define QNETD_DEFAULT_STATE_DIR "/var/lib/corosync-qnetd"

struct qnetd_settings {
	/* command line */
	char *listen_addr; /* NULL: wildcard */
	uint16_t port;
	int address_family; /* AF_UNSPEC, AF_INET, AF_INET6 */
	enum tlv_tls_supported tls;
	int tls_client_cert_required;
	uint32_t max_clients; /* 0: unlimited */
	int debug;            /* count of -d */
	int foreground;

	/* -S advanced settings, upstream keys */
	uint32_t listen_backlog;
	uint32_t max_client_send_buffers;
	uint32_t max_client_send_size;
	uint32_t max_client_receive_size;
	char *nss_db_dir;
	char *cert_nickname;
	uint32_t heartbeat_interval_min;
	uint32_t heartbeat_interval_max;
	int dpd_enabled;
	double dpd_interval_coefficient;
	char *lock_file;
	char *local_socket_file;
	int local_socket_umask; /* -1: leave the umask alone */
	long local_socket_gid;  /* -1: leave the group alone */
	uint32_t local_socket_backlog;
	uint32_t ipc_max_clients; /* 0: unlimited */
	uint32_t ipc_max_receive_size;
	uint32_t ipc_max_send_size;
	int keep_active_partition_tie_breaker;

	/* -S settings of our own (docs/compat.md) */
	uint32_t handshake_timeout; /* ms a client may take from accept to INIT; 0 = off */
	uint32_t accept_batch;      /* accepts per wake-up */
	uint32_t workers; /* worker processes; 1: one process, no parent (docs/workers.md) */

	/* -S additions beyond upstream, all off by default (docs/compat.md "Additions") */
	char *metrics_address;          /* "HOST:PORT" or "unix:/path"; NULL: no metrics listener */
	char *event_hook;               /* executable run on events; NULL: none */
	uint32_t event_hook_timeout;    /* ms before a running hook is killed */
	uint32_t event_hook_queue;      /* events waiting to run; more are dropped */
	char *log_level_file;           /* read at start and on SIGHUP; NULL: none */
	uint32_t conflict_log_interval; /* ms between identity-conflict log lines per key */
	char *state_dir;                /* state kept across restarts (vote memory); "": none */
};

/* Defaults, as upstream 3.0.3/3.0.4.  Strings are heap copies. */
int settings_init(struct qnetd_settings *s);
void settings_destroy(struct qnetd_settings *s);

/*
 * Apply one -S argument "k=v[,k=v...]".  0, or -1 with a message for
 * the user in err (e.g. "Unknown option 'foo'").  A warning that does not
 * stop start-up (deprecated dpd_interval) goes to warn, if non-NULL;
 * warn is set to "" when there is none.
 */
int settings_apply_advanced(struct qnetd_settings *s, const char *arg, char *err, size_t errlen,
    char *warn, size_t warnlen);

/* Parse the -s value (on/off/req/required, case-insensitive).  0 or -1. */
int settings_parse_tls(const char *v, enum tlv_tls_supported *out);
/* yes/on/1 -> 1, no/off/0 -> 0, else -1. */
int settings_parse_bool(const char *v);

#endif
