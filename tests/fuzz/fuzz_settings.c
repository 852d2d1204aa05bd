/*
 * fuzz_settings.c - libFuzzer target for the -S option parser: any
 * string gives 0 or -1 with a message, never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qnetd_settings s;
	char err[256], warn[256];
	char *arg;

	if (size > 4096)
		return 0;
	arg = malloc(size + 1);
	if (arg == NULL)
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';
	if (settings_init(&s) == 0) {
		if (settings_apply_advanced(&s, arg, err, sizeof(err), warn, sizeof(warn)) != 0 &&
		    err[0] == '\0')
			abort();	/* a refusal must say why */
		settings_destroy(&s);
	}
	free(arg);
	return 0;
}
