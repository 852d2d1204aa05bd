/*
 * event_hook.c - the event hook runner (see event_hook.h).
 *
 * Each queued event is one block of "NAME=value" strings.  The hook is
 * started with posix_spawn (no fork of a large process image), its
 * environment holds only PATH and our variables, stdin is /dev/null and
 * stdout/stderr are the daemon's (the journal under systemd).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/text.h"
#include "core/metrics_counters.h"
#include "extras/event_hook.h"
#include "net/loop.h"

#define VALUE_MAX 256

struct hook_event {
	char *env[EVENT_HOOK_MAX_VARS + 4]; /* NULL-terminated; each strdup'ed */
	char event[48];
};

static struct {
	char *path;
	uint32_t timeout_ms;
	struct hook_event **queue; /* ring */
	size_t cap, head, len;
	pid_t pid; /* running hook, or 0 */
	struct hook_event *running;
	int killed;
	struct loop_timer timer;
	int sigchld_added;
} hk;

int
event_hook_enabled(void)
{
	return (hk.path != NULL);
}

size_t
event_hook_pending(void)
{
	return (hk.len + (hk.pid != 0));
}

static void
event_free(struct hook_event *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; e->env[i] != NULL; i++)
		free(e->env[i]);
	free(e);
}

/* "NAME=value" with value cut to VALUE_MAX bytes of printable ASCII. */
static char *
env_entry(const char *name, const char *value)
{
	size_t nl = strlen(name), vl = value ? strlen(value) : 0;
	char *s;

	if (vl > VALUE_MAX)
		vl = VALUE_MAX;
	s = malloc(nl + 1 + vl + 1);
	if (s == NULL)
		return (NULL);
	memcpy(s, name, nl);
	s[nl] = '=';
	text_printable(s + nl + 1, vl + 1, value != NULL ? value : "", vl);
	return (s);
}

static void start_next(void);

static void
timeout_cb(struct loop_timer *t)
{
	(void)t;
	if (hk.pid == 0)
		return;
	log_msg(LOG_WARNING, "Event hook %s (%s) still running after %ums: killing it", hk.path,
	    hk.running ? hk.running->event : "?", hk.timeout_ms);
	hk.killed = 1;
	kill(hk.pid, SIGKILL);
}

static void
finished(int status)
{
	const char *ev = hk.running ? hk.running->event : "?";

	loop_timer_disarm(&hk.timer);
	if (hk.killed) {
		metrics_inc(M_HOOKS_TIMEOUT);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		metrics_inc(M_HOOKS_RUN);
		log_msg(LOG_DEBUG, "Event hook for %s finished", ev);
	} else {
		metrics_inc(M_HOOKS_FAILED);
		if (WIFEXITED(status))
			log_msg(LOG_WARNING, "Event hook %s for %s exited with status %d", hk.path,
			    ev, WEXITSTATUS(status));
		else
			log_msg(LOG_WARNING, "Event hook %s for %s killed by signal %d", hk.path,
			    ev, WTERMSIG(status));
	}
	event_free(hk.running);
	hk.running = NULL;
	hk.pid = 0;
	hk.killed = 0;
}

static void
sigchld_cb(int sig)
{
	int status;
	pid_t p;

	(void)sig;
	/* Hooks are our only children; reap whatever exited. */
	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p == hk.pid)
			finished(status);
	}
	start_next();
}

static int
spawn(struct hook_event *e, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defs;
	char *argv[3];
	int rc;

	argv[0] = hk.path;
	argv[1] = e->event;
	argv[2] = NULL;
	sigemptyset(&none);
	sigemptyset(&defs);
	sigaddset(&defs, SIGPIPE);
	sigaddset(&defs, SIGCHLD);
	sigaddset(&defs, SIGHUP);
	sigaddset(&defs, SIGTERM);
	sigaddset(&defs, SIGINT);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defs);
	posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	rc = posix_spawn(pid, hk.path, &fa, &attr, argv, e->env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return (rc);
}

