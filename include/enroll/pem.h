/*
 * pem.h - PEM armour (RFC 7468) for the enrollment service: certificate
 * requests come in as PEM or DER, certificates go out as PEM.  Pure.
 */
#ifndef QNETD_ENROLL_PEM_H
#define QNETD_ENROLL_PEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Find the first "-----BEGIN <label>-----" block in in[0..len) whose
 * label is one of labels (NULL-terminated list) and decode its base64
 * body into out (at most outcap bytes).  Text before and after the block
 * is ignored, as certutil and openssl do.  0 with *outlen set, or -1
 * (no such block, bad base64, or more than outcap bytes).
 */
int pem_decode(const uint8_t *in, size_t len, const char *const *labels, uint8_t *out,
    size_t outcap, size_t *outlen);

/*
 * "-----BEGIN <label>-----\n", der in base64 lines of 64, "-----END
 * <label>-----\n".  A NUL-terminated string the caller frees with free(),
 * or NULL when out of memory.
 */
char *pem_encode(const char *label, const uint8_t *der, size_t len);

#endif
