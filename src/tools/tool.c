/*
 * tool.c - corosync-qnetd-tool: ask a running qnetd for its status, its
 * cluster list, or to shut down, over the daemon's unix socket.
 *
 * The command line, the request bytes, the output, the error texts and
 * the exit codes are a contract that pcs, crmsh, pvecm and the
 * corosync-qnetd resource agent parse (docs/protocol.md 5.1/5.2), so they
 * match Debian's corosync-qnetd-tool 3.0.3 byte for byte.  Links libc only.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netdb.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TOOL_PROGRAM_NAME "corosync-qnetd-tool"
#ifndef TOOL_DEFAULT_SOCKET
#define TOOL_DEFAULT_SOCKET "/var/run/corosync-qnetd/corosync-qnetd.sock"
#endif
/* The daemon's default ipc_max_receive_size: the request, plus a NUL, must fit. */
#define TOOL_MAX_REQUEST 4096
/* The status line ("OK", "Error"), plus a NUL, must fit. */
#define TOOL_MAX_STATUS_LINE 512

enum tool_op {
	TOOL_OP_NONE,
	TOOL_OP_SHUTDOWN,
	TOOL_OP_STATUS,
	TOOL_OP_LIST,
	TOOL_OP_HEALTH, /* -k: ours (docs/compat.md "Additions") */
};

enum tool_exit {
	TOOL_EXIT_OK = 0,
	TOOL_EXIT_USAGE = 1,
	TOOL_EXIT_INTERNAL = 2,
	TOOL_EXIT_CONNECT = 3,
	TOOL_EXIT_QNETD_ERROR = 4,
};

enum tool_reply {
	TOOL_REPLY_OK,
	TOOL_REPLY_ERROR,
	TOOL_REPLY_UNKNOWN,
	TOOL_REPLY_INTERNAL,
};

struct tool_args {
	enum tool_op op;
	int verbose;
	int json;                 /* -j: ours */
	int json_all;             /* -j without -l/-s: everything */
	const char *cluster_name; /* NULL: no -c */
	const char *socket_path;
};

struct tool_request {
	char data[TOOL_MAX_REQUEST];
	size_t len;
	int failed;
};

static void
usage(void)
{

	printf("usage: %s [-Hhlsv] [-c cluster_name] [-p qnetd_ipc_socket_path]\n",
	    TOOL_PROGRAM_NAME);
	/* Byte-identical to upstream's: -j and -k are in the man page only. */
}

/* Exits on -h, an unknown option, or no operation; the last operation wins. */
static void
parse_args(int argc, char *argv[], struct tool_args *args)
{
	int ch;

	args->op = TOOL_OP_NONE;
	args->verbose = 0;
	args->json = 0;
	args->json_all = 0;
	args->cluster_name = NULL;
	args->socket_path = TOOL_DEFAULT_SOCKET;

	while ((ch = getopt(argc, argv, "Hhjklsvc:p:")) != -1) {
		switch (ch) {
		case 'H':
			args->op = TOOL_OP_SHUTDOWN;
			break;
		case 'l':
			args->op = TOOL_OP_LIST;
			break;
		case 's':
			args->op = TOOL_OP_STATUS;
			break;
		case 'v':
			args->verbose = 1;
			break;
		case 'j':
			args->json = 1;
			break;
		case 'k':
			args->op = TOOL_OP_HEALTH;
			break;
		case 'c':
			args->cluster_name = optarg;
			break;
		case 'p':
			args->socket_path = optarg;
			break;
		default:
			usage();
			exit(TOOL_EXIT_USAGE);
		}
	}

	/* -j alone: status and list in one document. */
	if (args->op == TOOL_OP_NONE && args->json) {
		args->op = TOOL_OP_LIST;
		args->json_all = 1;
	}
	if (args->op == TOOL_OP_NONE) {
		usage();
		exit(TOOL_EXIT_USAGE);
	}
}

/*
 * Append to the request.  Like upstream, the request and its terminating
 * NUL must fit in TOOL_MAX_REQUEST bytes, so the check keeps one byte.
 */
static void
request_put(struct tool_request *req, const char *s, size_t len)
{

	if (req->failed || len >= sizeof(req->data) - req->len) {
		req->failed = 1;
		return;
	}
	memcpy(req->data + req->len, s, len);
	req->len += len;
}

static void
request_put_str(struct tool_request *req, const char *s)
{

	request_put(req, s, strlen(s));
}

