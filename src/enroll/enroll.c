/*
 * enroll.c - enroll_process(): token check, request check, signing with
 * the fixed profile and bookkeeping, all under the CA lock.
 */
#include <stdio.h>

#include "enroll/enroll.h"

static const char *const result_names[] = {
	[ENROLL_OK] = "ok",
	[ENROLL_BAD_TOKEN] = "bad token",
	[ENROLL_TOKEN_EXPIRED] = "token expired",
	[ENROLL_TOKEN_WITHDRAWN] = "token withdrawn",
	[ENROLL_TOKEN_USED] = "token already used with another key",
	[ENROLL_WRONG_CLUSTER] = "request is for another cluster",
	[ENROLL_BAD_REQUEST] = "bad certificate request",
	[ENROLL_WEAK_KEY] = "weak or unsupported key",
	[ENROLL_INTERNAL] = "internal error",
};

const char *
enroll_result_str(enum enroll_result r)
{
	if ((unsigned)r >= sizeof(result_names) / sizeof(result_names[0]))
		return ("unknown");
	return (result_names[r]);
}

/* Skeleton: the real implementation follows in the next commits. */
enum enroll_result
enroll_process(const struct enroll_ctx *ctx, const char *token_text, const uint8_t *csr_der,
    size_t csr_len, uint8_t **cert_der, size_t *cert_len, char *reason, size_t reason_len)
{
	(void)ctx;
	(void)token_text;
	(void)csr_der;
	(void)csr_len;
	*cert_der = NULL;
	*cert_len = 0;
	snprintf(reason, reason_len, "enrollment not implemented yet");
	return (ENROLL_INTERNAL);
}
