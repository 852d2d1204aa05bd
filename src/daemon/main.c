/*
 * main.c - corosync-qnetd: options, start-up checks, daemonizing, the
 * lock file, systemd notification, the main loop and clean shutdown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "algo/algo.h"
#include "base/log.h"
#include "base/settings.h"
#include "codec/msg.h"
#include "control/ipc.h"
#include "core/instance.h"
#include "daemon/wire.h"
#include "daemon/worker.h"
#include "daemon/workers.h"
#include "extras/extra.h"
#include "extras/vote_keeper.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/loop.h"
#include "net/tls.h"

#define PROGRAM_NAME "corosync-qnetd"

static void
usage(void)
{
	printf("usage: %s [-46dfhv] [-l listen_addr] [-p listen_port] [-s tls]\n", PROGRAM_NAME);
	printf("%14s[-c client_cert_required] [-m max_clients] "
	       "[-S option=value[,option2=value2,...]]\n",
	    "");
}

static void
display_version(void)
{
	uint32_t i;

	printf("Corosync Qdevice Network Daemon, version '%s'\n\n", QNETD_VERSION);
	printf("Supported algorithms: ");
	for (i = 0; i < TLV_DECISION_ALGORITHM_COUNT; i++)
		printf("%s%s (%u)", i ? ", " : "", tlv_decision_algorithm_to_str(i), i);
	printf("\nSupported message types: ");
	for (i = 0; i < MSG_TYPE_COUNT; i++)
		printf("%s%s (%u)", i ? ", " : "", msg_type_to_str(i), i);
	printf("\n");
}

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", PROGRAM_NAME);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(EXIT_FAILURE);
}

static long long
parse_num(const char *v, long long min, long long max, int *ok)
{
	char *ep;
	long long n;

	errno = 0;
	n = strtoll(v, &ep, 10);
	*ok = !(ep == v || *ep != '\0' || errno != 0 || n < min || n > max);
	return (n);
}

static void
parse_args(int argc, char *argv[], struct qnetd_settings *s)
{
	char err[512], warn[512];
	long long n;
	int ch, ok;

	while ((ch = getopt(argc, argv, "46dfhvc:l:m:p:S:s:")) != -1) {
		switch (ch) {
		case '4':
			s->address_family = AF_INET;
			break;
		case '6':
			s->address_family = AF_INET6;
			break;
		case 'd':
			s->debug++;
			break;
		case 'f':
			s->foreground = 1;
			break;
		case 'c':
			if ((s->tls_client_cert_required = settings_parse_bool(optarg)) < 0)
				die("%s", "client_cert_required should be on/yes/1, off/no/0");
			break;
		case 'l':
			free(s->listen_addr);
			if ((s->listen_addr = strdup(optarg)) == NULL)
				die("%s", "Can't alloc memory");
			break;
		case 'm':
			n = parse_num(optarg, 0, UINT32_MAX, &ok);
			if (!ok)
				die("max clients value %s is invalid", optarg);
			s->max_clients = (uint32_t)n;
			break;
		case 'p':
			n = parse_num(optarg, 1, UINT16_MAX, &ok);
			if (!ok)
				die("%s", "host port must be in range 1-65535");
			s->port = (uint16_t)n;
			break;
		case 'S':
			if (settings_apply_advanced(s, optarg, err, sizeof(err), warn,
			        sizeof(warn)) != 0)
				die("%s", err);
			if (warn[0] != '\0')
				fprintf(stderr, "%s: %s\n", PROGRAM_NAME, warn);
			break;
		case 's':
			if (settings_parse_tls(optarg, &s->tls) != 0)
				die("%s", "tls must be one of on, off, req");
			break;
		case 'v':
			display_version();
			exit(EXIT_FAILURE);
		case 'h':
		case '?':
		default:
			usage();
			exit(EXIT_FAILURE);
		}
	}
}

/*
 * Fail before the fork, so that init scripts and systemd see it, and say
 * what to do: the most common first-start failure (operators.md §1.3).
 */
