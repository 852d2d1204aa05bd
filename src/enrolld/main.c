/*
 * main.c - corosync-qnetd-enroll: options, start-up checks, signals and
 * the counters' summary line.  See corosync-qnetd-enroll(8).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"
#include "base/settings.h"
#include "enrolld.h"
#include "extras/event_hook.h"
#include "handler.h"
#include "net/loop.h"
#include "server.h"
#include "svc_tls.h"

#define PROGRAM_NAME "corosync-qnetd-enroll"
#ifndef QNETD_JOIN_SCRIPT
#define QNETD_JOIN_SCRIPT "/usr/bin/corosync-qnetd-join"
#endif
/* A summary line at most this often while there is activity. */
#define SUMMARY_MS (3600 * 1000)

struct enrolld_stats enrolld_stats;
static struct enrolld_stats summarised;
static struct loop_timer summary_timer;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-46dfhv] [-l listen_addr] [-p listen_port] [-D nss_db_dir] "
	    "[-S state_dir] [-j join_script] [-e event_hook] [-m max_connections] "
	    "[-t request_timeout_ms] [-r max_failures]\n",
	    PROGRAM_NAME);
}

void
enrolld_log_summary(const char *when)
{
	const struct enrolld_stats *s = &enrolld_stats;

	log_msg(LOG_INFO,
	    "Enroll summary (%s): connections=%llu enrolled=%llu refused=%llu "
	    "rate_limited=%llu tls_failed=%llu timeouts=%llu bad_http=%llu busy=%llu "
	    "files=%llu internal=%llu",
	    when, (unsigned long long)s->connections, (unsigned long long)s->enrolled,
	    (unsigned long long)s->refused, (unsigned long long)s->rate_limited,
	    (unsigned long long)s->tls_failed, (unsigned long long)s->timeouts,
	    (unsigned long long)s->bad_http, (unsigned long long)s->busy,
	    (unsigned long long)s->files, (unsigned long long)s->internal);
	summarised = *s;
}

static void
summary_cb(struct loop_timer *t)
{
	if (memcmp(&summarised, &enrolld_stats, sizeof(summarised)) != 0)
		enrolld_log_summary("hourly");
	(void)loop_timer_arm(t, SUMMARY_MS);
}

static void
sig_stop_cb(int sig)
{
	(void)sig;
	loop_stop();
}

static void
sig_hup_cb(int sig)
{
	(void)sig;
	handler_reload();
}

static void
sig_usr1_cb(int sig)
{
	(void)sig;
	enrolld_log_summary("SIGUSR1");
}

/* A number in [min, max], else exit 1 with a message. */
static uint32_t
num_arg(char opt, const char *v, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *v == '\0' || *end != '\0' || n < min || n > max) {
		fprintf(stderr, "%s: -%c must be a number from %lu to %lu\n", PROGRAM_NAME, opt,
		    min, max);
		exit(EXIT_FAILURE);
	}
	return ((uint32_t)n);
}

static void
config_defaults(struct enrolld_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = ENROLLD_DEFAULT_PORT;
	c->family = AF_UNSPEC;
	c->nss_db_dir = QNETD_DEFAULT_NSS_DB_DIR;
	c->cert_nickname = QNETD_DEFAULT_CERT_NICKNAME;
	c->state_dir = ENROLLD_DEFAULT_STATE_DIR;
	c->join_script = QNETD_JOIN_SCRIPT;
	c->max_connections = 16;
	c->request_timeout_ms = 10000;
	c->max_failures = 10;
	c->failure_window_ms = 60000;
}

