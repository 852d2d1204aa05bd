/*
 * bench_tls.c - the client side of STARTTLS with NSS, as corosync-qdevice
 * does it: SSL_ImportFD on the connected socket, SSL_SetURL with the
 * expected server name ("Qnetd Server"), a client certificate from the
 * NSS database, and the server certificate checked against the CA.
 *
 * No session cache: every simulated node does a full handshake, as a
 * freshly started qdevice process would.  The client certificate and key
 * are looked up once and handed out as copies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cert.h>
#include <keyhi.h>
#include <nspr.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <private/pprio.h>
#include <secerr.h>
#include <secitem.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslproto.h>

#include "bench.h"

static CERTCertificate *client_cert;
static SECItem verified_der;	/* the server certificate NSS already verified */
static SECKEYPrivateKey *client_key;
static unsigned tls_errors_shown;

static SECStatus
client_auth_cb(void *arg, PRFileDesc *fd, CERTDistNames *ca_names,
    CERTCertificate **ret_cert, SECKEYPrivateKey **ret_key)
{
	(void)arg;
	(void)fd;
	(void)ca_names;
	*ret_cert = CERT_DupCertificate(client_cert);
	*ret_key = SECKEY_CopyPrivateKey(client_key);
	if (*ret_cert == NULL || *ret_key == NULL)
		return SECFailure;
	return SECSuccess;
}

/*
 * The first handshake checks the server certificate the full NSS way
 * (chain to the CA, name "Qnetd Server"); later ones accept the very same
 * certificate without walking the database again.  What the daemon does
 * per handshake is unchanged; the generator just stops paying SQLite
 * lookups for a check it has already made.
 */
static SECStatus
auth_cert_cb(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
	CERTCertificate *peer;
	SECStatus rv = SECFailure;

	(void)arg;
	peer = SSL_PeerCertificate(fd);
	if (peer == NULL)
		return SECFailure;
	if (verified_der.data != NULL && SECITEM_ItemsAreEqual(&peer->derCert, &verified_der)) {
		rv = SECSuccess;
		goto out;
	}
	rv = SSL_AuthCertificate(CERT_GetDefaultCertDB(), fd, check_sig, is_server);
	if (rv == SECSuccess && verified_der.data == NULL)
		(void)SECITEM_CopyItem(NULL, &verified_der, &peer->derCert);
out:
	CERT_DestroyCertificate(peer);
	return rv;
}

static void
show_nss_error(const char *what)
{
	PRErrorCode e = PR_GetError();

	/* The first few only: a failing run should not flood the terminal. */
	if (tls_errors_shown++ < 5)
		fprintf(stderr, "qnetd-bench: %s: NSS error %d (%s)\n", what, (int)e,
		    PR_ErrorToName(e) != NULL ? PR_ErrorToName(e) : "?");
}

