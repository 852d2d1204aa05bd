/*
 * settings.c - defaults and parsing of the daemon's options and of the
 * -S advanced settings.  Pure: messages go back to the caller.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/settings.h"

#define DPD_COEFFICIENT_MIN 1.0
#define DPD_COEFFICIENT_MAX 1000.0
#define SIZE_MIN_CLIENT 16
#define SIZE_MIN_IPC 1024
#define HANDSHAKE_TIMEOUT_DEFAULT 30000
#define ACCEPT_BATCH_DEFAULT 64
#define WORKERS_MAX 1024

enum set_result {
	SET_OK = 0,
	SET_UNKNOWN = -1,
	SET_INVALID = -2,
	SET_DEPRECATED = -3,
	SET_NOMEM = -4,
};

int
settings_init(struct qnetd_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->port = QNETD_DEFAULT_PORT;
	s->address_family = AF_UNSPEC;
	s->tls = TLV_TLS_SUPPORTED;
	s->tls_client_cert_required = 1;
	s->listen_backlog = 4096; /* upstream: 10; see docs/compat.md */
	s->max_client_send_buffers = 32;
	s->max_client_send_size = 32768;
	s->max_client_receive_size = 32768;
	s->heartbeat_interval_min = 1000;
	s->heartbeat_interval_max = 120000;
	s->dpd_enabled = 1;
	s->dpd_interval_coefficient = 1.5;
	s->local_socket_umask = -1;
	s->local_socket_gid = -1;
	s->local_socket_backlog = 10;
	s->ipc_max_clients = 10;
	s->ipc_max_receive_size = 4096;
	s->ipc_max_send_size = 10 * 1024 * 1024;
	s->keep_active_partition_tie_breaker = 0;
	s->handshake_timeout = HANDSHAKE_TIMEOUT_DEFAULT;
	s->accept_batch = ACCEPT_BATCH_DEFAULT;
	s->workers = 1;
	s->event_hook_timeout = 10000;
	s->event_hook_queue = 256;
	s->conflict_log_interval = 60000;
	s->nss_db_dir = strdup(QNETD_DEFAULT_NSS_DB_DIR);
	s->cert_nickname = strdup(QNETD_DEFAULT_CERT_NICKNAME);
	s->lock_file = strdup(QNETD_DEFAULT_LOCK_FILE);
	s->local_socket_file = strdup(QNETD_DEFAULT_LOCAL_SOCKET_FILE);
	s->state_dir = strdup(QNETD_DEFAULT_STATE_DIR);
	if (s->nss_db_dir == NULL || s->cert_nickname == NULL || s->lock_file == NULL ||
	    s->local_socket_file == NULL || s->state_dir == NULL) {
		settings_destroy(s);
		return (-1);
	}
	return (0);
}

void
settings_destroy(struct qnetd_settings *s)
{
	free(s->listen_addr);
	free(s->nss_db_dir);
	free(s->cert_nickname);
	free(s->lock_file);
	free(s->local_socket_file);
	free(s->metrics_address);
	free(s->event_hook);
	free(s->log_level_file);
	free(s->state_dir);
	s->state_dir = NULL;
	s->metrics_address = s->event_hook = s->log_level_file = NULL;
	s->listen_addr = s->nss_db_dir = s->cert_nickname = NULL;
	s->lock_file = s->local_socket_file = NULL;
}

