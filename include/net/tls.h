/*
 * tls.h - NSS set-up for the server side and the per-connection TLS
 * operations the transport needs.  Callers never see NSS error codes
 * except as text.
 */
#ifndef QNETD_TLS_H
#define QNETD_TLS_H

#include <stddef.h>

#include <prio.h>

#include "base/settings.h"

/*
 * Initialise NSS (with the db when TLS is on, without otherwise), the
 * export policy and the server session cache; when TLS is on, load the
 * server certificate and key by nickname and prepare a model socket that
 * every connection copies.  0, or -1 after logging why.
 */
int tls_init(const struct qnetd_settings *s);
void tls_fini(void);

/* 1 when a server certificate is loaded (STARTTLS possible). */
int tls_available(void);

/*
 * Wrap connected socket fd as a non-blocking TLS server socket in the
 * handshake state.  On success the returned descriptor owns fd (PR_Close
 * closes it).  NULL on failure; fd is then still the caller's.
 */
PRFileDesc *tls_wrap_server(int fd);

/*
 * Check the peer certificate of a finished handshake against the cluster
 * name (NSS hostname rules on SAN/CN).  0 when it matches; -1 with the
 * reason in why.
 */
int tls_check_peer_name(PRFileDesc *ssl, const char *cluster_name, char *why, size_t whylen);

/* "<NSS error name> (<number>): <text>" for the last NSS/NSPR error. */
const char *tls_last_error(void);

/* 1 if the last NSS/NSPR error means "try again later". */
int tls_would_block(void);

/* ---- additions (docs/compat.md "Additions") ---- */

/* NSS name of the last error ("SSL_ERROR_BAD_CERT_ALERT"), never NULL. */
const char *tls_last_error_name(void);

/*
 * Load the server certificate and key again (by nickname, from the db
 * already open) and build a new model socket for new handshakes;
 * connections already wrapped keep what they were built with.  0, or -1
 * after logging why (the old certificate stays in use).  A no-op without
 * TLS.
 */
int tls_reload(const struct qnetd_settings *s);

/* "CN=..., serial ..., RSA 2048-bit key, valid until ..." of the server certificate in use. */
void tls_server_cert_describe(char *buf, size_t len);

/*
 * Protocol ("TLS1.3") and cipher suite name of a connection whose
 * handshake finished.  0, or -1 when NSS cannot tell.
 */
int tls_channel_info(PRFileDesc *ssl, char *proto, size_t protolen, char *cipher, size_t cipherlen);

/* SHA-256 of the peer certificate (DER).  0, or -1 when there is none. */
int tls_peer_fingerprint(PRFileDesc *ssl, unsigned char fp[32]);

#endif
