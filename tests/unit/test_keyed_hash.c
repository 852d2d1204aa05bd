/*
 * test_keyed_hash.c - SipHash-2-4 against the reference vectors, and the
 * cluster-name table's defence: names that collide under the old unkeyed
 * FNV-1a (masked to the table size) no longer share a bucket whatever the
 * key, the key changes the bucket, and lookups of colliding names work.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/keyed_hash.h"
#include "check.h"
#include "core/client.h"
#include "core/cluster.h"

#define BUCKETS 64 /* the registry's starting size */

/* The hash the registry used before: 64-bit FNV-1a, no key. */
static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return (h);
}

static void
test_vectors(void)
{
	struct keyed_hash_key key;
	unsigned char k[16], m[64];
	size_t i;

	for (i = 0; i < 16; i++)
		k[i] = (unsigned char)i;
	for (i = 0; i < sizeof(m); i++)
		m[i] = (unsigned char)i;
	memcpy(&key.k0, k, 8); /* little-endian host: the paper's byte order */
	memcpy(&key.k1, k + 8, 8);
	/* The paper's appendix: key 00..0f, message 00..0e. */
	CHECK(keyed_hash(&key, m, 15) == 0xa129ca6149be45e5ULL);
	/* The reference vectors.h: empty message, and 00..07 (one whole word). */
	CHECK(keyed_hash(&key, m, 0) == 0x726fdb47dd0e0e31ULL);
	CHECK(keyed_hash(&key, m, 8) == 0x93f5f5799a932462ULL);
}

/* Two names "nN" with the same unkeyed FNV-1a bucket. */
static void
colliding_names(char a[16], char b[16])
{
	static int seen[BUCKETS];
	int i;

	memset(seen, -1, sizeof(seen));
	for (i = 0;; i++) {
		char name[16];
		int n = snprintf(name, sizeof(name), "n%d", i);
		size_t bucket = (size_t)(fnv1a(name, (size_t)n) & (BUCKETS - 1));

		if (seen[bucket] >= 0) {
			snprintf(a, 16, "n%d", seen[bucket]);
			snprintf(b, 16, "%s", name);
			return;
		}
		seen[bucket] = i;
	}
}

static size_t
bucket(const struct keyed_hash_key *key, const char *s)
{
	return ((size_t)(keyed_hash(key, s, strlen(s)) & (BUCKETS - 1)));
}

static void
test_collisions_scatter(void)
{
	struct keyed_hash_key key;
	char a[16], b[16];
	int i, together = 0, moved = 0;
	size_t first;

	colliding_names(a, b);
	CHECK((fnv1a(a, strlen(a)) & (BUCKETS - 1)) == (fnv1a(b, strlen(b)) & (BUCKETS - 1)));
	CHECK(keyed_hash_key_random(&key) == 0);
	first = bucket(&key, a);
	/* 32 keys: all 32 putting a and b together has odds 64^-32. */
	for (i = 0; i < 32; i++) {
		CHECK(keyed_hash_key_random(&key) == 0);
		together += bucket(&key, a) == bucket(&key, b);
		moved += bucket(&key, a) != first;
	}
	CHECK(together < 32);
	CHECK(moved > 0); /* the key, not the name alone, picks the bucket */
}

static struct qnetd_client *
mk(const char *name, uint32_t node_id)
{
	struct qnetd_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		abort();
	client_state_init(c);
	c->cluster_name = strdup(name);
	if (c->cluster_name == NULL)
		abort();
	c->cluster_name_len = strlen(name);
	c->node_id = node_id;
	return (c);
}

/* Colliding names under a chosen key (even a zero key): every lookup finds its own cluster. */
static void
test_lookup_with_key(uint64_t k0, uint64_t k1)
{
	struct cluster_registry reg;
	struct qnetd_client *c[200];
	char name[16];
	int i;

	CHECK_EQ(cluster_registry_init(&reg), 0);
	reg.hash_key.k0 = k0;
	reg.hash_key.k1 = k1;
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		c[i] = mk(name, 1);
		CHECK(cluster_registry_add_client(&reg, c[i]) != NULL);
	}
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		CHECK(cluster_registry_find(&reg, name, strlen(name)) == c[i]->cluster);
	}
	CHECK(cluster_registry_find(&reg, "n200", 4) == NULL);
	for (i = 0; i < 200; i++) {
		cluster_registry_del_client(&reg, c[i]);
		client_state_destroy(c[i]);
		free(c[i]);
	}
	CHECK_EQ(reg.count, 0);
	cluster_registry_destroy(&reg);
}

int
main(void)
{
	test_vectors();
	test_collisions_scatter();
	test_lookup_with_key(0, 0);
	test_lookup_with_key(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
	return (check_exit("keyed_hash"));
}
