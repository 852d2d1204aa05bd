/*
 * ipc_cmd.h - the commands of the IPC socket (protocol.md 5.2, 5.3):
 * parse one request line, and format the reply to it from the daemon's
 * state.  Pure: no sockets, no logging.
 */
#ifndef QNETD_IPC_CMD_H
#define QNETD_IPC_CMD_H

#include <stddef.h>

#include "instance.h"
#include "wbuf.h"

enum ipc_cmd_type {
	IPC_CMD_NONE,		/* empty request: "No command specified" */
	IPC_CMD_UNKNOWN,	/* "Unknown command '<word>'" */
	IPC_CMD_STATUS,
	IPC_CMD_LIST,
	IPC_CMD_SHUTDOWN,
	/* additions (docs/compat.md "Additions"): unknown words to upstream */
	IPC_CMD_JSON,		/* "json [status|list|all] [verbose] [cluster NAME]" */
	IPC_CMD_HEALTH,		/* "health" */
};

struct ipc_cmd {
	enum ipc_cmd_type type;
	int verbose;
	char *cluster_name;	/* owned; list filter, NULL or "" = every cluster */
	char *word;		/* owned; the unknown command word */
	int json_what;		/* IPC_CMD_JSON: enum status_json_what */
};

/*
 * Parse a request (the bytes received, up to and past its newline; only
 * what comes before the first end of line counts).  Command words are
 * case-insensitive.  Returns 0, or -1 on out of memory (cmd is then
 * empty).  ipc_cmd_destroy() afterwards in both cases.
 */
int ipc_cmd_parse(struct ipc_cmd *cmd, const char *req, size_t len);
void ipc_cmd_destroy(struct ipc_cmd *cmd);

/* Bodies, appended to out.  0, or -1 when out's limit was hit. */
int ipc_cmd_status(const struct qnetd_instance *instance, int verbose, struct wbuf *out);
int ipc_cmd_list(const struct qnetd_instance *instance, int verbose, const char *cluster_name,
    struct wbuf *out);

/*
 * The whole reply to cmd into out (which must be empty): "OK\n" and the
 * body, or "Error\n<message>\n".  Like upstream, max_size (the daemon's
 * ipc_max_send_size) bounds the body alone: a body over it gives
 * "Error\nCan't get QNetd status\n" (or "...cluster list"), a body that
 * fits while "OK\n" plus the body does not gives "Error\nInternal IPC
 * buffer too small\n".  out's own limit must allow max_size + 3.
 * Returns 0, or -1 when not even the error fits (upstream then closes the
 * connection without a reply).
 */
int ipc_cmd_reply(const struct qnetd_instance *instance, const struct ipc_cmd *cmd,
    size_t max_size, struct wbuf *out);

#endif