/* "name" with '"' and '\' escaped by a backslash: what the daemon's lexer undoes. */
static void
request_put_quoted(struct tool_request *req, const char *s)
{

	request_put_str(req, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			request_put_str(req, "\\");
		request_put(req, s, 1);
	}
	request_put_str(req, "\"");
}

/* 0, or -1 when the request would be too long. */
static int
build_request(const struct tool_args *args, struct tool_request *req)
{
	static const char *const words[] = {
		[TOOL_OP_SHUTDOWN] = "shutdown ",
		[TOOL_OP_STATUS] = "status ",
		[TOOL_OP_LIST] = "list ",
	};

	req->len = 0;
	req->failed = 0;
	if (args->op == TOOL_OP_HEALTH) {
		request_put_str(req, "health\n");
		return (req->failed ? -1 : 0);
	}
	if (args->json && (args->op == TOOL_OP_STATUS || args->op == TOOL_OP_LIST))
		request_put_str(req,
		    args->op == TOOL_OP_STATUS ? "json status "
		        : args->json_all       ? "json all "
		                               : "json list ");
	else
		request_put_str(req, words[args->op]);
	if (args->verbose)
		request_put_str(req, "verbose ");
	if (args->cluster_name != NULL) {
		request_put_str(req, "cluster ");
		request_put_quoted(req, args->cluster_name);
		request_put_str(req, " ");
	}
	request_put_str(req, "\n");

	return (req->failed ? -1 : 0);
}

/* Connected socket, or -1 with errno set. */
static int
connect_socket(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (strlen(path) == 0 || strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));

	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, SUN_LEN(&sun)) != 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return (-1);
	}

	return (fd);
}

/* 0, or -1 on a write error.  A closed peer raises SIGPIPE, as upstream's does. */
static int
send_all(int fd, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		data += n;
		len -= (size_t)n;
	}

	return (0);
}

/* Status line complete: decide where the rest of the reply goes. */
static enum tool_reply
classify_status(const char *line)
{

	if (strcasecmp(line, "OK") == 0)
		return (TOOL_REPLY_OK);
	if (strcasecmp(line, "Error") == 0) {
		fprintf(stderr, "Error: ");
		return (TOOL_REPLY_ERROR);
	}

	return (TOOL_REPLY_UNKNOWN);
}

/*
 * Read the reply: the first line (CRs dropped) must be OK or Error
 * (case-insensitive); what follows is copied verbatim to stdout, or to
 * stderr after "Error: ".  A reply that ends before its first newline
 * counts as OK with an empty body, as upstream's does.
 */
static enum tool_reply
read_reply(int fd)
{
	char buf[4096];
	char line[TOOL_MAX_STATUS_LINE];
	size_t line_len, i;
	ssize_t n;
	enum tool_reply res;
	FILE *out;

	line_len = 0;
	out = NULL;
	res = TOOL_REPLY_OK;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		i = 0;
		while (out == NULL && i < (size_t)n) {
			char c = buf[i++];

			if (c == '\r')
				continue;
			if (line_len >= sizeof(line))
				return (TOOL_REPLY_INTERNAL);
			if (c != '\n') {
				line[line_len++] = c;
				continue;
			}
			line[line_len] = '\0';
			res = classify_status(line);
			if (res == TOOL_REPLY_UNKNOWN)
				return (res);
			out = (res == TOOL_REPLY_ERROR) ? stderr : stdout;
		}
		if (out != NULL && i < (size_t)n)
			fwrite(buf + i, 1, (size_t)n - i, out);
	}

	return (res);
}

/* ---------------------------------------------------------------- -k */

/* The whole reply (at most len - 1 bytes, NUL-terminated).  Length, or -1. */
static ssize_t
request_all(const char *path, const char *req, char *buf, size_t len)
{
	size_t have = 0;
	ssize_t n;
	int fd = connect_socket(path);

	if (fd == -1)
		return (-1);
	if (send_all(fd, req, strlen(req)) != 0) {
		close(fd);
		return (-1);
	}
	while (have < len - 1) {
		n = read(fd, buf + have, len - 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	close(fd);
	return ((ssize_t)have);
}

/* 0 when a TCP connection to "host:port" ('*' = this host) succeeds. */
static int
tcp_probe(const char *hostport, char *why, size_t whylen)
{
	struct addrinfo hints, *res, *ai;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t hl;
	int fd, rc;

	if (colon == NULL || (hl = (size_t)(colon - hostport)) >= sizeof(host)) {
		snprintf(why, whylen, "can't parse the address '%s'", hostport);
		return (-1);
	}
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, colon + 1, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "can't resolve %s: %s", hostport, gai_strerror(rc));
		return (-1);
	}
	rc = -1;
	for (ai = res; ai != NULL && rc != 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			rc = 0;
		else
			snprintf(why, whylen, "can't connect to %s: %s", hostport, strerror(errno));
		close(fd);
	}
	freeaddrinfo(res);
	return (rc);
}

