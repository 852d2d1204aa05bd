/*
 * ca_cmd.h - the commands of corosync-qnetd-ca, the helper that
 * corosync-qnetd-certutil runs for -s and the enrollment commands.  Each
 * returns the program's exit status: 0 done, 1 failed, 2 bad usage,
 * 3 refused (strict re-signing).
 */
#ifndef QNETD_CATOOL_CA_CMD_H
#define QNETD_CATOOL_CA_CMD_H

#include <stdint.h>
#include <time.h>

struct ca_tool {
	const char *nssdb_dir;
	const char *state_dir;
	const char *ca_nickname;
	const char *server_nickname;
	time_t now;
};

int ca_cmd_sign(const struct ca_tool *t, int argc, char **argv);
int ca_cmd_token_issue(const struct ca_tool *t, int argc, char **argv);
int ca_cmd_token_list(const struct ca_tool *t, int argc, char **argv);
int ca_cmd_token_withdraw(const struct ca_tool *t, int argc, char **argv);
int ca_cmd_list(const struct ca_tool *t, int argc, char **argv);
int ca_cmd_revoke(const struct ca_tool *t, int argc, char **argv);
int ca_cmd_crl_script(const struct ca_tool *t, int argc, char **argv);
int ca_cmd_import(const struct ca_tool *t, int argc, char **argv);
/* Prints the next serial, taken (serial.txt updated) under the CA lock. */
int ca_cmd_serial_next(const struct ca_tool *t, int argc, char **argv);

/* Takes the CA lock; prints why on failure.  The descriptor or -1. */
int ca_tool_lock(const struct ca_tool *t);

/* "YYYY-MM-DD HH:MM:SS UTC" of t into buf (at least 32 bytes). */
void ca_tool_time(int64_t t, char *buf, size_t size);

#endif
