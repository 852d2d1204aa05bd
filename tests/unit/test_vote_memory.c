/*
 * test_vote_memory.c - the vote memory's store and file: round trip,
 * freshness (stale and future stamps), the stamp refreshed in place,
 * the load filter, grace ends, and malformed or foreign files ignored.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "extras/vote_memory.h"

#define FF TLV_DECISION_ALGORITHM_FFSPLIT
#define LMS TLV_DECISION_ALGORITHM_LMS
#define T0 1700000000000ull /* wall clock of the first daemon */
#define M0 5000ull          /* its monotonic clock */
#define HB 8000u

static char dir[256], path[300];
static const uint32_t ids2[] = { 2 };
static const uint32_t ids34[] = { 3, 4 };

static struct vote_memory *
fresh_store(void)
{
	struct vote_memory *vm = vote_memory_new(path);

	if (vm == NULL)
		abort();
	return (vm);
}

static void
write_file(const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* A store with two clusters, saved at wall time t. */
static void
save_two(uint64_t t)
{
	struct vote_memory *vm = fresh_store();

	CHECK_EQ(vote_memory_note(vm, "alpha", 5, FF, HB, ids2, 1), 0);
	CHECK_EQ(vote_memory_note(vm, "be\nta \x01", 7, LMS, 2000, ids34, 2), 0);
	CHECK(vote_memory_dirty(vm));
	CHECK_EQ(vote_memory_save(vm, t), 0);
	CHECK(!vote_memory_dirty(vm));
	vote_memory_free(vm);
}

static void
test_round_trip(void)
{
	struct vote_memory *vm;
	struct algo_recall r;
	struct stat st;

	save_two(T0);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 + 500, M0), 2);
	CHECK_EQ(vote_memory_recall(vm, "alpha", 5, FF, M0, &r), 1);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.ids[0], 2);
	CHECK_EQ(r.grace_left_ms, 2 * HB);
	CHECK_EQ(vote_memory_recall(vm, "alpha", 5, LMS, M0, &r), 0); /* other algorithm */
	CHECK_EQ(vote_memory_recall(vm, "alpha", 5, FF, M0 + 2 * HB - 1, &r), 1);
	CHECK_EQ(r.grace_left_ms, 1);
	CHECK_EQ(vote_memory_recall(vm, "alpha", 5, FF, M0 + 2 * HB, &r), 0);
	CHECK_EQ(vote_memory_recall(vm, "be\nta \x01", 7, LMS, M0, &r), 1);
	CHECK_EQ(r.n, 2);
	CHECK(r.ids[0] == 3 && r.ids[1] == 4);
	CHECK_EQ(r.grace_left_ms, 2 * 2000);
	CHECK_EQ(vote_memory_recall(vm, "be", 2, LMS, M0, &r), 0);
	/* The cluster now runs another algorithm: the memory is still ffsplit's. */
	CHECK_EQ(vote_memory_note(vm, "alpha", 5, LMS, HB, ids34, 2), 0);
	CHECK_EQ(vote_memory_recall(vm, "alpha", 5, LMS, M0, &r), 0);
	CHECK_EQ(vote_memory_recall(vm, "alpha", 5, FF, M0, &r), 1);
	CHECK_EQ(r.ids[0], 2);
	CHECK_EQ(vote_memory_next_grace_end(vm), M0 + 2 * 2000);
	/* What was loaded is carried into the next file. */
	CHECK(vote_memory_dirty(vm));
	vote_memory_free(vm);
}

/* Fresh up to 3 heartbeats after the stamp, per cluster; never from the future. */
static void
test_freshness(void)
{
	struct vote_memory *vm;

	save_two(T0);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 + 3 * 2000, M0), 2);
	vote_memory_free(vm);
	vm = fresh_store();
	/* 6001 ms: stale for the 2000 ms cluster, fresh for the 8000 ms one. */
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 + 3 * 2000 + 1, M0), 1);
	CHECK_EQ(vote_memory_count(vm), 1);
	vote_memory_free(vm);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 + 3 * HB + 1, M0), 0);
	vote_memory_free(vm);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 - 999, M0), 2);
	vote_memory_free(vm);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 - 1001, M0), 0);
	vote_memory_free(vm);
}

/* A split standing for an hour: the stamp, refreshed in place, keeps it fresh. */
static void
test_stamp(void)
{
	struct vote_memory *vm;

	vm = fresh_store();
	CHECK_EQ(vote_memory_note(vm, "alpha", 5, FF, HB, ids2, 1), 0);
	CHECK_EQ(vote_memory_stamp(vm, T0, 0), 0); /* nothing written yet: saves */
	CHECK_EQ(vote_memory_stamp(vm, T0 + 3600000, 1), 0);
	vote_memory_free(vm);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 + 3600000 + 100, M0), 1);
	vote_memory_free(vm);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 + 3600000 + 3 * HB + 1, M0), 0);
	vote_memory_free(vm);
}

static int
want_beta(const char *name, size_t len, void *arg)
{

	(*(int *)arg)++;
	return (len == 7 && memcmp(name, "be\nta \x01", 7) == 0);
}

/* The loader a worker uses: only the clusters it owns. */
static void
test_filter(void)
{
	struct vote_memory *vm;
	struct algo_recall r;
	int calls = 0;

	save_two(T0);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, want_beta, &calls, T0, M0), 1);
	CHECK_EQ(calls, 2);
	CHECK_EQ(vote_memory_recall(vm, "alpha", 5, FF, M0, &r), 0);
	CHECK_EQ(vote_memory_recall(vm, "be\nta \x01", 7, LMS, M0, &r), 1);
	vote_memory_free(vm);
}

