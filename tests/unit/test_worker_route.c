/*
 * test_worker_route.c - which worker owns a cluster: SipHash-2-4 of the
 * name (the reference vectors of the SipHash paper: key 00..0f, messages
 * 00 01 02 ...), modulo the worker count; every worker gets a fair share
 * of many names; another key routes differently; one worker takes all.
 */
#include <string.h>

#include "check.h"
#include "daemon/shard.h"

int
main(void)
{
	struct keyed_hash_key key = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	struct keyed_hash_key other = { 1, 2 };
	unsigned count[4] = { 0 }, i, moved = 0;
	char msg[16], name[32];

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (char)i;
	CHECK_EQ(keyed_hash(&key, NULL, 0), 0x726fdb47dd0e0e31ULL);
	CHECK_EQ(keyed_hash(&key, msg, 1), 0x74f839c593dc67fdULL);
	CHECK_EQ(keyed_hash(&key, msg, 15), 0xa129ca6149be45e5ULL);
	CHECK_EQ(shard_of(&key, 7, msg, 15), (unsigned)(0xa129ca6149be45e5ULL % 7));

	for (i = 0; i < 4000; i++) {
		snprintf(name, sizeof(name), "cluster-%u", i);
		count[shard_of(&key, 4, name, strlen(name))]++;
		moved += shard_of(&key, 4, name, strlen(name)) !=
		    shard_of(&other, 4, name, strlen(name));
		CHECK_EQ(shard_of(&key, 1, name, strlen(name)), 0);
	}
	for (i = 0; i < 4; i++)
		CHECK(count[i] > 850 && count[i] < 1150);
	CHECK(moved > 2500);
	return (check_exit("test_worker_route"));
}
