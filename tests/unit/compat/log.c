/*
 * log.c (test stand-in) - log_client_ctx for unit tests built before
 * src/log.c lands.  qb_log itself comes from libqb and drops messages
 * until logging is started.  Dropped once src/log.c exists.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdio.h>

#include "client.h"
#include "log.h"

const char *
log_client_ctx(const struct qnetd_client *client)
{
	static char buf[160];

	if (client->cluster_name == NULL)
		return ("");
	snprintf(buf, sizeof(buf), " (cluster %s node %u)", client->cluster_name,
	    (unsigned)client->node_id);
	return (buf);
}