static int
none_present(const char *name, size_t len, void *arg)
{

	(void)name;
	(void)len;
	(void)arg;
	return (0);
}

/* Grace ends; an absent cluster never noted is forgotten, a noted one kept. */
static void
test_grace_end(void)
{
	struct vote_memory *vm;
	struct algo_recall r;

	save_two(T0);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0, M0), 2);
	CHECK_EQ(vote_memory_note(vm, "alpha", 5, FF, HB, ids2, 1), 0);
	CHECK_EQ(vote_memory_end_graces(vm, M0 + 3999, none_present, NULL), 0);
	CHECK_EQ(vote_memory_end_graces(vm, M0 + 4000, none_present, NULL), 1);
	CHECK_EQ(vote_memory_count(vm), 1);
	CHECK_EQ(vote_memory_end_graces(vm, M0 + 2 * HB, none_present, NULL), 1);
	CHECK_EQ(vote_memory_count(vm), 1); /* alpha was noted: kept */
	CHECK_EQ(vote_memory_recall(vm, "alpha", 5, FF, M0, &r), 0);
	CHECK_EQ(vote_memory_next_grace_end(vm), 0);
	CHECK_EQ(vote_memory_save(vm, T0 + 10), 0);
	vote_memory_free(vm);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 + 20, M0), 1);
	/* No partition holds the vote any more: the record goes. */
	CHECK_EQ(vote_memory_note(vm, "alpha", 5, FF, HB, NULL, 0), 0);
	CHECK(vote_memory_dirty(vm));
	CHECK_EQ(vote_memory_end_graces(vm, M0 + 2 * HB, none_present, NULL), 1);
	CHECK_EQ(vote_memory_save(vm, T0 + 30), 0);
	CHECK_EQ(vote_memory_count(vm), 0);
	vote_memory_free(vm);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0 + 40, M0), 0);
	vote_memory_free(vm);
}

static void
test_malformed(void)
{
	static const char *bad[] = {
		"",
		"qnetd-vote-memory 2\nstamp 0000001700000000000\nend 0\n",
		"qnetd-vote-memory 1\nstamp x\nend 0\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 61 1 2\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 61 1 2\nend 1\nx",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 61 2 3 3\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 61 2 4 3\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 6 1 2\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 6G 1 2\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 0 61 1 2\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 9 8000 61 1 2\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 61 0\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 61 2 1\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 61 1 4294967296\nend 1\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000  61 1 2\nend 1\n",
		"qnetd-vote-memory 1\nstamp 99999999999999999999999\nend 0\n",
		"qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 61 1 -2\nend 1\n",
	};
	struct vote_memory *vm;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(bad[i], 0600);
		vm = fresh_store();
		if (vote_memory_load(vm, path, NULL, NULL, T0, M0) != -1)
			fprintf(stderr, "malformed case %zu was accepted\n", i);
		CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0, M0), -1);
		CHECK_EQ(vote_memory_count(vm), 0);
		vote_memory_free(vm);
	}
	/* The well-formed version of the same line is taken. */
	write_file("qnetd-vote-memory 1\nstamp 0000001700000000000\nc 1 8000 61 1 2\nend 1\n",
	    0600);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0, M0), 1);
	vote_memory_free(vm);
	/* Writable by others: not ours to trust. */
	chmod(path, 0622);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0, M0), -1);
	vote_memory_free(vm);
	/* No file: nothing, no error. */
	unlink(path);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0, M0), 0);
	vote_memory_free(vm);
}

/* A note that changes nothing leaves the store clean. */
static void
test_note_unchanged(void)
{
	struct vote_memory *vm = fresh_store();

	CHECK_EQ(vote_memory_note(vm, "a", 1, FF, HB, NULL, 0), 0);
	CHECK(!vote_memory_dirty(vm));
	CHECK_EQ(vote_memory_note(vm, "a", 1, FF, HB, ids34, 2), 0);
	CHECK_EQ(vote_memory_save(vm, T0), 0);
	CHECK_EQ(vote_memory_note(vm, "a", 1, FF, HB, ids34, 2), 0);
	CHECK(!vote_memory_dirty(vm));
	CHECK_EQ(vote_memory_note(vm, "a", 1, FF, HB, ids2, 1), 0);
	CHECK(vote_memory_dirty(vm));
	vote_memory_free(vm);
}

/* Many clusters: the table grows, every record comes back. */
static void
test_many(void)
{
	struct vote_memory *vm;
	struct algo_recall r;
	char name[32];
	int i, ok;

	vm = fresh_store();
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "cluster-%d", i);
		CHECK_EQ(vote_memory_note(vm, name, strlen(name), FF, HB, ids34, 2), 0);
	}
	CHECK_EQ(vote_memory_save(vm, T0), 0);
	vote_memory_free(vm);
	vm = fresh_store();
	CHECK_EQ(vote_memory_load(vm, path, NULL, NULL, T0, M0), 5000);
	ok = 0;
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "cluster-%d", i);
		ok += vote_memory_recall(vm, name, strlen(name), FF, M0, &r);
	}
	CHECK_EQ(ok, 5000);
	vote_memory_free(vm);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/qnetd-test-vm.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return (2);
	snprintf(path, sizeof(path), "%s/vote-memory", dir);
	test_round_trip();
	test_freshness();
	test_stamp();
	test_filter();
	test_grace_end();
	test_malformed();
	test_note_unchanged();
	test_many();
	unlink(path);
	rmdir(dir);
	return (check_exit("vote_memory"));
}
