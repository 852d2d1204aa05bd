/*
 * instance.h - the daemon's global state, shared by the session layer,
 * the IPC server and status formatting.
 */
#ifndef QNETD_INSTANCE_H
#define QNETD_INSTANCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/settings.h"
#include "core/cluster.h"

struct qnetd_instance {
	struct qnetd_settings *settings;
	struct cluster_registry clusters; /* clusters with >= 1 initialised client */
	size_t client_count;              /* every TCP client, initialised or not */
	time_t started_at;
	int shutting_down;
};

extern struct qnetd_instance qnetd_instance;

/* Ask the daemon to shut down cleanly once the current dispatch ends. */
void instance_request_shutdown(void);

#endif
