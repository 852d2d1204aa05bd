/*
 * keyed_hash.h - SipHash-2-4: a keyed 64-bit hash of a byte string.
 *
 * For values chosen by peers (cluster names): without the key nobody can
 * pick names that all land in one hash bucket or on one worker.  Pure.
 */
#ifndef QNETD_KEYED_HASH_H
#define QNETD_KEYED_HASH_H

#include <stddef.h>
#include <stdint.h>

#define KEYED_HASH_KEY_LEN 16

struct keyed_hash_key {
	uint8_t bytes[KEYED_HASH_KEY_LEN];
};

/* SipHash-2-4 of len bytes at data under key.  data may be NULL when len is 0. */
uint64_t keyed_hash(const struct keyed_hash_key *key, const void *data, size_t len);

/* Fill key from the kernel's random source.  0, or -1 (errno set). */
int keyed_hash_key_random(struct keyed_hash_key *key);

#endif
