/*
 * ca_main.c - corosync-qnetd-ca: the C helper behind
 * corosync-qnetd-certutil's -s and enrollment commands (signing with the
 * fixed profile, tokens, registry, revocation).  Not meant to be run by
 * hand: the certificate tool passes the database and state directories.
 *
 *   corosync-qnetd-ca -d NSSDB_DIR -S STATE_DIR COMMAND [ARG...]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nss.h>

#include "ca_cmd.h"
#include "enroll/ca_lock.h"

struct command {
	const char *name;
	int (*run)(const struct ca_tool *t, int argc, char **argv);
};

static const struct command commands[] = {
	{ "sign", ca_cmd_sign },
	{ "token-issue", ca_cmd_token_issue },
	{ "token-list", ca_cmd_token_list },
	{ "token-withdraw", ca_cmd_token_withdraw },
	{ "list", ca_cmd_list },
	{ "revoke", ca_cmd_revoke },
	{ "crl-script", ca_cmd_crl_script },
	{ "import", ca_cmd_import },
	{ "serial-next", ca_cmd_serial_next },
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: corosync-qnetd-ca -d nssdb_dir -S state_dir command [arg...]\n"
	    "commands: sign, token-issue, token-list, token-withdraw, list, revoke,\n"
	    "          crl-script, import, serial-next (see corosync-qnetd-certutil(8))\n");
}

int
ca_tool_lock(const struct ca_tool *t)
{
	int fd = ca_lock_acquire(t->state_dir);

	if (fd < 0)
		fprintf(stderr, "Can't lock %s/%s: %s\n", t->state_dir, CA_LOCK_FILE,
		    strerror(errno));
	return (fd);
}

void
ca_tool_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, size, "@%lld", (long long)t);
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return (&commands[i]);
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct ca_tool t = { NULL, NULL, "QNet CA", "QNetd Cert", time(NULL) };
	const struct command *cmd;
	int opt, rc;

	while ((opt = getopt(argc, argv, "+d:S:")) != -1) {
		switch (opt) {
		case 'd':
			t.nssdb_dir = optarg;
			break;
		case 'S':
			t.state_dir = optarg;
			break;
		default:
			usage();
			return (2);
		}
	}
	if (t.nssdb_dir == NULL || t.state_dir == NULL || optind >= argc ||
	    (cmd = find_command(argv[optind])) == NULL) {
		usage();
		return (2);
	}
	if (NSS_Initialize(t.nssdb_dir, "", "", "secmod.db", 0) != SECSuccess) {
		fprintf(stderr, "Can't open the NSS database %s\n", t.nssdb_dir);
		return (1);
	}
	rc = cmd->run(&t, argc - optind - 1, argv + optind + 1);
	NSS_Shutdown();
	return (rc);
}
