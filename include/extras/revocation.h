/*
 * revocation.h - the daemon's side of certificate revocation: the list in
 * <state_dir>/revoked (include/enroll/revoked.h) is loaded at start and
 * on SIGHUP and handed to the TLS layer, which refuses the handshakes of
 * listed certificates; a reload also closes the live connections whose
 * certificate it lists.  docs/admin.md "Revocation".
 */
#ifndef QNETD_REVOCATION_H
#define QNETD_REVOCATION_H

#include "base/settings.h"

/*
 * Load the list (before the first handshake).  A missing file means
 * nothing is revoked; a file that cannot be read is logged and nothing is
 * revoked.  Never stops the daemon.  A no-op without TLS.
 */
void revocation_init(const struct qnetd_settings *s);

/*
 * Load the list again; on success use it for new handshakes and close
 * every live connection whose client certificate it lists (a log line
 * with cluster, node and serial, an event, a count each).  0, or -1 after
 * logging why (the previous list stays).
 */
int revocation_reload(const struct qnetd_settings *s);

/* Forget the list. */
void revocation_fini(void);

#endif
