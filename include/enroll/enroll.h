/*
 * enroll.h - the enrollment library: checks a one-time token and a
 * certificate request, then signs the request with the fixed profile
 * (subject exactly CN=<the token's cluster>, no requested extension
 * copied, RSA >= 2048 or ECDSA P-256 only) and records the certificate.
 *
 * The contract between the certificate tool side (enroll-ca) and the
 * enrollment service (enroll-service); the files it reads and writes are
 * described in docs/admin.md.
 */
#ifndef QNETD_ENROLL_H
#define QNETD_ENROLL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum enroll_result {
	ENROLL_OK,
	ENROLL_BAD_TOKEN /* malformed, unknown id or wrong secret */,
	ENROLL_TOKEN_EXPIRED,
	ENROLL_TOKEN_WITHDRAWN,
	ENROLL_TOKEN_USED /* already used with another key */,
	ENROLL_WRONG_CLUSTER /* request subject is not CN=<token's cluster> */,
	ENROLL_BAD_REQUEST /* not a parseable, self-signed PKCS#10 request */,
	ENROLL_WEAK_KEY /* not RSA >= 2048 nor ECDSA P-256 */,
	ENROLL_INTERNAL /* I/O, NSS, lock: nothing was changed */
};

struct enroll_ctx {
	const char *nssdb_dir;
	const char *state_dir;
	const char *ca_nickname;
	time_t now;
};

/*
 * Caller has initialised NSS read-write on nssdb_dir.  On ENROLL_OK
 * *cert_der (caller frees with free()) is the signed certificate (or the
 * same certificate again when the same token comes back with the same key
 * within its expiry); cluster-NAME.crt, registry and tokens are updated
 * under the lock.  On every other result nothing on disk changed and
 * reason holds a short human-readable text for the log and the HTTP body.
 */
enum enroll_result enroll_process(const struct enroll_ctx *ctx, const char *token_text,
    const uint8_t *csr_der, size_t csr_len, uint8_t **cert_der, size_t *cert_len, char *reason,
    size_t reason_len);

/* A short fixed name for r ("ok", "bad token", ...); never NULL. */
const char *enroll_result_str(enum enroll_result r);

#endif