static void
parse_args(int argc, char *argv[], struct enrolld_config *c)
{
	int ch;

	while ((ch = getopt(argc, argv, "46dfhvl:p:D:S:j:e:m:t:r:")) != -1) {
		switch (ch) {
		case '4':
			c->family = AF_INET;
			break;
		case '6':
			c->family = AF_INET6;
			break;
		case 'd':
			c->debug++;
			break;
		case 'f':
			c->foreground = 1;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case 'v':
			printf("%s version %s\n", PROGRAM_NAME, QNETD_VERSION);
			exit(EXIT_SUCCESS);
		case 'l':
			c->listen_addr = optarg;
			break;
		case 'p':
			c->port = (uint16_t)num_arg('p', optarg, 1, 65535);
			break;
		case 'D':
			c->nss_db_dir = optarg;
			break;
		case 'S':
			c->state_dir = optarg;
			break;
		case 'j':
			c->join_script = optarg;
			break;
		case 'e':
			c->event_hook = optarg[0] != '\0' ? optarg : NULL;
			break;
		case 'm':
			c->max_connections = num_arg('m', optarg, 1, 4096);
			break;
		case 't':
			c->request_timeout_ms = num_arg('t', optarg, 100, 600000);
			break;
		case 'r':
			c->max_failures = num_arg('r', optarg, 1, 1000000);
			break;
		default:
			usage(stderr);
			exit(EXIT_FAILURE);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(EXIT_FAILURE);
	}
}

/*
 * The service signs: it needs to write the NSS database directory (NSS's
 * journal, cluster-NAME.crt) and its state directory (tokens, registry,
 * the CA lock).  Say which, and how to grant it, rather than fail later
 * on the first request.
 */
static int
check_dirs(const struct enrolld_config *c)
{
	static const char *const files[] = { "cert9.db", "key4.db", "serial.txt" };
	char path[4096];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", c->nss_db_dir, files[i]);
		if (access(path, F_OK) == 0 && access(path, R_OK | W_OK) != 0) {
			log_msg(LOG_CRIT,
			    "Can't read and write %s (%s): the enrollment service signs "
			    "through it; see corosync-qnetd-enroll(8), \"SET-UP\"",
			    path, strerror(errno));
			return (-1);
		}
	}
	if (access(c->nss_db_dir, W_OK) != 0) {
		log_msg(LOG_CRIT,
		    "Can't write the NSS database directory %s (%s): the enrollment service "
		    "signs through it; see corosync-qnetd-enroll(8), \"SET-UP\"",
		    c->nss_db_dir, strerror(errno));
		return (-1);
	}
	if (access(c->state_dir, W_OK) != 0) {
		log_msg(LOG_CRIT, "Can't write the state directory %s (%s)", c->state_dir,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

static int
hook_init(const struct enrolld_config *c, struct qnetd_settings *s)
{
	if (settings_init(s) != 0)
		return (-1);
	if (c->event_hook == NULL)
		return (0);
	s->event_hook = strdup(c->event_hook);
	if (s->event_hook == NULL)
		return (-1);
	return (event_hook_init(s));
}

static int
install_signals(void)
{
	if (loop_signal_add(SIGTERM, sig_stop_cb) != 0 ||
	    loop_signal_add(SIGINT, sig_stop_cb) != 0 ||
	    loop_signal_add(SIGUSR1, sig_usr1_cb) != 0 ||
	    loop_signal_add(SIGHUP, sig_hup_cb) != 0) {
		log_msg(LOG_CRIT, "Can't install signal handlers");
		return (-1);
	}
	return (0);
}

static int
run(const struct enrolld_config *c)
{
	struct qnetd_settings hs;
	int res = EXIT_FAILURE, hook_up = 0;

	memset(&hs, 0, sizeof(hs));
	signal(SIGPIPE, SIG_IGN);
	if (check_dirs(c) != 0 || loop_init() != 0)
		return (EXIT_FAILURE);
	if (svc_tls_init(c->nss_db_dir, c->cert_nickname, ENROLLD_CA_NICKNAME) != 0 ||
	    handler_init(c) != 0)
		goto out;
	if (hook_init(c, &hs) != 0) {
		log_msg(LOG_CRIT, "Can't start the event hook");
		goto out;
	}
	hook_up = 1;
	if (server_init(c) != 0 || install_signals() != 0)
		goto out;
	loop_timer_init(&summary_timer, summary_cb, NULL);
	(void)loop_timer_arm(&summary_timer, SUMMARY_MS);
	sd_notify(0, "READY=1");
	log_msg(LOG_INFO,
	    "Enrollment service ready (max %u connections, %u ms per request, "
	    "%u failures per address per %u s)",
	    c->max_connections, c->request_timeout_ms, c->max_failures,
	    c->failure_window_ms / 1000);
	loop_run();
	enrolld_log_summary("stopping");
	res = EXIT_SUCCESS;
out:
	loop_timer_disarm(&summary_timer);
	server_fini();
	if (hook_up)
		event_hook_fini();
	settings_destroy(&hs);
	handler_fini();
	svc_tls_fini();
	loop_fini();
	return (res);
}

int
main(int argc, char *argv[])
{
	struct enrolld_config cfg;
	int res;

	config_defaults(&cfg);
	parse_args(argc, argv, &cfg);
	log_init(PROGRAM_NAME, cfg.foreground, cfg.debug);
	res = run(&cfg);
	log_fini();
	return (res);
}