static int
model_setup(struct bench *b)
{
	PRFileDesc *tcp;

	tcp = PR_NewTCPSocket();
	if (tcp == NULL)
		return -1;
	b->model = SSL_ImportFD(NULL, tcp);
	if (b->model == NULL) {
		PR_Close(tcp);
		return -1;
	}
	if (SSL_OptionSet(b->model, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(b->model, SSL_HANDSHAKE_AS_CLIENT, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(b->model, SSL_HANDSHAKE_AS_SERVER, PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(b->model, SSL_NO_CACHE, PR_TRUE) != SECSuccess ||
	    SSL_GetClientAuthDataHook(b->model, client_auth_cb, NULL) != SECSuccess ||
	    SSL_AuthCertificateHook(b->model, auth_cert_cb, NULL) != SECSuccess)
		return -1;
	return 0;
}

int
bench_tls_init(struct bench *b)
{
	/*
	 * Not NSS_Init(): its "optimize space" softoken keeps 32 hash buckets
	 * for sessions and objects, and with thousands of live connections in
	 * one process every handshake and record walks long chains; the
	 * generator would measure itself (23 ms of CPU per handshake at 4,000
	 * live connections instead of ~5).  A real qdevice holds one.
	 */
	if (NSS_Initialize(b->o.nss_db, "", "", "secmod.db", NSS_INIT_READONLY) != SECSuccess) {
		show_nss_error("NSS_Initialize");
		return -1;
	}
	if (NSS_SetDomesticPolicy() != SECSuccess) {
		show_nss_error("NSS_SetDomesticPolicy");
		return -1;
	}
	client_cert = PK11_FindCertFromNickname(b->o.cert_nick, NULL);
	if (client_cert == NULL) {
		fprintf(stderr, "qnetd-bench: no certificate \"%s\" in %s\n", b->o.cert_nick,
		    b->o.nss_db);
		return -1;
	}
	client_key = PK11_FindKeyByAnyCert(client_cert, NULL);
	if (client_key == NULL) {
		fprintf(stderr, "qnetd-bench: no private key for \"%s\"\n", b->o.cert_nick);
		return -1;
	}
	if (model_setup(b) < 0) {
		show_nss_error("SSL model socket");
		return -1;
	}
	return 0;
}

void
bench_tls_fini(struct bench *b)
{
	if (b->model != NULL)
		PR_Close(b->model);
	b->model = NULL;
	if (client_key != NULL)
		SECKEY_DestroyPrivateKey(client_key);
	if (client_cert != NULL)
		CERT_DestroyCertificate(client_cert);
	client_key = NULL;
	client_cert = NULL;
	SECITEM_FreeItem(&verified_der, PR_FALSE);
	(void)NSS_Shutdown();
}

int
bench_tls_start(struct bench *b, struct conn *c)
{
	PRSocketOptionData opt;
	PRFileDesc *tcp, *ssl;

	tcp = PR_ImportTCPSocket(c->fd);
	if (tcp == NULL) {
		show_nss_error("PR_ImportTCPSocket");
		return -1;
	}
	opt.option = PR_SockOpt_Nonblocking;
	opt.value.non_blocking = PR_TRUE;
	if (PR_SetSocketOption(tcp, &opt) != PR_SUCCESS) {
		PR_Close(tcp);
		c->fd = -1;
		return -1;
	}
	ssl = SSL_ImportFD(b->model, tcp);
	if (ssl == NULL) {
		show_nss_error("SSL_ImportFD");
		PR_Close(tcp);
		c->fd = -1;
		return -1;
	}
	c->ssl = ssl;
	if (SSL_SetURL(ssl, b->o.server_name) != SECSuccess ||
	    SSL_GetClientAuthDataHook(ssl, client_auth_cb, NULL) != SECSuccess ||
	    SSL_AuthCertificateHook(ssl, auth_cert_cb, NULL) != SECSuccess ||
	    SSL_ResetHandshake(ssl, PR_FALSE) != SECSuccess) {
		show_nss_error("SSL setup");
		return -1;
	}
	return 0;
}

int
bench_tls_handshake(struct conn *c)
{
	if (SSL_ForceHandshake(c->ssl) == SECSuccess)
		return 1;
	if (PR_GetError() == PR_WOULD_BLOCK_ERROR)
		return 0;
	show_nss_error("TLS handshake");
	return -1;
}

ssize_t
bench_tls_read(struct conn *c, void *buf, size_t len)
{
	PRInt32 n;

	n = PR_Read(c->ssl, buf, len > 0x7fffffff ? 0x7fffffff : (PRInt32)len);
	if (n >= 0)
		return n;
	if (PR_GetError() == PR_WOULD_BLOCK_ERROR) {
		errno = EAGAIN;
		return -1;
	}
	show_nss_error("TLS read");
	errno = EIO;
	return -1;
}

ssize_t
bench_tls_write(struct conn *c, const void *buf, size_t len)
{
	PRInt32 n;

	n = PR_Write(c->ssl, buf, len > 0x7fffffff ? 0x7fffffff : (PRInt32)len);
	if (n >= 0)
		return n;
	if (PR_GetError() == PR_WOULD_BLOCK_ERROR) {
		errno = EAGAIN;
		return -1;
	}
	show_nss_error("TLS write");
	errno = EIO;
	return -1;
}

void
bench_tls_close(struct conn *c)
{
	/* Closes the socket underneath as well. */
	PR_Close(c->ssl);
	c->ssl = NULL;
}
