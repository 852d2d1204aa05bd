/*
 * shard.h - which worker process owns a cluster (docs/workers.md): a
 * keyed hash (SipHash-2-4) of its name, modulo the number of workers.
 * The parent routes new clients with it, a worker checks a renaming
 * PREINIT with it; both hold the same key.  Pure.
 */
#ifndef QNETD_SHARD_H
#define QNETD_SHARD_H

#include <stddef.h>

#include "base/keyed_hash.h"

/* The worker (0 .. n-1) that owns cluster name (len bytes) under key; 0 when n <= 1. */
static inline unsigned
shard_of(const struct keyed_hash_key *key, unsigned n, const char *name, size_t len)
{
	return (n <= 1 ? 0 : (unsigned)(keyed_hash(key, name, len) % n));
}

#endif
