/*
 * fuzz_enroll_http.c - libFuzzer target for the enrollment service's
 * request parser and PEM decoder: any bytes give one of the documented
 * outcomes, never a read outside the input; a finished request's body
 * lies inside the input and a refusal always says why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/http.h"
#include "enroll/pem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const labels[] = { "CERTIFICATE REQUEST", NULL };
	struct http_request req;
	uint8_t *copy, out[4096];
	size_t outlen;

	/* An exact-size copy, so that ASan sees any read past the end. */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	switch (http_parse_request(copy, size, 16384, &req)) {
	case HTTP_DONE:
		if (req.body < copy || req.body + req.body_len > copy + size ||
		    req.head_len > size || strlen(req.path) >= sizeof(req.path))
			abort();
		break;
	case HTTP_BAD:
	case HTTP_TOO_LARGE:
	case HTTP_LENGTH_NEEDED:
		if (req.why[0] == '\0')
			abort();
		break;
	case HTTP_NEED_MORE:
		break;
	}
	if (pem_decode(copy, size, labels, out, sizeof(out), &outlen) == 0 &&
	    outlen > sizeof(out))
		abort();
	free(copy);
	return 0;
}