/* Whole-string integer in [min, max], in the given base. */
static int
parse_ll(const char *str, long long min, long long max, int base, long long *out)
{
	char *ep;
	long long v;

	errno = 0;
	v = strtoll(str, &ep, base);
	if (ep == str || *ep != '\0' || errno != 0 || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

static int
parse_double(const char *str, double min, double max, double *out)
{
	char *ep;
	double v;

	errno = 0;
	v = strtod(str, &ep);
	if (ep == str || *ep != '\0' || errno != 0 || isnan(v) || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

int
settings_parse_bool(const char *v)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
		return (1);
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
		return (0);
	return (-1);
}

int
settings_parse_tls(const char *v, enum tlv_tls_supported *out)
{
	if (strcasecmp(v, "on") == 0)
		*out = TLV_TLS_SUPPORTED;
	else if (strcasecmp(v, "off") == 0)
		*out = TLV_TLS_UNSUPPORTED;
	else if (strcasecmp(v, "req") == 0 || strcasecmp(v, "required") == 0)
		*out = TLV_TLS_REQUIRED; /* "required": what the man page documents */
	else
		return (-1);
	return (0);
}

static int
set_string(char **dst, const char *v)
{
	char *copy = strdup(v);

	if (copy == NULL)
		return (SET_NOMEM);
	free(*dst);
	*dst = copy;
	return (SET_OK);
}

static int
set_u32(uint32_t *dst, const char *v, long long min, long long max)
{
	long long n;

	if (parse_ll(v, min, max, 10, &n) != 0)
		return (SET_INVALID);
	*dst = (uint32_t)n;
	return (SET_OK);
}

static int
set_gid(long *dst, const char *v)
{
	struct group *gr;
	long long n;

	if (*v == '\0' || strcmp(v, "-1") == 0) {
		*dst = -1;
		return (SET_OK);
	}
	if (parse_ll(v, 0, (long long)UINT32_MAX - 1, 10, &n) == 0) {
		*dst = (long)n;
		return (SET_OK);
	}
	gr = getgrnam(v);
	if (gr == NULL)
		return (SET_INVALID);
	*dst = (long)gr->gr_gid;
	return (SET_OK);
}

static int
set_umask(int *dst, const char *v)
{
	long long n;

	if (*v == '\0') {
		*dst = -1;
		return (SET_OK);
	}
	if (parse_ll(v, 0, 0777, 8, &n) != 0)
		return (SET_INVALID);
	*dst = (int)n;
	return (SET_OK);
}

static int
set_bool(int *dst, const char *v)
{
	int b = settings_parse_bool(v);

	if (b < 0)
		return (SET_INVALID);
	*dst = b;
	return (SET_OK);
}

/* "auto": one per online CPU (at most WORKERS_MAX); else 1..WORKERS_MAX. */
static int
set_workers(uint32_t *dst, const char *v)
{
	long n;

	if (strcasecmp(v, "auto") != 0)
		return (set_u32(dst, v, 1, WORKERS_MAX));
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	*dst = n > WORKERS_MAX ? WORKERS_MAX : (uint32_t)n;
	return (SET_OK);
}

/* Keys of the opt-in additions (docs/compat.md "Additions"). */
static int
settings_set_additions(struct qnetd_settings *s, const char *k, const char *v)
{
	if (strcasecmp(k, "metrics_address") == 0)
		return *v == '\0' ? SET_INVALID : set_string(&s->metrics_address, v);
	if (strcasecmp(k, "event_hook") == 0)
		return *v == '\0' ? SET_INVALID : set_string(&s->event_hook, v);
	if (strcasecmp(k, "event_hook_timeout") == 0)
		return (set_u32(&s->event_hook_timeout, v, 1, 3600000));
	if (strcasecmp(k, "event_hook_queue") == 0)
		return (set_u32(&s->event_hook_queue, v, 1, 65536));
	if (strcasecmp(k, "log_level_file") == 0)
		return *v == '\0' ? SET_INVALID : set_string(&s->log_level_file, v);
	if (strcasecmp(k, "conflict_log_interval") == 0)
		return (set_u32(&s->conflict_log_interval, v, 0, 86400000));
	if (strcasecmp(k, "state_dir") == 0)
		return (set_string(&s->state_dir, v));
	return (SET_UNKNOWN);
}

static int
settings_set(struct qnetd_settings *s, const char *k, const char *v)
{
	if (strcasecmp(k, "listen_backlog") == 0)
		return (set_u32(&s->listen_backlog, v, 1, INT_MAX));
	if (strcasecmp(k, "max_client_send_buffers") == 0)
		return (set_u32(&s->max_client_send_buffers, v, 2, UINT32_MAX));
	if (strcasecmp(k, "max_client_send_size") == 0)
		return (set_u32(&s->max_client_send_size, v, SIZE_MIN_CLIENT, UINT32_MAX));
	if (strcasecmp(k, "max_client_receive_size") == 0)
		return (set_u32(&s->max_client_receive_size, v, SIZE_MIN_CLIENT, UINT32_MAX));
	if (strcasecmp(k, "nss_db_dir") == 0)
		return (set_string(&s->nss_db_dir, v));
	if (strcasecmp(k, "cert_nickname") == 0)
		return (set_string(&s->cert_nickname, v));
	if (strcasecmp(k, "heartbeat_interval_min") == 0)
		return (set_u32(&s->heartbeat_interval_min, v, 1, UINT32_MAX));
	if (strcasecmp(k, "heartbeat_interval_max") == 0)
		return (set_u32(&s->heartbeat_interval_max, v, 1, UINT32_MAX));
	if (strcasecmp(k, "dpd_enabled") == 0)
		return (set_bool(&s->dpd_enabled, v));
	if (strcasecmp(k, "dpd_interval") == 0)
		return (SET_DEPRECATED);
	if (strcasecmp(k, "dpd_interval_coefficient") == 0)
		return parse_double(v, DPD_COEFFICIENT_MIN, DPD_COEFFICIENT_MAX,
		           &s->dpd_interval_coefficient) == 0
		    ? SET_OK
		    : SET_INVALID;
	if (strcasecmp(k, "lock_file") == 0)
		return (set_string(&s->lock_file, v));
	if (strcasecmp(k, "local_socket_file") == 0)
		return (set_string(&s->local_socket_file, v));
	if (strcasecmp(k, "local_socket_umask") == 0)
		return (set_umask(&s->local_socket_umask, v));
	if (strcasecmp(k, "local_socket_gid") == 0)
		return (set_gid(&s->local_socket_gid, v));
	if (strcasecmp(k, "local_socket_backlog") == 0)
		return (set_u32(&s->local_socket_backlog, v, 1, INT_MAX));
	if (strcasecmp(k, "ipc_max_clients") == 0)
		return (set_u32(&s->ipc_max_clients, v, 0, UINT32_MAX));
	if (strcasecmp(k, "ipc_max_receive_size") == 0)
		return (set_u32(&s->ipc_max_receive_size, v, SIZE_MIN_IPC, UINT32_MAX));
	if (strcasecmp(k, "ipc_max_send_size") == 0)
		return (set_u32(&s->ipc_max_send_size, v, SIZE_MIN_IPC, UINT32_MAX));
	if (strcasecmp(k, "keep_active_partition_tie_breaker") == 0)
		return (set_bool(&s->keep_active_partition_tie_breaker, v));
	if (strcasecmp(k, "handshake_timeout") == 0)
		return (set_u32(&s->handshake_timeout, v, 0, 3600000));
	if (strcasecmp(k, "accept_batch") == 0)
		return (set_u32(&s->accept_batch, v, 1, 65536));
	if (strcasecmp(k, "workers") == 0)
		return (set_workers(&s->workers, v));
	return (settings_set_additions(s, k, v));
}

/*
 * "k=v,k=v": split on ',' then on the first '='.  No quoting, as
 * upstream.  An empty item ends the list; a key without '=' gets "".
 */
int
settings_apply_advanced(struct qnetd_settings *s, const char *arg, char *err, size_t errlen,
    char *warn, size_t warnlen)
{
	char *copy, *item, *save = NULL, *eq;
	const char *val;
	int res = 0, r;

	if (warn != NULL && warnlen > 0)
		warn[0] = '\0';
	copy = strdup(arg);
	if (copy == NULL) {
		snprintf(err, errlen, "Can't alloc memory for long option");
		return (-1);
	}
	for (item = strtok_r(copy, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
		eq = strchr(item, '=');
		val = "";
		if (eq != NULL) {
			*eq = '\0';
			val = eq + 1;
		}
		if (*item == '\0')
			break;
		r = settings_set(s, item, val);
		if (r == SET_UNKNOWN) {
			snprintf(err, errlen, "Unknown option '%s'", item);
			res = -1;
			goto out;
		}
		if (r == SET_INVALID) {
			snprintf(err, errlen, "Invalid value '%s' for option '%s'", val, item);
			res = -1;
			goto out;
		}
		if (r == SET_NOMEM) {
			snprintf(err, errlen, "Can't alloc memory for option '%s'", item);
			res = -1;
			goto out;
		}
		if (r == SET_DEPRECATED && warn != NULL)
			snprintf(warn, warnlen,
			    "Option '%s' is deprecated and has no effect anymore", item);
	}
out:
	free(copy);
	return (res);
}
