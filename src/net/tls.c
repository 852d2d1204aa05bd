/*
 * tls.c - NSS: database, server certificate, model socket, peer checks.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cert.h>
#include <certdb.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <private/pprio.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslproto.h>

#include "base/log.h"
#include "net/tls.h"
#include "net/tls_cert.h"

static CERTCertificate *server_cert;
static PRFileDesc *new_model(const struct qnetd_settings *s, CERTCertificate *cert,
    SECKEYPrivateKey *key);
static int configure_model(PRFileDesc *m, const struct qnetd_settings *s, CERTCertificate *cert,
    SECKEYPrivateKey *key);
static SECKEYPrivateKey *server_key;
static PRFileDesc *model;
static int nss_up;
/*
 * The database's CA certificates, referenced for the daemon's lifetime.
 * An unreferenced certificate leaves NSS's cache, and the next chain
 * check rebuilds it with a trust search and a private-key search, each
 * walking every live connection's keys in the softoken.
 */
static CERTCertList *held_cas;

static void
hold_cas(void)
{
	CERTCertList *fresh = PK11_ListCerts(PK11CertListCA, NULL);

	/* Listing first, releasing after: the old entries stay cached meanwhile. */
	if (held_cas != NULL)
		CERT_DestroyCertList(held_cas);
	held_cas = fresh;
}

const char *
tls_last_error(void)
{
	static char buf[256];
	PRErrorCode err = PR_GetError();
	const char *name = PR_ErrorToName(err);
	const char *text = PR_ErrorToString(err, PR_LANGUAGE_I_DEFAULT);

	snprintf(buf, sizeof(buf), "%s (%d): %s", name ? name : "unknown", (int)err,
	    text ? text : "");
	return (buf);
}

int
tls_would_block(void)
{
	return (PR_GetError() == PR_WOULD_BLOCK_ERROR);
}

int
tls_available(void)
{
	return (model != NULL);
}

static int
build_model(const struct qnetd_settings *s)
{
	model = new_model(s, server_cert, server_key);
	return (model != NULL ? 0 : -1);
}

/* A model socket serving cert/key (both kept by the caller).  NULL on failure. */
static PRFileDesc *
new_model(const struct qnetd_settings *s, CERTCertificate *cert, SECKEYPrivateKey *key)
{
	PRFileDesc *tcp = PR_NewTCPSocket(), *m;

	if (tcp == NULL)
		return (NULL);
	m = SSL_ImportFD(NULL, tcp);
	if (m == NULL) {
		PR_Close(tcp);
		return (NULL);
	}
	if (configure_model(m, s, cert, key) != 0) {
		PR_Close(m);
		return (NULL);
	}
	return (m);
}

/*
 * The client certificate is a temporary certificate (not in our
 * database), and NSS looks for its trust object in every token each time
 * it meets the certificate again without one: at every handshake of
 * every node of the cluster, and during the chain check.  A token search
 * walks every live session object, i.e. the keys of every open TLS
 * connection.  A trust record without trust ("verify the chain", the
 * meaning of no record at all) answers those lookups from memory for as
 * long as the certificate is in use.  Then NSS's own check runs.
 */
static SECStatus
auth_cert_cb(void *arg, PRFileDesc *fd, PRBool check_sig, PRBool is_server)
{
	CERTCertificate *peer = SSL_PeerCertificate(fd);
	CERTCertTrust trust;

	(void)arg;
	if (peer != NULL) {
		/* Our own list first: NSS never sees a CRL added after start. */
		if (tls_cert_check_handshake(fd, peer) != 0) {
			CERT_DestroyCertificate(peer);
			return (SECFailure);
		}
		if (!peer->isperm && CERT_GetCertTrust(peer, &trust) != SECSuccess) {
			/*
			 * All-zero trust equals what NSS computes when the tokens
			 * have none, and NSS then keeps nothing; "w" (send warning)
			 * is a legacy flag no verification reads, so the record
			 * stays while meaning the same.  In memory only: the
			 * certificate has no token instance to write to.
			 */
			memset(&trust, 0, sizeof(trust));
			trust.sslFlags = CERTDB_SEND_WARN;
			(void)CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), peer, &trust);
		}
		CERT_DestroyCertificate(peer);
	}
	return (SSL_AuthCertificate(CERT_GetDefaultCertDB(), fd, check_sig, is_server));
}

