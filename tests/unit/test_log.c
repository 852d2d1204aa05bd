/*
 * test_log.c - the rate limit of routine client lines: the first
 * LOG_ROUTINE_BURST of a window are written, the rest counted and named
 * in one summary; filtered-out priorities are neither written nor
 * counted; with debug logging on nothing is left out.  And the context
 * of a client line: its connection id always, then cluster and node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "base/log.h"
#include "core/client.h"
#include "net/loop.h"

static void
test_client_ctx(void)
{
	struct qnetd_client c;

	client_state_init(&c);
	c.id = 42;
	CHECK(strcmp(client_log_ctx(&c), " (id 42)") == 0);
	c.cluster_name = strdup("c\x01x");
	c.cluster_name_len = 3;
	CHECK(strcmp(client_log_ctx(&c), " (id 42, cluster c?x)") == 0);
	CHECK_EQ(client_state_move(&c, CLIENT_STATE_PREINIT_DONE), 0);
	CHECK_EQ(client_state_move(&c, CLIENT_STATE_INITIALISED), 0);
	c.node_id = 3;
	CHECK(strcmp(client_log_ctx(&c), " (id 42, cluster c?x, node 3)") == 0);
	/* A closing client keeps the node it had. */
	CHECK_EQ(client_state_move(&c, CLIENT_STATE_CLOSING), 0);
	CHECK(strcmp(client_log_ctx(&c), " (id 42, cluster c?x, node 3)") == 0);
	client_state_destroy(&c);
}

int
main(void)
{
	char path[] = "/tmp/qnetd-test-log-XXXXXX";
	char text[8192];
	int fd, saved, i, admitted = 0;
	FILE *f;
	size_t n;

	/* Capture the stderr target (-f) in a file. */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	saved = dup(2);
	CHECK(dup2(fd, 2) == 2);
	log_init("test_log", 1, 0);
	CHECK_EQ(loop_init(), 0);

	CHECK(log_enabled(LOG_INFO));
	CHECK(log_enabled(LOG_ERR));
	CHECK(!log_enabled(LOG_DEBUG));
	for (i = 0; i < LOG_ROUTINE_BURST + 50; i++)
		admitted += log_routine_admit(LOG_INFO);
	CHECK_EQ(admitted, LOG_ROUTINE_BURST);
	/* A filtered-out line is not written and not counted as left out. */
	CHECK_EQ(log_routine_admit(LOG_DEBUG), 0);

	/* Debug on (as -d or log_level_file would set it): every line. */
	qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_DEBUG);
	CHECK(log_enabled(LOG_DEBUG));
	CHECK_EQ(log_routine_admit(LOG_INFO), 1);
	CHECK_EQ(log_routine_admit(LOG_DEBUG), 1);

	loop_fini();
	log_fini();	/* writes the summary of the window */
	fflush(stderr);
	dup2(saved, 2);
	close(saved);

	f = fopen(path, "r");
	CHECK(f != NULL);
	n = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = '\0';
	if (f != NULL)
		fclose(f);
	close(fd);
	unlink(path);
	CHECK(strstr(text, "50 routine client log line(s) left out") != NULL);
	test_client_ctx();
	return check_exit("log");
}
