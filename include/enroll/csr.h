/*
 * csr.h - checks on a PKCS#10 certificate request before the CA signs
 * it: parseable, self-signed (its signature verifies with its own key),
 * a key the fixed profile accepts (RSA >= 2048 bits or ECDSA P-256), and
 * a subject that is exactly CN=<cluster>.  Needs NSS initialised.
 */
#ifndef QNETD_ENROLL_CSR_H
#define QNETD_ENROLL_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <cert.h>

#include "enroll/digest.h"

#define CSR_MAX_DER 16384
#define CSR_RSA_MIN_BITS 2048
#define CSR_RSA_MAX_BITS 16384

enum csr_result {
	CSR_OK,
	CSR_BAD /* not a parseable, self-signed PKCS#10 request */,
	CSR_WEAK_KEY /* not RSA >= 2048 nor ECDSA P-256 */,
};

struct csr {
	PLArenaPool *arena;
	CERTCertificateRequest *req; /* in arena */
	char spki_sha256[DIGEST_SHA256_HEX_LEN + 1];
};

/*
 * Decodes der (DER, or PEM "CERTIFICATE REQUEST" / "NEW CERTIFICATE
 * REQUEST"), verifies its self-signature and its key.  On CSR_OK out holds
 * the request (release with csr_free()); otherwise reason says why and
 * out needs no release.
 */
enum csr_result csr_parse(const uint8_t *data, size_t len, struct csr *out, char *reason,
    size_t reason_len);

/* 1 when the request's subject is exactly one CN whose value is cluster, else 0. */
int csr_subject_is(const struct csr *c, const char *cluster);

/* The request's subject as text (for messages), into buf. */
void csr_subject_text(const struct csr *c, char *buf, size_t size);

void csr_free(struct csr *c);

#endif
