/*
 * ca_sign.c - build and sign a cluster certificate with the fixed
 * profile.  The certificate is assembled from the request's public key
 * only: the subject is made here from the cluster name, and neither the
 * request's subject nor its attributes (the requested extensions, such
 * as a subjectAltName) reach the certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cert.h>
#include <cryptohi.h>
#include <keyhi.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secder.h>
#include <secerr.h>

#include "enroll/ca_sign.h"

/* PrintableString when every character allows it (as certutil -R writes CN=name), else UTF8. */
static int
printable(const char *s)
{
	static const char extra[] = " '()+,-./:=?";

	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return (0);
	}
	return (1);
}

static CERTName *
cluster_name(PLArenaPool *arena, const char *cluster)
{
	CERTAVA *ava;
	CERTRDN *rdn;
	int type = printable(cluster) ? SEC_ASN1_PRINTABLE_STRING : SEC_ASN1_UTF8_STRING;

	ava = CERT_CreateAVA(arena, SEC_OID_AVA_COMMON_NAME, type, (char *)(uintptr_t)cluster);
	if (ava == NULL)
		return (NULL);
	rdn = CERT_CreateRDN(arena, ava, NULL);
	if (rdn == NULL)
		return (NULL);
	return (CERT_CreateName(rdn, NULL));
}

/* From now to now + 1200 months, as certutil -C -v 1200 computes it. */
static CERTValidity *
validity(time_t now)
{
	PRExplodedTime t;
	PRTime from = (PRTime)now * PR_USEC_PER_SEC, to;

	PR_ExplodeTime(from, PR_GMTParameters, &t);
	t.tm_month += CA_SIGN_VALIDITY_MONTHS;
	PR_NormalizeTime(&t, PR_GMTParameters);
	to = PR_ImplodeTime(&t);
	return (CERT_CreateValidity(from, to));
}

/* The certificate's TBS part and signature algorithm: v3, no extensions. */
static CERTCertificate *
make_tbs(CERTCertificate *ca, SECKEYPrivateKey *key, const struct csr *req, const char *cluster,
    unsigned long serial, time_t now)
{
	CERTCertificate *cert = NULL;
	CERTCertificateRequest *fresh = NULL;
	CERTValidity *valid = NULL;
	CERTName *name = NULL;
	SECOidTag alg;

	valid = validity(now);
	name = cluster_name(req->arena, cluster);
	if (valid == NULL || name == NULL)
		goto out;
	fresh = CERT_CreateCertificateRequest(name, &req->req->subjectPublicKeyInfo, NULL);
	if (fresh == NULL)
		goto out;
	cert = CERT_CreateCertificate(serial, &ca->subject, valid, fresh);
	if (cert == NULL)
		goto out;
	alg = SEC_GetSignatureAlgorithmOidTag(key->keyType, SEC_OID_SHA256);
	if (DER_SetUInteger(cert->arena, &cert->version, SEC_CERTIFICATE_VERSION_3) != SECSuccess ||
	    alg == SEC_OID_UNKNOWN ||
	    SECOID_SetAlgorithmID(cert->arena, &cert->signature, alg, NULL) != SECSuccess) {
		CERT_DestroyCertificate(cert);
		cert = NULL;
	}
out:
	if (fresh != NULL)
		CERT_DestroyCertificateRequest(fresh);
	if (name != NULL)
		CERT_DestroyName(name);
	if (valid != NULL)
		CERT_DestroyValidity(valid);
	return (cert);
}

static int
encode_and_sign(CERTCertificate *cert, SECKEYPrivateKey *key, uint8_t **der, size_t *len)
{
	SECItem tbs = { siBuffer, NULL, 0 }, signed_der = { siBuffer, NULL, 0 };
	SECOidTag alg = SECOID_GetAlgorithmTag(&cert->signature);

	if (SEC_ASN1EncodeItem(cert->arena, &tbs, cert, SEC_ASN1_GET(CERT_CertificateTemplate)) ==
	    NULL)
		return (-1);
	if (SEC_DerSignData(cert->arena, &signed_der, tbs.data, (int)tbs.len, key, alg) !=
	    SECSuccess)
		return (-1);
	*der = malloc(signed_der.len);
	if (*der == NULL)
		return (-1);
	memcpy(*der, signed_der.data, signed_der.len);
	*len = signed_der.len;
	return (0);
}

int
ca_sign(const char *ca_nickname, const struct csr *req, const char *cluster, unsigned long serial,
    time_t now, uint8_t **der, size_t *len, char *reason, size_t reason_len)
{
	CERTCertificate *ca, *cert = NULL;
	SECKEYPrivateKey *key = NULL;
	int rc = -1;

	ca = PK11_FindCertFromNickname(ca_nickname, NULL);
	if (ca == NULL) {
		snprintf(reason, reason_len, "CA certificate \"%s\" not found", ca_nickname);
		return (-1);
	}
	key = PK11_FindKeyByAnyCert(ca, NULL);
	if (key == NULL) {
		snprintf(reason, reason_len, "CA private key not found");
		goto out;
	}
	cert = make_tbs(ca, key, req, cluster, serial, now);
	if (cert == NULL || encode_and_sign(cert, key, der, len) != 0) {
		const char *err = PR_ErrorToName(PR_GetError());

		snprintf(reason, reason_len, "signing failed: %s", err != NULL ? err : "?");
		goto out;
	}
	rc = 0;
out:
	if (cert != NULL)
		CERT_DestroyCertificate(cert);
	if (key != NULL)
		SECKEY_DestroyPrivateKey(key);
	CERT_DestroyCertificate(ca);
	return (rc);
}
