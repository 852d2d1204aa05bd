/*
 * tls_cert.c - the daemon's own revocation check and certificate facts
 * (see tls_cert.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <cert.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>
#include <ssl.h>

#include "net/tls_cert.h"

/*
 * The list is swapped on SIGHUP by the loop thread; the handshake hook
 * may run elsewhere one day (handshake workers), so readers hold the
 * lock for the lookup and copy what they keep.
 */
static pthread_rwlock_t revoked_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct revoked_list *revoked;
static time_t ca_not_after, server_not_after;

/*
 * The last refusal, per thread like errno: the hook runs inside the
 * PR_Recv() of the connection whose handshake it refuses, and that
 * caller reads it right after.
 */
static _Thread_local struct {
	PRFileDesc *ssl;
	char serial[2 * TLS_CERT_SERIAL_MAX + 2];
	char cluster[REVOKED_MAX_CLUSTER + 1];
} refusal;

static time_t
not_after_of(CERTCertificate *cert)
{
	PRTime before, after;

	if (cert == NULL || CERT_GetCertTimes(cert, &before, &after) != SECSuccess)
		return (0);
	return ((time_t)(after / PR_USEC_PER_SEC));
}

int
tls_cert_facts_of(CERTCertificate *cert, struct tls_cert_facts *out)
{
	const uint8_t *s = cert->serialNumber.data;
	size_t n = cert->serialNumber.len, i;
	uint8_t fp[32];

	memset(out, 0, sizeof(*out));
	if (PK11_HashBuf(SEC_OID_SHA256, out->issuer_sha256, cert->derIssuer.data,
	        (PRInt32)cert->derIssuer.len) != SECSuccess ||
	    PK11_HashBuf(SEC_OID_SHA256, fp, cert->derCert.data, (PRInt32)cert->derCert.len) !=
	        SECSuccess)
		return (-1);
	for (i = 0; i < 32; i++)
		snprintf(out->sha256_hex + 2 * i, 3, "%02x", fp[i]);
	while (n > 0 && *s == 0)
		s++, n--;
	if (n <= TLS_CERT_SERIAL_MAX) {
		memcpy(out->serial, s, n);
		out->serial_len = n;
	} else {
		out->serial_cut = 1;
	}
	revoked_serial_hex(s, n < TLS_CERT_SERIAL_MAX ? n : TLS_CERT_SERIAL_MAX, out->serial_hex,
	    sizeof(out->serial_hex));
	out->not_after = not_after_of(cert);
	return (0);
}

int
tls_peer_facts(PRFileDesc *ssl, struct tls_cert_facts *out)
{
	CERTCertificate *peer;
	int res;

	if (ssl == NULL || (peer = SSL_PeerCertificate(ssl)) == NULL)
		return (-1);
	res = tls_cert_facts_of(peer, out);
	CERT_DestroyCertificate(peer);
	return (res);
}

void
tls_cert_set_revoked(struct revoked_list *list)
{
	struct revoked_list *old;

	pthread_rwlock_wrlock(&revoked_lock);
	old = revoked;
	revoked = list;
	pthread_rwlock_unlock(&revoked_lock);
	revoked_free(old);
}

int
tls_cert_revoked(const struct tls_cert_facts *f, char *cluster, size_t len)
{
	const char *listed = NULL;

	if (f->serial_cut)
		return (0); /* longer than any serial the list can hold */
	pthread_rwlock_rdlock(&revoked_lock);
	if (revoked != NULL)
		listed = revoked_lookup(revoked, f->issuer_sha256, f->serial, f->serial_len);
	if (listed != NULL)
		snprintf(cluster, len, "%s", listed);
	pthread_rwlock_unlock(&revoked_lock);
	return (listed != NULL);
}

int
tls_cert_check_handshake(PRFileDesc *ssl, CERTCertificate *cert)
{
	char listed[REVOKED_MAX_CLUSTER + 1];
	struct tls_cert_facts f;
	size_t n;

	pthread_rwlock_rdlock(&revoked_lock);
	n = revoked_count(revoked);
	pthread_rwlock_unlock(&revoked_lock);
	if (n == 0)
		return (0);
	/* A certificate we cannot hash cannot be checked here: NSS refuses it anyway. */
	if (tls_cert_facts_of(cert, &f) != 0 || !tls_cert_revoked(&f, listed, sizeof(listed)))
		return (0);
	refusal.ssl = ssl;
	snprintf(refusal.serial, sizeof(refusal.serial), "%s", f.serial_hex);
	snprintf(refusal.cluster, sizeof(refusal.cluster), "%s", listed);
	PR_SetError(SEC_ERROR_REVOKED_CERTIFICATE, 0);
	return (-1);
}

int
tls_cert_take_refusal(PRFileDesc *ssl, char *serial, size_t serial_len, char *cluster,
    size_t cluster_len)
{
	int hit = refusal.ssl != NULL && refusal.ssl == ssl;

	if (hit) {
		snprintf(serial, serial_len, "%s", refusal.serial);
		snprintf(cluster, cluster_len, "%s", refusal.cluster);
	}
	refusal.ssl = NULL;
	return (hit);
}

void
tls_cert_forget_refusal(PRFileDesc *ssl)
{
	if (refusal.ssl == ssl)
		refusal.ssl = NULL;
}

void
tls_cert_note_server(CERTCertificate *server)
{
	CERTCertificate *ca = NULL;

	server_not_after = not_after_of(server);
	if (server != NULL)
		ca = CERT_FindCertIssuer(server, PR_Now(), certUsageAnyCA);
	ca_not_after = not_after_of(ca);
	if (ca != NULL)
		CERT_DestroyCertificate(ca);
}

time_t
tls_cert_ca_not_after(void)
{
	return (ca_not_after);
}

time_t
tls_cert_server_not_after(void)
{
	return (server_not_after);
}

void
tls_cert_fini(void)
{
	tls_cert_set_revoked(NULL);
	ca_not_after = server_not_after = 0;
}
