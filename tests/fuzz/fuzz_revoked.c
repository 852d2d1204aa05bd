/*
 * fuzz_revoked.c - libFuzzer target for the revoked-certificate list
 * parser: any bytes give a list (lookups of what was just parsed work),
 * never a crash, a leak or a read past the buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/revoked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
warn_cb(void *arg, size_t line, const char *why)
{
	size_t *n = arg;

	if (line == 0 || why == NULL || why[0] == '\0')
		abort(); /* a skipped line must say where and why */
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct revoked_list *l;
	uint8_t issuer[32];
	size_t warned = 0;
	char *copy;

	if (size > 1 << 20)
		return 0;
	/* An exact-size copy: ASan sees any read past the end. */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	l = revoked_parse(copy, size, warn_cb, &warned);
	if (l != NULL) {
		memset(issuer, size ? data[0] : 0, sizeof(issuer));
		(void)revoked_lookup(l, issuer, data, size < 40 ? size : 40);
		revoked_free(l);
	}
	free(copy);
	return 0;
}
