/*
 * svc_tls.h - NSS for the enrollment service: the arbiter's database
 * opened read-write (the signing library writes through it), the server
 * certificate and key that terminate TLS, and the CA certificate that
 * GET /v1/ca.crt serves.  Errors are logged here.
 */
#ifndef QNETD_ENROLLD_SVC_TLS_H
#define QNETD_ENROLLD_SVC_TLS_H

#include <stddef.h>

#include <prio.h>

/*
 * Open db_dir read-write, load server_nick's certificate and key and
 * ca_nick's certificate, build the model socket.  Logs the pins a node
 * needs (SHA-256 of the CA certificate, curl --pinnedpubkey of the
 * server key).  0, or -1 after logging why.
 */
int svc_tls_init(const char *db_dir, const char *server_nick, const char *ca_nick);
void svc_tls_fini(void);

/* The CA certificate in PEM (owned here, valid until svc_tls_fini). */
const char *svc_tls_ca_pem(size_t *len);

/*
 * Wrap the accepted, non-blocking socket fd as a TLS server socket.  The
 * result owns fd.  NULL on failure (fd is still the caller's).
 */
PRFileDesc *svc_tls_wrap(int fd);

#endif
