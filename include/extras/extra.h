/*
 * extra.h - start, reload and stop the opt-in additions (docs/compat.md
 * "Additions"): metrics endpoint, event hook, loop-latency probe, log
 * level file.
 */
#ifndef QNETD_EXTRA_H
#define QNETD_EXTRA_H

#include <stddef.h>

#include "base/settings.h"
#include "core/instance.h"

/* After the listener is up.  0, or -1 after logging (start-up fails). */
int extra_init(const struct qnetd_settings *s);
void extra_fini(void);

/*
 * SIGHUP: re-read the log level file and the server certificate.  Clients
 * stay connected.  0, or -1 when a part failed (the old value stays).
 */
int extra_reload(const struct qnetd_settings *s);

/* Parse a level word ("debug", "info", "notice", "warning", "err"...).  -1 if unknown. */
int extra_parse_log_level(const char *word);

#endif
