/*
 * parent.c - the parent process of -S workers=N (docs/workers.md): the
 * one listener, IPC socket, metrics endpoint and lock file; it starts the
 * workers, hands clients to them, fans signals out, and answers the tool
 * and /metrics for all of them.  It never initialises NSS.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "control/ipc.h"
#include "control/ipc_aggregate.h"
#include "control/ipc_cmd.h"
#include "core/instance.h"
#include "daemon/router.h"
#include "daemon/workers.h"
#include "extras/extra.h"
#include "extras/metrics.h"
#include "extras/metrics_http.h"
#include "extras/metrics_merge.h"
#include "net/listener.h"
#include "net/loop.h"

static struct qnetd_settings parent_own; /* the settings, less the event hook */

/* The request as the workers need it: struct wchan_query and the cluster name. */
static uint8_t *
query_payload(const struct ipc_cmd *cmd, size_t max_send, size_t *len)
{
	struct wchan_query wq;
	size_t nl = cmd->cluster_name != NULL ? strlen(cmd->cluster_name) : 0;
	uint8_t *p = malloc(sizeof(wq) + nl + 1);

	if (p == NULL)
		return (NULL);
	memset(&wq, 0, sizeof(wq));
	wq.type = (uint32_t)cmd->type;
	wq.verbose = (uint32_t)cmd->verbose;
	wq.json_what = cmd->json_what;
	wq.name_len = (uint32_t)nl;
	wq.max_entry = max_send > UINT32_MAX ? UINT32_MAX : (uint32_t)max_send;
	memcpy(p, &wq, sizeof(wq));
	if (nl > 0)
		memcpy(p + sizeof(wq), cmd->cluster_name, nl);
	*len = sizeof(wq) + nl;
	return (p);
}

static int
ipc_reply(const struct ipc_cmd *cmd, size_t max_send, struct wbuf *out)
{
	struct ipc_agg agg;
	uint8_t *payload;
	size_t len;
	int res;

	ipc_agg_init(&agg);
	payload = query_payload(cmd, max_send, &len);
	if (payload == NULL) {
		agg.unhealthy = 1;
		snprintf(agg.why, sizeof(agg.why), "out of memory");
	} else if (cmd->type != IPC_CMD_NONE && cmd->type != IPC_CMD_UNKNOWN &&
	    cmd->type != IPC_CMD_SHUTDOWN) {
		(void)workers_gather(0, payload, len, &agg, NULL);
	}
	free(payload);
	/* Clients still being read here count, as accepted ones do in one process. */
	agg.clients += router_pending_count();
	if (!agg.unhealthy && (qnetd_instance.shutting_down || !listener_is_open())) {
		agg.unhealthy = 1;
		snprintf(agg.why, sizeof(agg.why), "%s",
		    qnetd_instance.shutting_down ? "shutting down" : "listener is not accepting");
	}
	res = ipc_agg_reply(&qnetd_instance, cmd, &agg, listener_display_addr(), max_send, out);
	ipc_agg_destroy(&agg);
	return (res);
}

static int
metrics_text(struct wbuf *out)
{
	unsigned i, n = workers_count();
	struct wchan_query wq;
	struct wbuf *parts = calloc(n + 1, sizeof(*parts));
	int res;

	if (parts == NULL)
		return (-1);
	for (i = 0; i <= n; i++)
		wbuf_init(&parts[i], out->limit);
	/* The parent's own first (start time, IPC requests), then every worker's. */
	memset(&wq, 0, sizeof(wq));
	wq.type = IPC_CMD_NONE;
	(void)metrics_format(&qnetd_instance, &parts[0]);
	(void)workers_gather(WCHAN_ARG_METRICS, &wq, sizeof(wq), NULL, parts + 1);
	res = metrics_merge(parts, n + 1, out);
	for (i = 0; i <= n; i++)
		wbuf_destroy(&parts[i]);
	free(parts);
	return (res);
}

static int
health(char *why, size_t len)
{
	struct ipc_cmd cmd;
	struct wbuf out;
	int res;

	memset(&cmd, 0, sizeof(cmd));
	cmd.type = IPC_CMD_HEALTH;
	wbuf_init(&out, SIZE_MAX);
	res = ipc_reply(&cmd, 4096, &out);
	/* "OK\n<line>\n" or "Error\n<reason>\n": the line, for /healthz. */
	if (res == 0 && out.len > 3 && memcmp(out.data, "OK\n", 3) == 0) {
		snprintf(why, len, "%.*s", (int)(out.len - 4), (const char *)out.data + 3);
	} else {
		res = -1;
		snprintf(why, len, "%.*s", out.len > 7 ? (int)(out.len - 7) : 0,
		    out.len > 7 ? (const char *)out.data + 6 : "");
	}
	wbuf_destroy(&out);
	return (res);
}

static void
after_dispatch(void)
{
	router_reap();
	if (qnetd_instance.shutting_down)
		loop_stop();
}

static void
signal_shutdown_cb(int sig)
{
	log_msg(LOG_DEBUG, "SIG%s received - stopping the workers", sigabbrev_np(sig));
	instance_request_shutdown();
}

static void
signal_hup_cb(int sig)
{
	(void)sig;
	log_msg(LOG_NOTICE, "SIGHUP received: reloading every worker");
	workers_signal_all(SIGHUP);
}

static void
signal_chld_cb(int sig)
{
	(void)sig;
	workers_reap();
}

static int
parent_setup(struct qnetd_settings *s)
{
	parent_own = *s;
	parent_own.event_hook = NULL; /* hooks run in the worker that saw the event */
	loop_set_after_dispatch(after_dispatch);
	if (ipc_init(s) != 0)
		return (-1);
	ipc_set_reply_hook(ipc_reply);
	metrics_http_set_hooks(metrics_text, health);
	if (listener_init(s, NULL) != 0 || router_init(s) != 0)
		return (-1);
	workers_set_reroute(router_route);
	if (extra_init(&parent_own) != 0)
		return (-1);
	if (loop_signal_add(SIGTERM, signal_shutdown_cb) != 0 ||
	    loop_signal_add(SIGINT, signal_shutdown_cb) != 0 ||
	    loop_signal_add(SIGHUP, signal_hup_cb) != 0 ||
	    loop_signal_add(SIGCHLD, signal_chld_cb) != 0) {
		log_msg(LOG_ERR, "Can't install signal handlers");
		return (-1);
	}
	return (0);
}

int
workers_run(struct qnetd_settings *s)
{
	int res = EXIT_FAILURE;

	if (loop_init() != 0)
		return (EXIT_FAILURE);
	qnetd_instance.settings = s;
	qnetd_instance.started_at = time(NULL);
	if (cluster_registry_init(&qnetd_instance.clusters) != 0)
		goto out_loop;
	/* Signals first: a worker that dies at once is reaped, not left a zombie. */
	if (parent_setup(s) != 0 || workers_start(s->workers) != 0)
		goto out;
	sd_notify(0, "READY=1");
	log_msg(LOG_INFO, "QNetd ready to provide service");
	loop_run();
	log_msg(LOG_DEBUG, "Main loop exited; stopping the workers");
	res = EXIT_SUCCESS;
out:
	qnetd_instance.shutting_down = 1;
	/* The loop no longer reads signals: a late SIGHUP must not kill us mid-stop. */
	signal(SIGHUP, SIG_IGN);
	router_fini();
	listener_fini();
	ipc_fini();
	workers_stop();
	extra_fini();
	cluster_registry_destroy(&qnetd_instance.clusters);
out_loop:
	loop_fini();
	return (res);
}
