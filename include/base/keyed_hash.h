/*
 * keyed_hash.h - SipHash-2-4: a keyed hash of short strings that a peer
 * who does not know the key cannot steer into chosen buckets.  Used for
 * the cluster-name table (core/cluster.c) and to pick a worker by cluster
 * name.  Pure apart from keyed_hash_key_random().
 */
#ifndef QNETD_KEYED_HASH_H
#define QNETD_KEYED_HASH_H

#include <stddef.h>
#include <stdint.h>

struct keyed_hash_key {
	uint64_t k0, k1;
};

/*
 * A fresh random key from getrandom() (without blocking; /dev/urandom if
 * that fails).  0; or -1 when neither gave 16 bytes, and then a key mixed
 * from the clock and the process id (still per start, but guessable).
 */
int keyed_hash_key_random(struct keyed_hash_key *key);

/* SipHash-2-4 of len bytes at data under key (the reference algorithm, 64-bit output). */
uint64_t keyed_hash(const struct keyed_hash_key *key, const void *data, size_t len);

#endif
