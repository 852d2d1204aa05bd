/*
 * test_vote_writer.c - the vote memory's writer thread: a posted content
 * lands in the file (0600), the newest of several wins, a stamp is
 * refreshed in place, the stop writes and syncs, and a write that fails
 * (no directory) comes back as an error for the loop to log.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "extras/vote_memory.h"
#include "extras/vote_writer.h"

#define T0 1700000000000ull
#define M0 1000ull

static char dir[256], path[300];

/* The store's file as a store would load it: the number of records, or -1. */
static long
load_at(uint64_t wall)
{
	struct vote_memory *vm = vote_memory_new(path);
	long n;

	n = vote_memory_load(vm, path, NULL, NULL, wall, M0);
	vote_memory_free(vm);
	return (n);
}

static char *
content(struct vote_memory *vm, uint64_t wall, size_t *len)
{
	char *buf = NULL;

	CHECK_EQ(vote_memory_format(vm, wall, &buf, len), 0);
	return (buf);
}

/* Wait (at most 5 s) until the file loads with n records at wall. */
static int
wait_records(long n, uint64_t wall)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (load_at(wall) == n)
			return (1);
		usleep(10000);
	}
	return (0);
}

int
main(void)
{
	static const uint32_t ids[] = { 1, 2 };
	struct vote_memory *vm;
	struct stat st;
	char *buf;
	size_t len;
	int content_err;

	snprintf(dir, sizeof(dir), "/tmp/qnetd-test-vw.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return (2);
	snprintf(path, sizeof(path), "%s/vote-memory", dir);
	vm = vote_memory_new(path);
	CHECK_EQ(vote_writer_start(path), 0);

	/* Three contents in a row: the file ends with the last one. */
	CHECK_EQ(vote_memory_note(vm, "a", 1, 1, 8000, ids, 2), 0);
	buf = content(vm, T0, &len);
	vote_writer_post(buf, len);
	CHECK_EQ(vote_memory_note(vm, "b", 1, 1, 8000, ids, 1), 0);
	buf = content(vm, T0, &len);
	vote_writer_post(buf, len);
	CHECK(!vote_memory_dirty(vm));
	CHECK(wait_records(2, T0));
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);

	/* An hour later the stamp, refreshed in place, keeps it fresh. */
	CHECK_EQ(load_at(T0 + 3600000), 0);
	vote_writer_stamp(T0 + 3600000);
	CHECK(wait_records(2, T0 + 3600000));
	CHECK_EQ(vote_writer_take_error(&content_err), 0);

	/* The stop writes the last content, synced. */
	CHECK_EQ(vote_memory_note(vm, "c", 1, 1, 8000, ids, 2), 0);
	buf = content(vm, T0 + 3600500, &len);
	CHECK_EQ(vote_writer_stop(buf, len, T0 + 3600500), 0);
	CHECK_EQ(load_at(T0 + 3600600), 3);
	vote_memory_free(vm);

	/* A directory that is gone: the error comes back, marked as a content write. */
	unlink(path);
	rmdir(dir);
	CHECK_EQ(vote_writer_start(path), 0);
	vm = vote_memory_new(path);
	buf = content(vm, T0, &len);
	CHECK_EQ(vote_writer_stop(buf, len, T0), ENOENT);
	vote_memory_free(vm);
	return (check_exit("vote_writer"));
}