static int
configure_model(PRFileDesc *m, const struct qnetd_settings *s, CERTCertificate *cert,
    SECKEYPrivateKey *key)
{
	if (SSL_ConfigServerCert(m, cert, key, NULL, 0) != SECSuccess ||
	    SSL_AuthCertificateHook(m, auth_cert_cb, NULL) != SECSuccess ||
	    SSL_OptionSet(m, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    /* qdevice never resumes a session: skip the cache and the tickets */
	    SSL_OptionSet(m, SSL_NO_CACHE, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_HANDSHAKE_AS_CLIENT, PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_HANDSHAKE_AS_SERVER, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_REQUEST_CERTIFICATE,
	        s->tls_client_cert_required ? PR_TRUE : PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(m, SSL_REQUIRE_CERTIFICATE,
	        s->tls_client_cert_required ? SSL_REQUIRE_ALWAYS : SSL_REQUIRE_NEVER) != SECSuccess)
		return (-1);
	return (0);
}

int
tls_init(const struct qnetd_settings *s)
{
	SECStatus rv;

	/*
	 * NSS_Init() asks the softoken to "optimize space": 32 hash buckets
	 * for sessions and session objects behind one lock.  Every live TLS
	 * connection keeps several of both, so lookups walk chains that grow
	 * with the client count (what makes upstream's handshake rate fall
	 * from 135/s to 3/s).  Without that flag the tables have 1024 buckets
	 * and many locks.
	 */
	if (s->tls != TLV_TLS_UNSUPPORTED)
		rv = NSS_Initialize(s->nss_db_dir, "", "", "secmod.db", NSS_INIT_READONLY);
	else
		rv = NSS_NoDB_Init(NULL);
	if (rv != SECSuccess) {
		log_msg(LOG_CRIT, "NSS error: can't initialize NSS with database %s: %s",
		    s->nss_db_dir, tls_last_error());
		return (-1);
	}
	nss_up = 1;
	/*
	 * libpkix instead of the legacy chain builder.  The legacy one looks
	 * the issuer up in every token at every handshake, and the softoken
	 * answers a token search by walking every live session object, i.e.
	 * the keys of every TLS connection: the handshake cost grew with the
	 * client count.  libpkix caches certificate-store lookups by subject.
	 */
	CERT_SetUsePKIXForValidation(PR_TRUE);
	if (NSS_SetDomesticPolicy() != SECSuccess ||
	    SSL_ConfigServerSessionIDCache(0, 0, 0, NULL) != SECSuccess) {
		log_msg(LOG_CRIT, "NSS error: %s", tls_last_error());
		return (-1);
	}
	if (s->tls == TLV_TLS_UNSUPPORTED)
		return (0);
	server_cert = PK11_FindCertFromNickname(s->cert_nickname, NULL);
	if (server_cert == NULL) {
		log_msg(LOG_CRIT,
		    "NSS error: can't find server certificate '%s' in %s: %s "
		    "(create it with corosync-qnetd-certutil -i)",
		    s->cert_nickname, s->nss_db_dir, tls_last_error());
		return (-1);
	}
	server_key = PK11_FindKeyByAnyCert(server_cert, NULL);
	if (server_key == NULL) {
		log_msg(LOG_CRIT, "NSS error: can't find the private key of '%s': %s",
		    s->cert_nickname, tls_last_error());
		return (-1);
	}
	hold_cas();
	tls_cert_note_server(server_cert);
	if (build_model(s) != 0) {
		log_msg(LOG_CRIT, "NSS error: can't configure the TLS server: %s",
		    tls_last_error());
		return (-1);
	}
	return (0);
}

void
tls_fini(void)
{
	if (model != NULL)
		PR_Close(model);
	if (held_cas != NULL)
		CERT_DestroyCertList(held_cas);
	held_cas = NULL;
	if (server_key != NULL)
		SECKEY_DestroyPrivateKey(server_key);
	if (server_cert != NULL)
		CERT_DestroyCertificate(server_cert);
	model = NULL;
	server_key = NULL;
	server_cert = NULL;
	tls_cert_fini();
	if (nss_up) {
		SSL_ShutdownServerSessionIDCache();
		NSS_Shutdown();
		nss_up = 0;
	}
}

PRFileDesc *
tls_wrap_server(int fd)
{
	PRFileDesc *prfd, *ssl;
	PRSocketOptionData opt = { .option = PR_SockOpt_Nonblocking,
		.value.non_blocking = PR_TRUE };

	if (model == NULL) {
		PR_SetError(SSL_ERROR_NO_CERTIFICATE, 0);
		return (NULL);
	}
	prfd = PR_ImportTCPSocket(fd);
	if (prfd == NULL)
		return (NULL);
	if (PR_SetSocketOption(prfd, &opt) != PR_SUCCESS)
		goto fail_prfd;
	ssl = SSL_ImportFD(model, prfd);
	if (ssl == NULL)
		goto fail_prfd;
	if (SSL_ResetHandshake(ssl, PR_TRUE) != SECSuccess) {
		PR_ChangeFileDescNativeHandle(prfd, -1);
		PR_Close(ssl);
		return (NULL);
	}
	tls_cert_forget_refusal(ssl);
	return (ssl);
fail_prfd:
	/* Give fd back to the caller: detach it before closing the wrapper. */
	PR_ChangeFileDescNativeHandle(prfd, -1);
	PR_Close(prfd);
	return (NULL);
}

int
tls_check_peer_name(PRFileDesc *ssl, const char *cluster_name, char *why, size_t whylen)
{
	CERTCertificate *peer = SSL_PeerCertificate(ssl);
	int res = -1;

	if (peer == NULL) {
		snprintf(why, whylen, "no client certificate");
		return (-1);
	}
	if (CERT_VerifyCertName(peer, cluster_name) != SECSuccess) {
		snprintf(why, whylen, "certificate subject '%.200s' does not match cluster name",
		    peer->subjectName ? peer->subjectName : "?");
		goto out;
	}
	res = 0;
out:
	CERT_DestroyCertificate(peer);
	return (res);
}

/* ---- additions (docs/compat.md "Additions") ---- */

const char *
tls_last_error_name(void)
{
	const char *name = PR_ErrorToName(PR_GetError());

	return (name != NULL ? name : "unknown");
}

/* "RSA 2048-bit", "ECDSA 256-bit": an operator checks a re-key (certutil -R) took. */
static void
server_key_describe(char *buf, size_t len)
{
	SECKEYPublicKey *pub = CERT_ExtractPublicKey(server_cert);
	const char *type = "unknown";

	if (pub == NULL) {
		snprintf(buf, len, "unknown");
		return;
	}
	if (pub->keyType == rsaKey)
		type = "RSA";
	else if (pub->keyType == ecKey)
		type = "ECDSA";
	snprintf(buf, len, "%s %u-bit", type, SECKEY_PublicKeyStrengthInBits(pub));
	SECKEY_DestroyPublicKey(pub);
}

void
tls_server_cert_describe(char *buf, size_t len)
{
	PRTime before, after;
	PRExplodedTime t;
	char date[64] = "?", key[32];
	char *serial;

	if (server_cert == NULL) {
		snprintf(buf, len, "none");
		return;
	}
	if (CERT_GetCertTimes(server_cert, &before, &after) == SECSuccess) {
		PR_ExplodeTime(after, PR_GMTParameters, &t);
		PR_FormatTimeUSEnglish(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &t);
	}
	server_key_describe(key, sizeof(key));
	serial = CERT_Hexify(&server_cert->serialNumber, 0);
	snprintf(buf, len, "'%s', serial %s, %s key, valid until %s",
	    server_cert->subjectName ? server_cert->subjectName : "?", serial ? serial : "?", key,
	    date);
	if (serial != NULL)
		PORT_Free(serial);
}

int
tls_reload(const struct qnetd_settings *s)
{
	CERTCertificate *cert;
	SECKEYPrivateKey *key;
	PRFileDesc *m;

	if (s->tls == TLV_TLS_UNSUPPORTED || !nss_up)
		return (0);
	cert = PK11_FindCertFromNickname(s->cert_nickname, NULL);
	if (cert == NULL) {
		log_msg(LOG_ERR,
		    "Reload: can't find server certificate '%s': %s; keeping the old one",
		    s->cert_nickname, tls_last_error());
		return (-1);
	}
	key = PK11_FindKeyByAnyCert(cert, NULL);
	if (key == NULL) {
		log_msg(LOG_ERR,
		    "Reload: can't find the private key of '%s': %s; keeping the old "
		    "certificate",
		    s->cert_nickname, tls_last_error());
		CERT_DestroyCertificate(cert);
		return (-1);
	}
	m = new_model(s, cert, key);
	if (m == NULL) {
		log_msg(LOG_ERR,
		    "Reload: can't configure the TLS server: %s; keeping the old "
		    "certificate",
		    tls_last_error());
		SECKEY_DestroyPrivateKey(key);
		CERT_DestroyCertificate(cert);
		return (-1);
	}
	/*
	 * SSL_ImportFD copied the old model's configuration (certificate and
	 * key references included) into every wrapped connection, so the
	 * old model can go: open connections keep their own copies.
	 */
	if (model != NULL)
		PR_Close(model);
	if (server_key != NULL)
		SECKEY_DestroyPrivateKey(server_key);
	if (server_cert != NULL)
		CERT_DestroyCertificate(server_cert);
	model = m;
	server_cert = cert;
	server_key = key;
	/* CAs added, removed or re-trusted since start are seen from now on. */
	hold_cas();
	tls_cert_note_server(server_cert);
	return (0);
}

int
tls_channel_info(PRFileDesc *ssl, char *proto, size_t protolen, char *cipher, size_t cipherlen)
{
	SSLChannelInfo ch;
	SSLCipherSuiteInfo cs;

	if (ssl == NULL || SSL_GetChannelInfo(ssl, &ch, sizeof(ch)) != SECSuccess ||
	    ch.length < sizeof(ch) || ch.cipherSuite == 0)
		return (-1);
	switch (ch.protocolVersion) {
	case SSL_LIBRARY_VERSION_TLS_1_0:
		snprintf(proto, protolen, "TLS1.0");
		break;
	case SSL_LIBRARY_VERSION_TLS_1_1:
		snprintf(proto, protolen, "TLS1.1");
		break;
	case SSL_LIBRARY_VERSION_TLS_1_2:
		snprintf(proto, protolen, "TLS1.2");
		break;
	case SSL_LIBRARY_VERSION_TLS_1_3:
		snprintf(proto, protolen, "TLS1.3");
		break;
	default:
		snprintf(proto, protolen, "0x%04x", (unsigned)ch.protocolVersion);
		break;
	}
	if (SSL_GetCipherSuiteInfo(ch.cipherSuite, &cs, sizeof(cs)) == SECSuccess)
		snprintf(cipher, cipherlen, "%s", cs.cipherSuiteName);
	else
		snprintf(cipher, cipherlen, "0x%04x", (unsigned)ch.cipherSuite);
	return (0);
}

int
tls_peer_fingerprint(PRFileDesc *ssl, unsigned char fp[32])
{
	CERTCertificate *peer;
	SECStatus rv;

	if (ssl == NULL || (peer = SSL_PeerCertificate(ssl)) == NULL)
		return (-1);
	rv = PK11_HashBuf(SEC_OID_SHA256, fp, peer->derCert.data, (PRInt32)peer->derCert.len);
	CERT_DestroyCertificate(peer);
	return (rv == SECSuccess ? 0 : -1);
}
