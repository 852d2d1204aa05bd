/*
 * test_settings.c - defaults, -S parsing, ranges and error texts.
 */
#include <string.h>

#include "check.h"
#include "base/settings.h"

static int
apply(struct qnetd_settings *s, const char *arg, char *err, char *warn)
{
	return settings_apply_advanced(s, arg, err, 256, warn, 256);
}

int
main(void)
{
	struct qnetd_settings s;
	char err[256], warn[256];
	enum tlv_tls_supported tls;

	CHECK_EQ(settings_init(&s), 0);
	CHECK_EQ(s.port, 5403);
	CHECK_EQ(s.listen_backlog, 4096);
	CHECK_EQ(s.max_client_send_buffers, 32);
	CHECK_EQ(s.max_client_send_size, 32768);
	CHECK_EQ(s.max_client_receive_size, 32768);
	CHECK_EQ(s.heartbeat_interval_min, 1000);
	CHECK_EQ(s.heartbeat_interval_max, 120000);
	CHECK_EQ(s.ipc_max_clients, 10);
	CHECK_EQ(s.ipc_max_receive_size, 4096);
	CHECK_EQ(s.ipc_max_send_size, 10 * 1024 * 1024);
	CHECK(s.dpd_interval_coefficient == 1.5);
	CHECK_EQ(s.tls, TLV_TLS_SUPPORTED);
	CHECK_EQ(s.tls_client_cert_required, 1);
	CHECK(strcmp(s.nss_db_dir, "/etc/corosync/qnetd/nssdb") == 0);
	CHECK(strcmp(s.cert_nickname, "QNetd Cert") == 0);
	CHECK(strcmp(s.lock_file, "/var/run/corosync-qnetd/corosync-qnetd.pid") == 0);
	CHECK(strcmp(s.local_socket_file, "/var/run/corosync-qnetd/corosync-qnetd.sock") == 0);

	CHECK_EQ(apply(&s, "listen_backlog=100,MAX_CLIENT_SEND_BUFFERS=2", err, warn), 0);
	CHECK_EQ(s.listen_backlog, 100);
	CHECK_EQ(s.max_client_send_buffers, 2);
	CHECK_EQ(apply(&s, "max_client_send_buffers=1", err, warn), -1);
	CHECK(strcmp(err, "Invalid value '1' for option 'max_client_send_buffers'") == 0);
	CHECK_EQ(apply(&s, "foo=1", err, warn), -1);
	CHECK(strcmp(err, "Unknown option 'foo'") == 0);
	CHECK_EQ(apply(&s, "dpd_interval=100", err, warn), 0);
	CHECK(strcmp(warn, "Option 'dpd_interval' is deprecated and has no effect anymore") == 0);
	CHECK_EQ(apply(&s, "dpd_interval_coefficient=0.5", err, warn), -1);
	CHECK_EQ(apply(&s, "dpd_interval_coefficient=2.5", err, warn), 0);
	CHECK(s.dpd_interval_coefficient == 2.5);
	CHECK_EQ(apply(&s, "dpd_interval_coefficient=nan", err, warn), -1);
	CHECK_EQ(apply(&s, "dpd_enabled=off", err, warn), 0);
	CHECK_EQ(s.dpd_enabled, 0);
	CHECK_EQ(apply(&s, "dpd_enabled=maybe", err, warn), -1);
	CHECK_EQ(apply(&s, "local_socket_umask=007", err, warn), 0);
	CHECK_EQ(s.local_socket_umask, 07);
	CHECK_EQ(apply(&s, "local_socket_umask=0800", err, warn), -1);
	CHECK_EQ(apply(&s, "local_socket_gid=0", err, warn), 0);
	CHECK_EQ(s.local_socket_gid, 0);
	CHECK_EQ(apply(&s, "local_socket_gid=root", err, warn), 0);
	CHECK_EQ(s.local_socket_gid, 0);
	CHECK_EQ(apply(&s, "local_socket_gid=no-such-group-here", err, warn), -1);
	CHECK_EQ(apply(&s, "ipc_max_receive_size=1023", err, warn), -1);
	CHECK_EQ(apply(&s, "ipc_max_clients=0", err, warn), 0);
	CHECK_EQ(apply(&s, "heartbeat_interval_min=0", err, warn), -1);
	CHECK_EQ(apply(&s, "listen_backlog=12abc", err, warn), -1);
	CHECK_EQ(apply(&s, "listen_backlog=", err, warn), -1);
	CHECK_EQ(apply(&s, "nss_db_dir=/tmp/x=y", err, warn), 0);
	CHECK(strcmp(s.nss_db_dir, "/tmp/x=y") == 0);
	CHECK_EQ(apply(&s, "keep_active_partition_tie_breaker=on", err, warn), 0);
	CHECK_EQ(s.keep_active_partition_tie_breaker, 1);
	CHECK_EQ(apply(&s, "handshake_timeout=0", err, warn), 0);
	CHECK_EQ(s.handshake_timeout, 0);

	/* workers: 1 by default (one process), 1..1024, or auto (online CPUs) */
	CHECK_EQ(s.workers, 1);
	CHECK_EQ(apply(&s, "workers=3", err, warn), 0);
	CHECK_EQ(s.workers, 3);
	CHECK_EQ(apply(&s, "workers=0", err, warn), -1);
	CHECK(strstr(err, "Invalid value '0' for option 'workers'") != NULL);
	CHECK_EQ(apply(&s, "workers=1025", err, warn), -1);
	CHECK_EQ(apply(&s, "WORKERS=auto", err, warn), 0);
	CHECK(s.workers >= 1 && s.workers <= 1024);

	CHECK_EQ(settings_parse_tls("ON", &tls), 0);
	CHECK_EQ(tls, TLV_TLS_SUPPORTED);
	CHECK_EQ(settings_parse_tls("off", &tls), 0);
	CHECK_EQ(tls, TLV_TLS_UNSUPPORTED);
	CHECK_EQ(settings_parse_tls("req", &tls), 0);
	CHECK_EQ(tls, TLV_TLS_REQUIRED);
	CHECK_EQ(settings_parse_tls("required", &tls), 0);
	CHECK_EQ(settings_parse_tls("maybe", &tls), -1);
	CHECK_EQ(settings_parse_bool("YES"), 1);
	CHECK_EQ(settings_parse_bool("0"), 0);
	CHECK_EQ(settings_parse_bool(""), -1);

	/* state_dir (enrollment state, revoked list, vote memory) */
	CHECK(strcmp(s.state_dir, "/var/lib/corosync-qnetd") == 0);
	CHECK_EQ(apply(&s, "state_dir=/tmp/x", err, warn), 0);
	CHECK(strcmp(s.state_dir, "/tmp/x") == 0);
	CHECK_EQ(apply(&s, "state_dir=", err, warn), 0); /* "": none */
	CHECK(strcmp(s.state_dir, "") == 0);

	settings_destroy(&s);
	return check_exit("settings");
}
