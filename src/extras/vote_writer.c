/*
 * vote_writer.c - the vote memory's disk thread (vote_writer.h).
 *
 * The loop posts work under a mutex and signals; the thread takes the
 * newest content (or a stamp request), does the slow part without the
 * lock, and records the outcome.  A content replaces one still waiting,
 * so a burst of vote changes costs one write.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extras/vote_memory.h"
#include "extras/vote_writer.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int running;
	char *path;
	/* work, under lock */
	char *buf;
	size_t len;
	int stamp_wanted;
	uint64_t stamp_ms;
	int sync; /* the final step: fsync the stamp too */
	int stop;
	/* outcome, under lock */
	int err;
	int err_content;
	/* the thread's own */
	int fd;
} w = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.fd = -1,
};

/* One step, lock not held.  Content: write and keep the new fd. */
static int
writer_do(char *buf, size_t len, int stamp, uint64_t stamp_ms, int sync)
{
	int fd, err;

	if (buf != NULL) {
		err = vote_memory_file_write(w.path, buf, len, &fd);
		free(buf);
		if (err != 0)
			return (err);
		if (w.fd >= 0)
			close(w.fd);
		w.fd = fd;
		return (sync && fsync(w.fd) != 0 ? errno : 0);
	}
	if (!stamp || w.fd < 0)
		return (0);
	return (vote_memory_file_stamp(w.fd, stamp_ms, sync));
}

static void *
writer_main(void *arg)
{
	char *buf;
	size_t len;
	uint64_t stamp_ms;
	int stamp, sync, stop, err;

	(void)arg;
	pthread_mutex_lock(&w.lock);
	for (;;) {
		while (w.buf == NULL && !w.stamp_wanted && !w.stop)
			pthread_cond_wait(&w.wake, &w.lock);
		buf = w.buf;
		len = w.len;
		stamp = w.stamp_wanted;
		stamp_ms = w.stamp_ms;
		sync = w.sync;
		stop = w.stop;
		w.buf = NULL;
		w.stamp_wanted = 0;
		pthread_mutex_unlock(&w.lock);
		err = writer_do(buf, len, stamp, stamp_ms, sync);
		pthread_mutex_lock(&w.lock);
		if (err != 0) {
			w.err = err;
			w.err_content = buf != NULL;
		}
		if (stop && w.buf == NULL && !w.stamp_wanted)
			break;
	}
	pthread_mutex_unlock(&w.lock);
	return (NULL);
}

/*
 * The thread blocks every signal: the loop takes SIGTERM, SIGINT and
 * SIGHUP through a signalfd, which works only while no thread lets them
 * through (one that did would die of SIGTERM's default action).
 */
int
vote_writer_start(const char *path)
{
	sigset_t all, old;
	int r;

	if (w.running)
		return (0);
	w.path = strdup(path);
	if (w.path == NULL)
		return (-1);
	w.stop = w.err = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&w.thread, NULL, writer_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		free(w.path);
		w.path = NULL;
		return (-1);
	}
	w.running = 1;
	return (0);
}

void
vote_writer_post(char *buf, size_t len)
{

	pthread_mutex_lock(&w.lock);
	free(w.buf);
	w.buf = buf;
	w.len = len;
	pthread_cond_signal(&w.wake);
	pthread_mutex_unlock(&w.lock);
}

void
vote_writer_stamp(uint64_t now_wall_ms)
{

	pthread_mutex_lock(&w.lock);
	if (w.buf == NULL) {
		w.stamp_wanted = 1;
		w.stamp_ms = now_wall_ms;
		pthread_cond_signal(&w.wake);
	}
	pthread_mutex_unlock(&w.lock);
}

int
vote_writer_take_error(int *content)
{
	int err;

	pthread_mutex_lock(&w.lock);
	err = w.err;
	*content = w.err_content;
	w.err = 0;
	w.err_content = 0;
	pthread_mutex_unlock(&w.lock);
	return (err);
}

int
vote_writer_stop(char *buf, size_t len, uint64_t now_wall_ms)
{
	int content;

	if (!w.running) {
		free(buf);
		return (0);
	}
	pthread_mutex_lock(&w.lock);
	if (buf != NULL) {
		free(w.buf);
		w.buf = buf;
		w.len = len;
	} else {
		w.stamp_wanted = 1;
		w.stamp_ms = now_wall_ms;
	}
	w.sync = 1;
	w.stop = 1;
	pthread_cond_signal(&w.wake);
	pthread_mutex_unlock(&w.lock);
	pthread_join(w.thread, NULL);
	w.running = 0;
	if (w.fd >= 0)
		close(w.fd);
	w.fd = -1;
	free(w.path);
	w.path = NULL;
	return (vote_writer_take_error(&content));
}
