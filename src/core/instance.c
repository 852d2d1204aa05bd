/*
 * instance.c - the daemon's global state.
 */
#include "core/instance.h"
#include "base/log.h"

struct qnetd_instance qnetd_instance;

void
instance_request_shutdown(void)
{
	/* The after-dispatch hook stops the loop at the next safe point. */
	qnetd_instance.shutting_down = 1;
}
