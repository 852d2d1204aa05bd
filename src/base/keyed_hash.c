/*
 * keyed_hash.c - SipHash-2-4 (Aumasson and Bernstein, 2012), written
 * from the paper's description; see keyed_hash.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/keyed_hash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip_state {
	uint64_t v0, v1, v2, v3;
};

/* Inlined: a call per round would cost as much as the round. */
static inline __attribute__((always_inline)) void
sip_round(struct sip_state *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

/* Little-endian 64-bit word at p (n <= 8 bytes; the rest zero). */
static uint64_t
load_le(const unsigned char *p, size_t n)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return (w);
}

static inline __attribute__((always_inline)) void
sip_compress(struct sip_state *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

uint64_t
keyed_hash(const struct keyed_hash_key *key, const void *data, size_t len)
{
	const unsigned char *p = data;
	struct sip_state s;
	size_t left = len;

	s.v0 = key->k0 ^ 0x736f6d6570736575ULL;
	s.v1 = key->k1 ^ 0x646f72616e646f6dULL;
	s.v2 = key->k0 ^ 0x6c7967656e657261ULL;
	s.v3 = key->k1 ^ 0x7465646279746573ULL;
	for (; left >= 8; left -= 8, p += 8)
		sip_compress(&s, load_le(p, 8));
	/* The last word: the remaining bytes, and the length's low byte on top. */
	sip_compress(&s, load_le(p, left) | ((uint64_t)(len & 0xff) << 56));
	s.v2 ^= 0xff;
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	return (s.v0 ^ s.v1 ^ s.v2 ^ s.v3);
}

static int
read_urandom(unsigned char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (-1);
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	close(fd);
	return (n == (ssize_t)len ? 0 : -1);
}

int
keyed_hash_key_random(struct keyed_hash_key *key)
{
	unsigned char buf[16];
	struct timespec ts;
	ssize_t n;

	do
		n = getrandom(buf, sizeof(buf), GRND_NONBLOCK);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(buf) || read_urandom(buf, sizeof(buf)) == 0) {
		key->k0 = load_le(buf, 8);
		key->k1 = load_le(buf + 8, 8);
		return (0);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	key->k0 = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec;
	key->k1 = (uint64_t)getpid() * 0xc2b2ae3d27d4eb4fULL ^ (uint64_t)(uintptr_t)key;
	return (-1);
}
