/*
 * tls_cert.h - what the daemon knows about certificates beyond NSS's own
 * check: the revoked list it enforces itself (NSS opens the database
 * read-only and would not see a CRL another process adds), the identity
 * of a peer certificate (issuer hash, serial, SHA-256, not-after) and the
 * not-after of the CA and of the server certificate (docs/admin.md
 * "Revocation", "Expiry").
 */
#ifndef QNETD_TLS_CERT_H
#define QNETD_TLS_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <prio.h>

#include "enroll/revoked.h"

struct CERTCertificateStr;

/* Serial numbers longer than this are shown cut (RFC 5280 allows 20 bytes). */
#define TLS_CERT_SERIAL_MAX 64

struct tls_cert_facts {
	uint8_t issuer_sha256[32];           /* SHA-256 of the DER issuer Name */
	uint8_t serial[TLS_CERT_SERIAL_MAX]; /* DER INTEGER content, leading zeros stripped */
	size_t serial_len;                   /* 0: serial zero */
	int serial_cut;                      /* longer than TLS_CERT_SERIAL_MAX: not kept */
	char serial_hex[2 * TLS_CERT_SERIAL_MAX + 2]; /* as the revoked file writes it */
	char sha256_hex[65];                          /* SHA-256 of the certificate's DER */
	time_t not_after;
};

/* Identity of cert.  0, or -1 when NSS cannot hash or parse it. */
int tls_cert_facts_of(struct CERTCertificateStr *cert, struct tls_cert_facts *out);

/* Identity of the peer certificate of ssl.  0, or -1 when there is none. */
int tls_peer_facts(PRFileDesc *ssl, struct tls_cert_facts *out);

/*
 * Use list (ownership taken; NULL: nothing revoked) from now on; the old
 * one is freed.  Safe against concurrent readers.
 */
void tls_cert_set_revoked(struct revoked_list *list);

/*
 * 1 when the revoked list names f's (issuer, serial), with the cluster
 * name it gives copied to cluster; 0 when it is not revoked.  Safe from
 * any thread.
 */
int tls_cert_revoked(const struct tls_cert_facts *f, char *cluster, size_t len);

/*
 * The handshake hook's check of a client certificate on ssl: 0 when cert
 * is not revoked; -1 when it is, after remembering (per thread) serial and
 * listed cluster for tls_cert_take_refusal().
 */
int tls_cert_check_handshake(PRFileDesc *ssl, struct CERTCertificateStr *cert);

/*
 * After a handshake on ssl failed: 1 when it failed because the client
 * certificate is revoked (serial and listed cluster copied out), else 0.
 * Forgets the record either way.
 */
int tls_cert_take_refusal(PRFileDesc *ssl, char *serial, size_t serial_len, char *cluster,
    size_t cluster_len);

/*
 * A new connection got ssl: a refusal remembered for an earlier socket at
 * the same address (never taken) must not be mistaken for its own.
 */
void tls_cert_forget_refusal(PRFileDesc *ssl);

/* Remember / tell the not-after of the CA that issued server and of server itself. */
void tls_cert_note_server(struct CERTCertificateStr *server);
time_t tls_cert_ca_not_after(void);     /* 0: unknown (no TLS, CA not in the db) */
time_t tls_cert_server_not_after(void); /* 0: unknown (no TLS) */

/* Free the revoked list (shutdown). */
void tls_cert_fini(void);

#endif
