/*
 * svc_tls.c - NSS for the enrollment service (see svc_tls.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <nssb64.h>
#include <pk11pub.h>
#include <prerror.h>
#include <private/pprio.h>
#include <ssl.h>
#include <sslproto.h>

#include "base/log.h"
#include "enroll/pem.h"
#include "net/tls.h"
#include "svc_tls.h"

static struct {
	CERTCertificate *server_cert;
	SECKEYPrivateKey *server_key;
	PRFileDesc *model;
	char *ca_pem;
	int nss_up;
} st;

static void
hex_of(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* Log what issuing a token prints too, so an admin can check it. */
static void
log_pins(const CERTCertificate *ca)
{
	unsigned char h[32];
	char hex[65], *b64;
	SECKEYPublicKey *pub;
	SECItem *spki;

	if (PK11_HashBuf(SEC_OID_SHA256, h, ca->derCert.data, (PRInt32)ca->derCert.len) ==
	    SECSuccess) {
		hex_of(h, sizeof(h), hex);
		log_msg(LOG_INFO, "CA certificate SHA-256: %s", hex);
	}
	pub = CERT_ExtractPublicKey(st.server_cert);
	if (pub == NULL)
		return;
	spki = SECKEY_EncodeDERSubjectPublicKeyInfo(pub);
	SECKEY_DestroyPublicKey(pub);
	if (spki == NULL)
		return;
	if (PK11_HashBuf(SEC_OID_SHA256, h, spki->data, (PRInt32)spki->len) == SECSuccess) {
		SECItem it = { siBuffer, h, sizeof(h) };

		b64 = NSSBase64_EncodeItem(NULL, NULL, 0, &it);
		if (b64 != NULL) {
			log_msg(LOG_INFO, "Server key pin (curl --pinnedpubkey): sha256//%s", b64);
			PORT_Free(b64);
		}
	}
	SECITEM_FreeItem(spki, PR_TRUE);
}

static int
build_model(void)
{
	PRFileDesc *tcp = PR_NewTCPSocket();
	SSLVersionRange vr = { SSL_LIBRARY_VERSION_TLS_1_2, SSL_LIBRARY_VERSION_TLS_1_3 };

	if (tcp == NULL)
		return (-1);
	st.model = SSL_ImportFD(NULL, tcp);
	if (st.model == NULL) {
		PR_Close(tcp);
		return (-1);
	}
	if (SSL_ConfigServerCert(st.model, st.server_cert, st.server_key, NULL, 0) != SECSuccess ||
	    SSL_OptionSet(st.model, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(st.model, SSL_NO_CACHE, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(st.model, SSL_HANDSHAKE_AS_CLIENT, PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(st.model, SSL_HANDSHAKE_AS_SERVER, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(st.model, SSL_REQUEST_CERTIFICATE, PR_FALSE) != SECSuccess ||
	    SSL_VersionRangeSet(st.model, &vr) != SECSuccess)
		return (-1);
	return (0);
}

static int
load_certs(const char *db_dir, const char *server_nick, const char *ca_nick)
{
	CERTCertificate *ca;

	st.server_cert = PK11_FindCertFromNickname(server_nick, NULL);
	if (st.server_cert == NULL) {
		log_msg(LOG_CRIT, "Can't find server certificate '%s' in %s: %s", server_nick,
		    db_dir, tls_last_error());
		return (-1);
	}
	st.server_key = PK11_FindKeyByAnyCert(st.server_cert, NULL);
	if (st.server_key == NULL) {
		log_msg(LOG_CRIT, "Can't find the private key of '%s': %s", server_nick,
		    tls_last_error());
		return (-1);
	}
	ca = PK11_FindCertFromNickname(ca_nick, NULL);
	if (ca == NULL) {
		log_msg(LOG_CRIT, "Can't find the CA certificate '%s' in %s: %s", ca_nick, db_dir,
		    tls_last_error());
		return (-1);
	}
	st.ca_pem = pem_encode("CERTIFICATE", ca->derCert.data, ca->derCert.len);
	log_pins(ca);
	CERT_DestroyCertificate(ca);
	if (st.ca_pem == NULL) {
		log_msg(LOG_CRIT, "Out of memory");
		return (-1);
	}
	return (0);
}

int
svc_tls_init(const char *db_dir, const char *server_nick, const char *ca_nick)
{
	/* Read-write: the signing library records what it signs through NSS. */
	if (NSS_Initialize(db_dir, "", "", "secmod.db", 0) != SECSuccess) {
		log_msg(LOG_CRIT, "Can't open the NSS database %s read-write: %s", db_dir,
		    tls_last_error());
		return (-1);
	}
	st.nss_up = 1;
	if (NSS_SetDomesticPolicy() != SECSuccess ||
	    SSL_ConfigServerSessionIDCache(0, 0, 0, NULL) != SECSuccess) {
		log_msg(LOG_CRIT, "NSS error: %s", tls_last_error());
		return (-1);
	}
	if (load_certs(db_dir, server_nick, ca_nick) != 0)
		return (-1);
	if (build_model() != 0) {
		log_msg(LOG_CRIT, "Can't configure the TLS server: %s", tls_last_error());
		return (-1);
	}
	return (0);
}

void
svc_tls_fini(void)
{
	if (st.model != NULL)
		PR_Close(st.model);
	if (st.server_key != NULL)
		SECKEY_DestroyPrivateKey(st.server_key);
	if (st.server_cert != NULL)
		CERT_DestroyCertificate(st.server_cert);
	free(st.ca_pem);
	if (st.nss_up) {
		SSL_ShutdownServerSessionIDCache();
		NSS_Shutdown();
	}
	memset(&st, 0, sizeof(st));
}

const char *
svc_tls_ca_pem(size_t *len)
{
	*len = st.ca_pem != NULL ? strlen(st.ca_pem) : 0;
	return (st.ca_pem);
}

PRFileDesc *
svc_tls_wrap(int fd)
{
	PRFileDesc *prfd, *ssl;
	PRSocketOptionData opt = { .option = PR_SockOpt_Nonblocking,
		.value.non_blocking = PR_TRUE };

	prfd = PR_ImportTCPSocket(fd);
	if (prfd == NULL)
		return (NULL);
	if (PR_SetSocketOption(prfd, &opt) != PR_SUCCESS)
		goto fail;
	ssl = SSL_ImportFD(st.model, prfd);
	if (ssl == NULL)
		goto fail;
	if (SSL_ResetHandshake(ssl, PR_TRUE) != SECSuccess) {
		PR_ChangeFileDescNativeHandle(prfd, -1);
		PR_Close(ssl);
		return (NULL);
	}
	return (ssl);
fail:
	/* Detach fd before closing the wrapper: it stays the caller's. */
	PR_ChangeFileDescNativeHandle(prfd, -1);
	PR_Close(prfd);
	return (NULL);
}
