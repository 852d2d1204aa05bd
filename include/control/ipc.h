/*
 * ipc.h - the daemon's local control socket, used by corosync-qnetd-tool
 * (protocol.md 5.2): an AF_UNIX stream socket served on the event loop.
 *
 * One request line per connection; the reply is written and the
 * connection closed.  Limits: ipc_max_clients connections (extra ones
 * are accepted and closed at once), ipc_max_receive_size bytes of
 * request (over it: closed with no reply, as upstream), ipc_max_send_size
 * bytes of reply buffered (a list is streamed in slices: ipc_cmd.h), and
 * IPC_IDLE_TIMEOUT_MS for the whole exchange (ours: upstream has none, so
 * idle connections could hold every slot).
 * Replies are formatted from qnetd_instance.
 */
#ifndef QNETD_IPC_H
#define QNETD_IPC_H

#include <stddef.h>

#include "base/settings.h"

#define IPC_IDLE_TIMEOUT_MS 10000

/*
 * Create the socket s->local_socket_file (an old file there is removed),
 * with s->local_socket_umask applied while binding and the group set to
 * s->local_socket_gid when those are not -1; listen with
 * s->local_socket_backlog and start serving.  Needs loop_init() first.
 * 0, or -1 with errno set and a log line.
 */
int ipc_init(const struct qnetd_settings *s);

/*
 * Stop serving: close every connection and the listener, unlink the
 * socket file.  Safe to call twice, or without ipc_init().
 */
void ipc_fini(void);

/*
 * Workers (docs/workers.md): the parent answers every request through
 * hook instead of from qnetd_instance: the whole reply goes into out
 * (empty, no limit set).  Returns 0, or -1 to close without a reply.
 * NULL (the default): the usual streamed replies.
 */
struct ipc_cmd;
struct wbuf;
typedef int (*ipc_reply_hook_fn)(const struct ipc_cmd *cmd, size_t max_send, struct wbuf *out);
void ipc_set_reply_hook(ipc_reply_hook_fn hook);

/* Open IPC connections (for tests and status). */
size_t ipc_connection_count(void);

#endif
