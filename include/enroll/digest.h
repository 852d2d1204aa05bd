/*
 * digest.h - SHA-256 and the text forms the enrollment files use: hex,
 * base64url, and serial numbers as lowercase hex.  Needs NSS initialised
 * (NSS_NoDB_Init is enough).
 */
#ifndef QNETD_ENROLL_DIGEST_H
#define QNETD_ENROLL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_SHA256_LEN 32
#define DIGEST_SHA256_HEX_LEN 64

/* SHA-256 of data into out.  0, or -1 when NSS fails. */
int digest_sha256(const void *data, size_t len, uint8_t out[DIGEST_SHA256_LEN]);

/* SHA-256 of data as 64 lowercase hex digits and a NUL.  0 or -1. */
int digest_sha256_hex(const void *data, size_t len, char out[DIGEST_SHA256_HEX_LEN + 1]);

/* len bytes as lowercase hex into out (room for 2 * len + 1). */
void digest_hex(const uint8_t *data, size_t len, char *out);

/*
 * A DER INTEGER's content bytes as the files write serial numbers:
 * lowercase hex, leading zero bytes stripped, "0" for zero.  out needs
 * room for 2 * len + 2.  0, or -1 when len is 0 or above 20 (RFC 5280's
 * longest serial).
 */
int digest_serial_hex(const uint8_t *data, size_t len, char *out);

/* base64url without padding of len bytes; out needs 4 * len / 3 + 4. */
void digest_b64url(const uint8_t *data, size_t len, char *out);

/* Standard base64 with padding (curl's sha256// pin); out needs 4 * ((len + 2) / 3) + 1. */
void digest_b64(const uint8_t *data, size_t len, char *out);

/*
 * Decodes exactly out_len bytes of unpadded base64url from text (which
 * must be exactly the matching length).  0, or -1 on any bad character
 * or length.
 */
int digest_b64url_decode(const char *text, size_t text_len, uint8_t *out, size_t out_len);

/* 1 when a and b (n bytes each) are equal; time does not depend on where they differ. */
int digest_equal_ct(const void *a, const void *b, size_t n);

#endif