static int
check_nss_db(const struct qnetd_settings *s)
{
	char path[PATH_MAX];
	DIR *d;

	if (s->tls == TLV_TLS_UNSUPPORTED)
		return (0);
	d = opendir(s->nss_db_dir);
	if (d == NULL) {
		log_msg(LOG_ERR,
		    "Can't open NSS DB directory %s: %s. Create it with "
		    "corosync-qnetd-certutil -i (or start with -s off for no TLS)",
		    s->nss_db_dir, strerror(errno));
		return (-1);
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/cert9.db", s->nss_db_dir);
	if (access(path, R_OK) == 0)
		return (0);
	snprintf(path, sizeof(path), "%s/cert8.db", s->nss_db_dir);
	if (access(path, R_OK) == 0)
		return (0);
	log_msg(LOG_ERR,
	    "Can't open NSS DB directory %s: no readable cert9.db (or cert8.db) "
	    "in it. Initialize it with corosync-qnetd-certutil -i",
	    s->nss_db_dir);
	return (-1);
}

static void
detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		log_msg(LOG_ERR, "Can't fork: %s", strerror(errno));
		exit(EXIT_FAILURE);
	}
	if (pid > 0)
		exit(EXIT_SUCCESS);
	setsid();
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* The pid file, locked for the daemon's lifetime.  fd, or -1 after logging. */
static int
lock_pid_file(const char *path)
{
	struct flock fl;
	char buf[32], *dcopy;
	int fd, n;

	dcopy = strdup(path);
	if (dcopy != NULL) {
		(void)mkdir(dirname(dcopy), 0770);
		free(dcopy);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		log_msg(LOG_ERR, "Can't open lock file %s: %s", path, strerror(errno));
		return (-1);
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		if (errno == EAGAIN || errno == EACCES)
			log_msg(LOG_ERR, "Another instance is running");
		else
			log_msg(LOG_ERR, "Can't acquire lock %s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n) {
		log_msg(LOG_ERR, "Can't write lock file %s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Many clients need many descriptors: take the hard limit. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_msg(LOG_WARNING, "Can't raise RLIMIT_NOFILE: %s", strerror(errno));
}

static void
signal_shutdown_cb(int sig)
{
	log_msg(LOG_DEBUG, "SIG%s received - closing server IPC socket", sigabbrev_np(sig));
	instance_request_shutdown();
}

static void
signal_hup_cb(int sig)
{
	(void)sig;
	/* Log level file and server certificate; clients stay (docs/compat.md). */
	(void)extra_reload(qnetd_instance.settings);
}

static int
run(struct qnetd_settings *s)
{
	int lock_fd, res = EXIT_FAILURE;

	if (worker_is_worker()) {
		/* Each worker holds its own clients: its own descriptor limit. */
		raise_nofile();
		signal(SIGPIPE, SIG_IGN);
		return (worker_run(s));
	}
	if (check_nss_db(s) != 0)
		return (EXIT_FAILURE);
	if (!s->foreground)
		detach();
	lock_fd = lock_pid_file(s->lock_file);
	if (lock_fd < 0)
		return (EXIT_FAILURE);
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	if (s->workers > 1) {
		res = workers_run(s);
		close(lock_fd);
		return (res);
	}
	if (loop_init() != 0 || tls_init(s) != 0)
		goto out;
	qnetd_instance.settings = s;
	qnetd_instance.started_at = time(NULL);
	if (cluster_registry_init(&qnetd_instance.clusters) != 0)
		goto out;
	wire_init(&qnetd_instance);
	/* Before the listener: the first client must find the memory. */
	vote_keeper_init(s, VOTE_KEEPER_FILE, NULL, NULL);
	if (ipc_init(s) != 0)
		goto out_clusters;
	if (listener_init(s, wire_client_accepted) != 0)
		goto out_ipc;
	if (extra_init(s) != 0)
		goto out_listener;
	if (loop_signal_add(SIGTERM, signal_shutdown_cb) != 0 ||
	    loop_signal_add(SIGINT, signal_shutdown_cb) != 0 ||
	    loop_signal_add(SIGHUP, signal_hup_cb) != 0) {
		log_msg(LOG_ERR, "Can't install signal handlers");
		goto out_listener;
	}
	sd_notify(0, "READY=1");
	log_msg(LOG_INFO, "QNetd ready to provide service");
	loop_run();
	log_msg(LOG_DEBUG, "Main loop exited; shutting down");
	res = EXIT_SUCCESS;
out_listener:
	extra_fini();
	listener_fini();
out_ipc:
	ipc_fini();
	conn_close_all();
	/* After the clients: a shutdown leaves the memory as it was. */
	vote_keeper_fini();
	wire_fini();
out_clusters:
	cluster_registry_destroy(&qnetd_instance.clusters);
out:
	tls_fini();
	loop_fini();
	close(lock_fd);
	return (res);
}

int
main(int argc, char *argv[])
{
	struct qnetd_settings s;
	int res;

	workers_save_argv(argc, argv);
	if (settings_init(&s) != 0) {
		fprintf(stderr, "%s: out of memory\n", PROGRAM_NAME);
		return (EXIT_FAILURE);
	}
	parse_args(argc, argv, &s);
	log_init(PROGRAM_NAME, s.foreground, s.debug);
	res = run(&s);
	log_fini();
	settings_destroy(&s);
	return (res);
}
