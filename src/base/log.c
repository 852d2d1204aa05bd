/*
 * log.c - logging set-up on libqb: syslog always, stderr with -f.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <qb/qblog.h>

#include "base/log.h"

/* One callsite per priority, registered up front: see log.h. */
static struct qb_log_callsite *callsites[LOG_TRACE + 1];

static void
log_register_callsites(void)
{
	int prio;

	for (prio = LOG_EMERG; prio <= LOG_TRACE; prio++)
		callsites[prio] = qb_log_callsite_get(__func__, __FILE__, "%s", (uint8_t)prio,
		    (uint32_t)(prio + 1), 0);
}

int
log_enabled(int prio)
{
	struct qb_log_callsite *cs = NULL;

	if (prio >= LOG_EMERG && prio <= LOG_TRACE)
		cs = callsites[prio];
	return (cs == NULL || cs->targets != 0);
}

/* ---- rate limit of routine client lines (see log.h) ---- */

static uint64_t routine_window_end;
static unsigned routine_written, routine_dropped;
static void (*summary_timer_arm)(uint64_t delay_ms);

/* Monotonic milliseconds, the clock of the event loop's timers. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

void
log_set_summary_timer(void (*arm)(uint64_t delay_ms))
{
	summary_timer_arm = arm;
}

void
log_routine_summary(void)
{
	if (routine_dropped == 0)
		return;
	log_printf(LOG_NOTICE,
	    "%u routine client log line(s) left out (more than %u in %u s: "
	    "connects, disconnects, votes, error replies); corosync-qnetd-tool -l shows every "
	    "client and its vote, debug logging (-d) writes them all",
	    routine_dropped, LOG_ROUTINE_BURST, LOG_ROUTINE_WINDOW_MS / 1000);
	routine_dropped = 0;
}

int
log_routine_admit(int prio)
{
	uint64_t now;

	if (!log_enabled(prio))
		return (0);
	if (log_enabled(LOG_DEBUG))
		return (1);
	now = now_ms();
	if (now >= routine_window_end) {
		log_routine_summary();
		routine_window_end = now + LOG_ROUTINE_WINDOW_MS;
		routine_written = 0;
	}
	if (routine_written < LOG_ROUTINE_BURST) {
		routine_written++;
		return (1);
	}
	if (routine_dropped++ == 0 && summary_timer_arm != NULL)
		summary_timer_arm(routine_window_end - now);
	return (0);
}

void
log_printf(int prio, const char *fmt, ...)
{
	struct qb_log_callsite *cs = NULL;
	char line[QB_LOG_MAX_LEN];
	va_list ap;

	if (prio >= LOG_EMERG && prio <= LOG_TRACE)
		cs = callsites[prio];
	if (cs != NULL && cs->targets == 0)
		return; /* filtered out: don't even format it */
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (cs != NULL)
		qb_log_real_(cs, line);
	else /* before log_init() or after log_fini() */
		qb_log_from_external_source(__func__, __FILE__, "%s", (uint8_t)prio, 0, 0, line);
}

static int log_foreground, log_debug;

void
log_init(const char *ident, int foreground, int debug)
{
	int prio = debug ? LOG_DEBUG : LOG_INFO;

	log_foreground = foreground;
	log_debug = debug;
	qb_log_init(ident, LOG_DAEMON, LOG_INFO);
	qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_TRUE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_REMOVE, QB_LOG_FILTER_FILE, "*", LOG_TRACE);
	qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
	if (debug > 1) {
		/* -dd: debug lines reach syslogs that drop LOG_DEBUG, as upstream's bump */
		qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_PRIORITY_BUMP, LOG_INFO - LOG_DEBUG);
	}
	qb_log_format_set(QB_LOG_SYSLOG, "%b");
	if (foreground) {
		qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", prio);
		qb_log_format_set(QB_LOG_STDERR, "%t %7p %b");
		qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
	}
	qb_log_ctl(QB_LOG_BLACKBOX, QB_LOG_CONF_ENABLED, QB_FALSE);
	/* After the filters: a callsite's targets are computed when it is created. */
	log_register_callsites();
}

void
log_set_tag(unsigned worker)
{
	static char sys_fmt[64], err_fmt[64];

	/* The tag is for reading debug output; at other levels the lines stay as they were. */
	if (!log_debug)
		return;
	snprintf(sys_fmt, sizeof(sys_fmt), "[worker %u] %%b", worker);
	qb_log_format_set(QB_LOG_SYSLOG, sys_fmt);
	if (log_foreground) {
		snprintf(err_fmt, sizeof(err_fmt), "%%t %%7p [worker %u] %%b", worker);
		qb_log_format_set(QB_LOG_STDERR, err_fmt);
	}
}

/*
 * No qb_log_fini(): it walks libqb's callsite table with qb_array_index(),
 * which allocates missing bins and crashes when that allocation fails.
 * At exit there is nothing to flush (syslog and stderr are unbuffered),
 * and the memory is still referenced, so leak checkers stay quiet.
 */
void
log_fini(void)
{
	log_routine_summary();
	memset(callsites, 0, sizeof(callsites));
}
