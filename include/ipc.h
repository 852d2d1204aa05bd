/*
 * ipc.h - the unix-socket server that corosync-qnetd-tool talks to.
 */
#ifndef QNETD_IPC_H
#define QNETD_IPC_H

#include "settings.h"

/* Create the socket (unlink, umask, bind, chown, listen).  0, or -1 after logging. */
int ipc_init(const struct qnetd_settings *s);
/* Close every IPC connection and the socket; unlink the file. */
void ipc_fini(void);

#endif