/*
 * A daemon without the "health" command (upstream's): healthy when it
 * answers "status" and its listening address accepts a connection.
 */
static int
health_fallback(const char *path)
{
	char buf[8192], why[512], addr[300];
	const char *p;

	if (request_all(path, "status\n", buf, sizeof(buf)) <= 0 || strncmp(buf, "OK\n", 3) != 0) {
		fprintf(stderr, "unhealthy: qnetd does not answer status\n");
		return (TOOL_EXIT_QNETD_ERROR);
	}
	p = strstr(buf, "QNetd address:");
	if (p == NULL || sscanf(p + strlen("QNetd address:"), "%299s", addr) != 1) {
		fprintf(stderr, "unhealthy: no address in the status reply\n");
		return (TOOL_EXIT_QNETD_ERROR);
	}
	if (tcp_probe(addr, why, sizeof(why)) != 0) {
		fprintf(stderr, "unhealthy: %s\n", why);
		return (TOOL_EXIT_QNETD_ERROR);
	}
	printf("healthy: listening on %s\n", addr);
	return (TOOL_EXIT_OK);
}

#define UNKNOWN_COMMAND "Error\nUnknown command"

/* -k: exit 0 when qnetd answers and serves, else a reason on stderr. */
static int
health_check(const struct tool_args *args)
{
	char buf[8192], *nl;
	ssize_t n;

	n = request_all(args->socket_path, "health\n", buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "unhealthy: can't connect to qnetd socket %s: %s\n",
		    args->socket_path, strerror(errno));
		return (TOOL_EXIT_CONNECT);
	}
	if (strncasecmp(buf, "OK\n", 3) == 0) {
		fputs(buf + 3, stdout);
		return (TOOL_EXIT_OK);
	}
	if (strncasecmp(buf, UNKNOWN_COMMAND, strlen(UNKNOWN_COMMAND)) == 0)
		return (health_fallback(args->socket_path));
	if (strncasecmp(buf, "Error\n", 6) == 0) {
		nl = strchr(buf + 6, '\n');
		if (nl != NULL)
			*nl = '\0';
		fprintf(stderr, "unhealthy: %s\n", buf + 6);
		return (TOOL_EXIT_QNETD_ERROR);
	}
	fprintf(stderr, "unhealthy: %s\n",
	    n == 0 ? "qnetd closed the connection without a reply" : "unexpected reply from qnetd");
	return (TOOL_EXIT_QNETD_ERROR);
}

int
main(int argc, char *argv[])
{
	struct tool_args args;
	struct tool_request req;
	int fd;
	int exit_code;

	parse_args(argc, argv, &args);
	if (args.op == TOOL_OP_HEALTH)
		return (health_check(&args));

	/* Upstream connects before building the request; keep that order. */
	fd = connect_socket(args.socket_path);
	if (fd == -1)
		err(TOOL_EXIT_CONNECT, "Can't connect to qnetd socket (is QNetd running?)");

	if (build_request(&args, &req) != 0)
		errx(TOOL_EXIT_INTERNAL, "Can't store command");
	if (send_all(fd, req.data, req.len) != 0)
		errx(TOOL_EXIT_INTERNAL, "Can't send command");

	exit_code = TOOL_EXIT_OK;
	switch (read_reply(fd)) {
	case TOOL_REPLY_OK:
		break;
	case TOOL_REPLY_ERROR:
		exit_code = TOOL_EXIT_QNETD_ERROR;
		break;
	case TOOL_REPLY_UNKNOWN:
		errx(TOOL_EXIT_CONNECT, "Unknown status line returned by IPC server");
	case TOOL_REPLY_INTERNAL:
		errx(TOOL_EXIT_INTERNAL, "Internal error during IPC status line read");
	}

	if (close(fd) != 0)
		warn("Can't close QNetd socket");

	return (exit_code);
}
