/*
 * ca_sign.h - signing with the fixed profile: X.509 v3, the given
 * serial, issuer the CA's subject, valid from now for 1200 months (as
 * corosync-qnetd-certutil -s always did), subject exactly CN=<cluster>,
 * the request's public key, SHA-256 signature, and no extension at all:
 * nothing the request asks for is copied.  Needs NSS initialised on the
 * CA's database.
 */
#ifndef QNETD_ENROLL_CA_SIGN_H
#define QNETD_ENROLL_CA_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "enroll/csr.h"

#define CA_SIGN_VALIDITY_MONTHS 1200
#define CA_NICKNAME_DEFAULT "QNet CA"

/*
 * Signs the key of req for cluster.  0 with *der (caller frees with
 * free()) and *len; -1 with reason (CA certificate or key not found, NSS
 * failure).
 */
int ca_sign(const char *ca_nickname, const struct csr *req, const char *cluster,
    unsigned long serial, time_t now, uint8_t **der, size_t *len, char *reason, size_t reason_len);

#endif
