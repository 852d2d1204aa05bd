/*
 * check.h - minimal unit-test helpers.  A failed CHECK prints where and
 * why and counts; main() returns check_exit() (0 when nothing failed).
 */
#ifndef QNETD_TEST_CHECK_H
#define QNETD_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond) do { \
	check_count++; \
	if (!(cond)) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
	check_count++; \
	if (check_a_ != check_b_) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", \
		    __FILE__, __LINE__, #a, check_a_, #b, check_b_); \
	} \
} while (0)

#define CHECK_MEM(a, alen, b, blen) do { \
	size_t check_al_ = (alen), check_bl_ = (blen); \
	check_count++; \
	if (check_al_ != check_bl_ || memcmp((a), (b), check_al_) != 0) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: CHECK_MEM failed: %s (%zu bytes) != %s (%zu bytes)\n", \
		    __FILE__, __LINE__, #a, check_al_, #b, check_bl_); \
	} \
} while (0)

static inline int
check_exit(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures == 0 ? 0 : 1;
}

#endif
