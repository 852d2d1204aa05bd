/*
 * cert_info.h - the facts the registry and the revoked list keep about a
 * certificate, read from its DER with NSS (no database needed).
 */
#ifndef QNETD_ENROLL_CERT_INFO_H
#define QNETD_ENROLL_CERT_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "enroll/digest.h"

#define CERT_SERIAL_HEX_MAX 42

struct cert_info {
	char serial[CERT_SERIAL_HEX_MAX];              /* lowercase hex, see digest_serial_hex() */
	char sha256[DIGEST_SHA256_HEX_LEN + 1];        /* of the whole certificate DER */
	char issuer_sha256[DIGEST_SHA256_HEX_LEN + 1]; /* of the issuer Name DER */
	int64_t not_before;                            /* Unix seconds */
	int64_t not_after;
};

/* Decodes der and fills info.  0, or -1 when it is not a certificate NSS can read. */
int cert_info_from_der(const uint8_t *der, size_t len, struct cert_info *info);

#endif
