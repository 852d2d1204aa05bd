/*
 * keyed_hash.c - SipHash-2-4 (Aumasson and Bernstein, 2012): two
 * compression rounds per 8-byte word, four finalisation rounds.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "base/keyed_hash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return (v);
}

static void
sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static void
sip_word(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

uint64_t
keyed_hash(const struct keyed_hash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = load_le64(key->bytes), k1 = load_le64(key->bytes + 8);
	uint64_t v[4], last;
	uint8_t tail[8];
	size_t i, left;

	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= len; i += 8)
		sip_word(v, load_le64(p + i));
	left = len - i;
	memset(tail, 0, sizeof(tail));
	if (left > 0)
		memcpy(tail, p + i, left);
	last = load_le64(tail) | ((uint64_t)(len & 0xff) << 56);
	sip_word(v, last);
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sip_round(v);
	return (v[0] ^ v[1] ^ v[2] ^ v[3]);
}

int
keyed_hash_key_random(struct keyed_hash_key *key)
{
	size_t got = 0;

	while (got < sizeof(key->bytes)) {
		ssize_t n = getrandom(key->bytes + got, sizeof(key->bytes) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		got += (size_t)n;
	}
	return (0);
}
