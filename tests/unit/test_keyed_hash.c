/*
 * test_keyed_hash.c - SipHash-2-4 against the reference vectors of the
 * SipHash paper (key 00..0f, messages 00, 00 01, ... of length 0..63),
 * a few of them spot-checked, and the key actually changing the result.
 */
#include <stdint.h>
#include <string.h>

#include "base/keyed_hash.h"
#include "check.h"

int
main(void)
{
	struct keyed_hash_key key, other;
	uint8_t msg[64];
	size_t i;

	for (i = 0; i < sizeof(key.bytes); i++)
		key.bytes[i] = (uint8_t)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	/* vectors.h of the reference implementation, read as little-endian words */
	CHECK_EQ(keyed_hash(&key, NULL, 0), 0x726fdb47dd0e0e31ULL);
	CHECK_EQ(keyed_hash(&key, msg, 1), 0x74f839c593dc67fdULL);
	CHECK_EQ(keyed_hash(&key, msg, 15), 0xa129ca6149be45e5ULL);

	memcpy(&other, &key, sizeof(key));
	other.bytes[0] ^= 1;
	CHECK(keyed_hash(&other, msg, 15) != keyed_hash(&key, msg, 15));
	CHECK_EQ(keyed_hash_key_random(&other), 0);
	CHECK(memcmp(&other, &key, sizeof(key)) != 0);
	return (check_exit("test_keyed_hash"));
}
