/*
 * log.h - logging through libqb: syslog (ident corosync-qnetd, LOG_DAEMON)
 * and, in the foreground, stderr as "Mon DD HH:MM:SS level   message".
 */
#ifndef QNETD_LOG_H
#define QNETD_LOG_H

#include <stdint.h>
#include <syslog.h>

#include <qb/qblog.h>

/* Start logging.  foreground: also to stderr.  debug: 0 off, 1 on, 2 debug bumped to info in syslog. */
void log_init(const char *ident, int foreground, int debug);
void log_fini(void);

/* In a worker process with debug on: prefix every line with "[worker N] ". */
void log_set_tag(unsigned worker);

/*
 * Not qb_log(): that looks up (and on first use allocates) a libqb
 * callsite for every line and asserts when the allocation fails.  Ours
 * are allocated once, in log_init().
 */
void log_printf(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_msg(prio, ...) log_printf((prio), __VA_ARGS__)

/* 1 if a line of priority prio goes anywhere (syslog or stderr), else 0. */
int log_enabled(int prio);

/*
 * Routine lines about one client, which a storm of thousands of clients
 * would repeat thousands of times: INIT accepted, disconnected, vote
 * changed, error reply sent.  At most LOG_ROUTINE_BURST of them are
 * written per LOG_ROUTINE_WINDOW_MS; the rest are counted, and one
 * LOG_NOTICE line at the end of the window says how many were left out.
 * With debug logging on, every line is written.
 */
#define LOG_ROUTINE_BURST 100
#define LOG_ROUTINE_WINDOW_MS 5000

/* 1 if a routine line of priority prio is to be written now, else 0 (counted if dropped). */
int log_routine_admit(int prio);

/*
 * The summary line of the routine lines left out, if any (at the end of a
 * window).  Also written by the next admitted line after the window and
 * by log_fini().
 */
void log_routine_summary(void);

/*
 * arm(delay_ms): have log_routine_summary() called once after delay_ms
 * (a no-op if already pending).  Given by the event loop (loop_init), so
 * that logging needs nothing above it; NULL: no timer.
 */
void log_set_summary_timer(void (*arm)(uint64_t delay_ms));

#endif
