/*
 * ipc_cmd.h - the commands of the IPC socket (protocol.md 5.2, 5.3):
 * parse one request line, and format the reply to it from the daemon's
 * state.  Pure: no sockets, no logging.
 */
#ifndef QNETD_IPC_CMD_H
#define QNETD_IPC_CMD_H

#include <stddef.h>

#include "codec/wbuf.h"
#include "core/instance.h"

enum ipc_cmd_type {
	IPC_CMD_NONE,    /* empty request: "No command specified" */
	IPC_CMD_UNKNOWN, /* "Unknown command '<word>'" */
	IPC_CMD_STATUS,
	IPC_CMD_LIST,
	IPC_CMD_SHUTDOWN,
	/* additions (docs/compat.md "Additions"): unknown words to upstream */
	IPC_CMD_JSON,   /* "json [status|list|all] [verbose] [cluster NAME]" */
	IPC_CMD_HEALTH, /* "health" */
};

struct ipc_cmd {
	enum ipc_cmd_type type;
	int verbose;
	char *cluster_name; /* owned; list filter, NULL or "" = every cluster */
	char *word;         /* owned; the unknown command word */
	int json_what;      /* IPC_CMD_JSON: enum status_json_what */
};

/*
 * Parse a request (the bytes received, up to and past its newline; only
 * what comes before the first end of line counts).  Command words are
 * case-insensitive.  Returns 0, or -1 on out of memory (cmd is then
 * empty).  ipc_cmd_destroy() afterwards in both cases.
 */
int ipc_cmd_parse(struct ipc_cmd *cmd, const char *req, size_t len);
void ipc_cmd_destroy(struct ipc_cmd *cmd);

/*
 * Bodies in one buffer, appended to out.  0, or -1 when out's limit was
 * hit.  (The daemon streams the list instead: ipc_cmd_reply_start().)
 */
int ipc_cmd_status(const struct qnetd_instance *instance, int verbose, struct wbuf *out);
int ipc_cmd_list(const struct qnetd_instance *instance, int verbose, const char *cluster_name,
    struct wbuf *out);

/*
 * Workers (docs/workers.md): the pieces a worker sends for a listing that
 * the parent merges.  ipc_cmd_lists_clusters: 1 when the reply to cmd
 * holds clusters (text list, JSON list or all).  ipc_cmd_cluster_selected:
 * 1 when cmd's filter takes the cluster.  ipc_cmd_format_cluster: one
 * cluster as that reply shows it (text: head and clients; JSON: the
 * object, without a leading comma); 0, or -1 when out's limit was hit or
 * one entry (the head, a client) is longer than max_entry (0: no bound),
 * which the streamed reply could not send either.
 */
int ipc_cmd_lists_clusters(const struct ipc_cmd *cmd);
int ipc_cmd_cluster_selected(const struct ipc_cmd *cmd, const struct qnetd_cluster *cluster);
int ipc_cmd_format_cluster(const struct ipc_cmd *cmd, const struct qnetd_cluster *cluster,
    size_t max_entry, struct wbuf *out);

/*
 * Replies to "list" and to "json list|all" are streamed: formatted a slice
 * at a time, each slice sent before the next is formatted, so that the
 * memory and the time one slice takes stay bounded whatever the number
 * of clients.  A slice stops once it holds IPC_STREAM_SLICE_BYTES (or
 * max_size, if smaller) or after IPC_STREAM_SLICE_STEPS steps (a step: a
 * cluster's head, a client, a cluster passed over by the filter), and it
 * never holds more than max_size bytes (the daemon's ipc_max_send_size):
 * one cluster head or client entry is never split, and one that alone
 * does not fit fails the reply.  Clusters and clients may come and go
 * between slices (cluster_cursor.h): the listing is not a snapshot.
 */
#define IPC_STREAM_SLICE_BYTES 65536
#define IPC_STREAM_SLICE_STEPS 1024

struct ipc_stream;

enum ipc_stream_res {
	IPC_STREAM_MORE,   /* more to come: send out, then call again */
	IPC_STREAM_DONE,   /* the reply is complete (out may hold its last bytes) */
	IPC_STREAM_FAILED, /* the next entry alone does not fit: out unchanged */
};

/*
 * Start the reply to cmd in out (which must be empty; its limit is set to
 * max_size + 3).  Streamed commands: "OK\n" and the first slice, and
 * *streamp set to the stream to continue with (NULL when the reply is
 * already complete); "Error\nCan't get QNetd cluster list\n" (or
 * "...status" for JSON) when not even the first entry fits.  Other
 * commands: the whole reply, as upstream (max_size bounds the body: over
 * it "Error\nCan't get QNetd status\n"; a body that fits while "OK\n"
 * plus the body does not gives "Error\nInternal IPC buffer too small\n"),
 * and *streamp NULL.  Returns 0, or -1 when not even the error fits
 * (upstream then closes the connection without a reply).
 */
int ipc_cmd_reply_start(struct qnetd_instance *instance, const struct ipc_cmd *cmd, size_t max_size,
    struct wbuf *out, struct ipc_stream **streamp);

/*
 * Append the next slice to out (the caller sent and emptied it).  MORE,
 * DONE (the stream's cursor is then released; free it), or FAILED (the
 * reply cannot go on: close the connection).
 */
enum ipc_stream_res ipc_stream_fill(struct ipc_stream *st, struct wbuf *out);
/* Release the stream and its cursor.  NULL is a no-op. */
void ipc_stream_free(struct ipc_stream *st);

/*
 * The whole reply to cmd in out, as the daemon sends it (a streamed one
 * is the concatenation of its slices, so it may exceed max_size): for
 * tests and fuzzers.  0, or -1 when the reply stops short (nothing, or
 * for a stream failing halfway, what was sent before the connection
 * would be closed, is left in out).
 */
int ipc_cmd_reply(struct qnetd_instance *instance, const struct ipc_cmd *cmd, size_t max_size,
    struct wbuf *out);

#endif
