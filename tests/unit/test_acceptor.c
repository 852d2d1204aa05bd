/*
 * test_acceptor.c - the shared acceptor on a real AF_UNIX socket and the
 * real loop: accepts up to the cap and refuses (closes) the rest, frees a
 * closed connection only after the event batch, accepts at most `batch`
 * sockets per wake-up, and stops cleanly.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "net/acceptor.h"
#include "net/loop.h"

struct tconn {
	int fd;
	struct acceptor_link link;
};

static struct acceptor acc;
static struct tconn *conns[16];
static int naccepted, nfreed, max_per_wakeup, this_wakeup;
static struct loop_timer stopper;

static void
accepted_cb(struct acceptor *a, int fd, const struct sockaddr_storage *peer)
{
	struct tconn *c = calloc(1, sizeof(*c));

	(void)peer;
	if (c == NULL)
		abort();
	c->fd = fd;
	acceptor_conn_add(a, &c->link);
	conns[naccepted++] = c;
	this_wakeup++;
}

static void
free_cb(struct acceptor_link *l)
{
	struct tconn *c = (struct tconn *)(void *)((char *)l - offsetof(struct tconn, link));

	nfreed++;
	free(c);
}

static const struct acceptor_ops ops = {
	.accepted_cb = accepted_cb,
	.free_cb = free_cb,
};

static void
stop_cb(struct loop_timer *t)
{
	(void)t;
	loop_stop();
}

/* After each batch of events: the most accepts seen in one wake-up. */
static void
after_batch(void)
{
	if (this_wakeup > max_per_wakeup)
		max_per_wakeup = this_wakeup;
	this_wakeup = 0;
}

/* One loop run of ms milliseconds. */
static void
spin(unsigned ms)
{
	loop_timer_arm(&stopper, ms);
	loop_run();
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		abort();
	return (fd);
}

/* 1 if the server closed fd (EOF), 0 if it is still open. */
static int
closed_by_server(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_DONTWAIT);

	return (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
}

int
main(void)
{
	const struct acceptor_config cfg = {
		.who = "test clients",
		.batch = 2,
		.pause_ms = 50,
		.max_conns = 3,
	};
	struct sockaddr_un sun;
	char path[] = "/tmp/qnetd-test-acceptor-XXXXXX";
	int lfd, cfd[5], i;

	CHECK_EQ(loop_init(), 0);
	loop_timer_init(&stopper, stop_cb, NULL);
	loop_set_after_dispatch(after_batch);
	CHECK(mkdtemp(path) != NULL);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0);
	CHECK_EQ(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	CHECK_EQ(listen(lfd, 16), 0);

	acceptor_init(&acc, &cfg, &ops, NULL);
	CHECK(!acceptor_is_open(&acc));
	CHECK_EQ(acceptor_start(&acc, lfd), 0);
	CHECK(acceptor_is_open(&acc));

	/* Five at once: three within the cap, two refused; two per wake-up. */
	for (i = 0; i < 5; i++)
		cfd[i] = connect_to(sun.sun_path);
	for (i = 0; i < 5; i++)
		spin(20);
	CHECK_EQ(naccepted, 3);
	CHECK_EQ(acceptor_conn_count(&acc), 3);
	CHECK_EQ(max_per_wakeup, 2);
	CHECK_EQ(closed_by_server(cfd[3]) + closed_by_server(cfd[4]), 2);
	CHECK_EQ(closed_by_server(cfd[0]) + closed_by_server(cfd[1]) + closed_by_server(cfd[2]), 0);

	/* Closing frees later, from the loop, not at once. */
	close(conns[0]->fd);
	acceptor_conn_close(&acc, &conns[0]->link);
	CHECK_EQ(nfreed, 0);
	CHECK_EQ(acceptor_conn_count(&acc), 2);
	spin(10);
	CHECK_EQ(nfreed, 1);

	/* A slot is free again: the next one is accepted. */
	close(cfd[3]);
	close(cfd[4]);
	cfd[3] = connect_to(sun.sun_path);
	spin(20);
	CHECK_EQ(naccepted, 4);

	/* Stop: no more accepts; the open ones are the owner's to close. */
	acceptor_stop(&acc);
	CHECK(!acceptor_is_open(&acc));
	acceptor_stop(&acc); /* idempotent */
	for (i = 1; i < naccepted; i++) {
		close(conns[i]->fd);
		acceptor_conn_close(&acc, &conns[i]->link);
	}
	acceptor_reap(&acc);
	CHECK_EQ(nfreed, naccepted);
	CHECK_EQ(acceptor_conn_count(&acc), 0);

	for (i = 0; i < 4; i++)
		close(cfd[i]);
	unlink(sun.sun_path);
	rmdir(path);
	loop_fini();
	return (check_exit("acceptor"));
}
