/*
 * tls.c - NSS: database, server certificate, model socket, peer checks.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cert.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <private/pprio.h>
#include <secerr.h>
#include <ssl.h>
#include <sslerr.h>
#include <sslproto.h>

#include "log.h"
#include "tls.h"

static CERTCertificate *server_cert;
static SECKEYPrivateKey *server_key;
static PRFileDesc *model;
static int nss_up;

const char *
tls_last_error(void)
{
	static char buf[256];
	PRErrorCode err = PR_GetError();
	const char *name = PR_ErrorToName(err);
	const char *text = PR_ErrorToString(err, PR_LANGUAGE_I_DEFAULT);

	snprintf(buf, sizeof(buf), "%s (%d): %s", name ? name : "unknown", (int)err,
	    text ? text : "");
	return buf;
}

int
tls_would_block(void)
{
	return PR_GetError() == PR_WOULD_BLOCK_ERROR;
}

int
tls_available(void)
{
	return model != NULL;
}

static int
build_model(const struct qnetd_settings *s)
{
	PRFileDesc *tcp = PR_NewTCPSocket();

	if (tcp == NULL)
		return -1;
	model = SSL_ImportFD(NULL, tcp);
	if (model == NULL) {
		PR_Close(tcp);
		return -1;
	}
	if (SSL_ConfigServerCert(model, server_cert, server_key, NULL, 0) != SECSuccess ||
	    SSL_OptionSet(model, SSL_SECURITY, PR_TRUE) != SECSuccess ||
	    /* qdevice never resumes a session: skip the cache and the tickets */
	    SSL_OptionSet(model, SSL_NO_CACHE, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_HANDSHAKE_AS_CLIENT, PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_HANDSHAKE_AS_SERVER, PR_TRUE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_REQUEST_CERTIFICATE,
	        s->tls_client_cert_required ? PR_TRUE : PR_FALSE) != SECSuccess ||
	    SSL_OptionSet(model, SSL_REQUIRE_CERTIFICATE,
	        s->tls_client_cert_required ? SSL_REQUIRE_ALWAYS : SSL_REQUIRE_NEVER) != SECSuccess)
		return -1;
	return 0;
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
		return -1;
	}
	nss_up = 1;
	if (NSS_SetDomesticPolicy() != SECSuccess ||
	    SSL_ConfigServerSessionIDCache(0, 0, 0, NULL) != SECSuccess) {
		log_msg(LOG_CRIT, "NSS error: %s", tls_last_error());
		return -1;
	}
	if (s->tls == TLV_TLS_UNSUPPORTED)
		return 0;
	server_cert = PK11_FindCertFromNickname(s->cert_nickname, NULL);
	if (server_cert == NULL) {
		log_msg(LOG_CRIT, "NSS error: can't find server certificate '%s' in %s: %s "
		    "(create it with corosync-qnetd-certutil -i)", s->cert_nickname,
		    s->nss_db_dir, tls_last_error());
		return -1;
	}
	server_key = PK11_FindKeyByAnyCert(server_cert, NULL);
	if (server_key == NULL) {
		log_msg(LOG_CRIT, "NSS error: can't find the private key of '%s': %s",
		    s->cert_nickname, tls_last_error());
		return -1;
	}
	if (build_model(s) != 0) {
		log_msg(LOG_CRIT, "NSS error: can't configure the TLS server: %s", tls_last_error());
		return -1;
	}
	return 0;
}

void
tls_fini(void)
{
	if (model != NULL)
		PR_Close(model);
	if (server_key != NULL)
		SECKEY_DestroyPrivateKey(server_key);
	if (server_cert != NULL)
		CERT_DestroyCertificate(server_cert);
	model = NULL;
	server_key = NULL;
	server_cert = NULL;
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
	PRSocketOptionData opt = { .option = PR_SockOpt_Nonblocking, .value.non_blocking = PR_TRUE };

	if (model == NULL) {
		PR_SetError(SSL_ERROR_NO_CERTIFICATE, 0);
		return NULL;
	}
	prfd = PR_ImportTCPSocket(fd);
	if (prfd == NULL)
		return NULL;
	if (PR_SetSocketOption(prfd, &opt) != PR_SUCCESS)
		goto fail_prfd;
	ssl = SSL_ImportFD(model, prfd);
	if (ssl == NULL)
		goto fail_prfd;
	if (SSL_ResetHandshake(ssl, PR_TRUE) != SECSuccess) {
		PR_ChangeFileDescNativeHandle(prfd, -1);
		PR_Close(ssl);
		return NULL;
	}
	return ssl;
fail_prfd:
	/* Give fd back to the caller: detach it before closing the wrapper. */
	PR_ChangeFileDescNativeHandle(prfd, -1);
	PR_Close(prfd);
	return NULL;
}

int
tls_check_peer_name(PRFileDesc *ssl, const char *cluster_name, char *why, size_t whylen)
{
	CERTCertificate *peer = SSL_PeerCertificate(ssl);
	int res = -1;

	if (peer == NULL) {
		snprintf(why, whylen, "no client certificate");
		return -1;
	}
	if (CERT_VerifyCertName(peer, cluster_name) != SECSuccess) {
		snprintf(why, whylen, "certificate subject '%.200s' does not match cluster name",
		    peer->subjectName ? peer->subjectName : "?");
		goto out;
	}
	res = 0;
out:
	CERT_DestroyCertificate(peer);
	return res;
}