static void
start_next(void)
{
	while (hk.pid == 0 && hk.len > 0) {
		struct hook_event *e = hk.queue[hk.head];
		pid_t pid;
		int rc;

		hk.queue[hk.head] = NULL;
		hk.head = (hk.head + 1) % hk.cap;
		hk.len--;
		rc = spawn(e, &pid);
		if (rc != 0) {
			metrics_inc(M_HOOKS_SPAWN_ERRORS);
			log_msg(LOG_ERR, "Can't run event hook %s for %s: %s", hk.path, e->event,
			    strerror(rc));
			event_free(e);
			continue;
		}
		hk.pid = pid;
		hk.running = e;
		hk.killed = 0;
		if (loop_timer_arm(&hk.timer, hk.timeout_ms) != 0)
			log_msg(LOG_ERR, "Can't arm the event hook timer");
	}
}

void
event_hook_emit(const char *event, const struct event_hook_var *vars, size_t nvars)
{
	struct hook_event *e;
	size_t i, n = 0;

	if (hk.path == NULL)
		return;
	if (hk.len >= hk.cap) {
		metrics_inc(M_HOOKS_DROPPED);
		log_msg(LOG_WARNING, "Event hook queue full (%zu): dropping event %s", hk.cap,
		    event);
		return;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto nomem;
	snprintf(e->event, sizeof(e->event), "%s", event);
	if (nvars > EVENT_HOOK_MAX_VARS)
		nvars = EVENT_HOOK_MAX_VARS;
	if ((e->env[n++] = env_entry("PATH",
	         "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
	         "/usr/bin:/sbin:/bin")) == NULL)
		goto nomem;
	if ((e->env[n++] = env_entry("QNETD_EVENT", event)) == NULL)
		goto nomem;
	for (i = 0; i < nvars; i++) {
		if (vars[i].value == NULL)
			continue;
		if ((e->env[n++] = env_entry(vars[i].name, vars[i].value)) == NULL)
			goto nomem;
	}
	hk.queue[(hk.head + hk.len) % hk.cap] = e;
	hk.len++;
	start_next();
	return;
nomem:
	event_free(e);
	metrics_inc(M_HOOKS_DROPPED);
	log_msg(LOG_ERR, "Out of memory queueing event %s for the hook", event);
}

int
event_hook_init(const struct qnetd_settings *s)
{
	loop_timer_init(&hk.timer, timeout_cb, NULL);
	if (s->event_hook == NULL)
		return (0);
	if (access(s->event_hook, X_OK) != 0) {
		log_msg(LOG_ERR, "event_hook %s is not executable: %s", s->event_hook,
		    strerror(errno));
		return (-1);
	}
	hk.path = strdup(s->event_hook);
	hk.cap = s->event_hook_queue;
	hk.queue = calloc(hk.cap, sizeof(*hk.queue));
	if (hk.path == NULL || hk.queue == NULL) {
		log_msg(LOG_ERR, "Can't allocate the event hook queue");
		event_hook_fini();
		return (-1);
	}
	hk.timeout_ms = s->event_hook_timeout;
	if (!hk.sigchld_added) {
		if (loop_signal_add(SIGCHLD, sigchld_cb) != 0) {
			log_msg(LOG_ERR, "Can't watch SIGCHLD for the event hook");
			event_hook_fini();
			return (-1);
		}
		hk.sigchld_added = 1;
	}
	log_msg(LOG_INFO, "Event hook: %s (timeout %ums, queue %zu)", hk.path, hk.timeout_ms,
	    hk.cap);
	return (0);
}

void
event_hook_fini(void)
{
	size_t i;

	if (hk.path == NULL)
		return;
	if (hk.pid != 0) {
		int status;

		kill(hk.pid, SIGKILL);
		waitpid(hk.pid, &status, 0);
		hk.pid = 0;
	}
	loop_timer_disarm(&hk.timer);
	event_free(hk.running);
	hk.running = NULL;
	for (i = 0; hk.queue != NULL && i < hk.len; i++)
		event_free(hk.queue[(hk.head + i) % hk.cap]);
	free(hk.queue);
	free(hk.path);
	hk.queue = NULL;
	hk.path = NULL;
	hk.len = hk.head = hk.cap = 0;
}
