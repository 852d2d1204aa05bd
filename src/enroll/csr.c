/*
 * csr.c - decode and check a certificate request.
 */
#include <stdio.h>
#include <string.h>

#include <keyhi.h>
#include <nssb64.h>
#include <secasn1.h>
#include <secder.h>
#include <secerr.h>

#include "enroll/csr.h"

/* DER of the OID of the curve P-256 (prime256v1, secp256r1). */
static const uint8_t p256_oid[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

/* A PEM block's base64 body into DER in arena; item untouched when data is not PEM. */
static int
pem_to_der(PLArenaPool *arena, const uint8_t *data, size_t len, SECItem *item)
{
	const char *begin, *body, *end;
	char text[CSR_MAX_DER * 2];

	if (len >= sizeof(text))
		return (-1);
	memcpy(text, data, len);
	text[len] = '\0';
	begin = strstr(text, "-----BEGIN ");
	if (begin == NULL)
		return (-1);
	body = strstr(begin + 11, "-----");
	if (body == NULL)
		return (-1);
	body += 5;
	end = strstr(body, "-----END ");
	if (end == NULL)
		return (-1);
	if (NSSBase64_DecodeBuffer(arena, item, body, (unsigned int)(end - body)) == NULL)
		return (-1);
	return (0);
}

static enum csr_result
check_key(const CERTCertificateRequest *req, char *reason, size_t reason_len)
{
	SECKEYPublicKey *pub;
	enum csr_result r = CSR_WEAK_KEY;
	unsigned bits;

	pub = SECKEY_ExtractPublicKey(&req->subjectPublicKeyInfo);
	if (pub == NULL) {
		snprintf(reason, reason_len, "unsupported public key");
		return (CSR_WEAK_KEY);
	}
	if (pub->keyType == rsaKey) {
		bits = SECKEY_PublicKeyStrengthInBits(pub);
		if (bits >= CSR_RSA_MIN_BITS && bits <= CSR_RSA_MAX_BITS)
			r = CSR_OK;
		else
			snprintf(reason, reason_len, "RSA key of %u bits (need %d to %d)", bits,
			    CSR_RSA_MIN_BITS, CSR_RSA_MAX_BITS);
	} else if (pub->keyType == ecKey) {
		if (pub->u.ec.DEREncodedParams.len == sizeof(p256_oid) &&
		    memcmp(pub->u.ec.DEREncodedParams.data, p256_oid, sizeof(p256_oid)) == 0)
			r = CSR_OK;
		else
			snprintf(reason, reason_len, "EC key on a curve other than P-256");
	} else {
		snprintf(reason, reason_len, "key type not RSA nor ECDSA P-256");
	}
	SECKEY_DestroyPublicKey(pub);
	return (r);
}

static enum csr_result
decode(PLArenaPool *arena, SECItem *der, struct csr *out, char *reason, size_t reason_len)
{
	CERTSignedData sd;
	CERTCertificateRequest *req;
	SECItem *spki;

	memset(&sd, 0, sizeof(sd));
	req = PORT_ArenaZNew(arena, CERTCertificateRequest);
	if (req == NULL ||
	    SEC_QuickDERDecodeItem(arena, &sd, SEC_ASN1_GET(CERT_SignedDataTemplate), der) !=
	        SECSuccess ||
	    SEC_QuickDERDecodeItem(arena, req, SEC_ASN1_GET(CERT_CertificateRequestTemplate),
	        &sd.data) != SECSuccess) {
		snprintf(reason, reason_len, "not a PKCS#10 certificate request");
		return (CSR_BAD);
	}
	req->arena = arena;
	if (CERT_VerifySignedDataWithPublicKeyInfo(&sd, &req->subjectPublicKeyInfo, NULL) !=
	    SECSuccess) {
		snprintf(reason, reason_len, "the request's signature does not verify");
		return (CSR_BAD);
	}
	spki = SEC_ASN1EncodeItem(arena, NULL, &req->subjectPublicKeyInfo,
	    SEC_ASN1_GET(CERT_SubjectPublicKeyInfoTemplate));
	if (spki == NULL || digest_sha256_hex(spki->data, spki->len, out->spki_sha256) != 0) {
		snprintf(reason, reason_len, "cannot encode the request's key");
		return (CSR_BAD);
	}
	out->req = req;
	return (check_key(req, reason, reason_len));
}

enum csr_result
csr_parse(const uint8_t *data, size_t len, struct csr *out, char *reason, size_t reason_len)
{
	SECItem der = { siBuffer, (unsigned char *)(uintptr_t)data, (unsigned int)len }, copy;
	enum csr_result r;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > 2 * CSR_MAX_DER) {
		snprintf(reason, reason_len, "request empty or larger than %d bytes", CSR_MAX_DER);
		return (CSR_BAD);
	}
	out->arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	if (out->arena == NULL) {
		snprintf(reason, reason_len, "out of memory");
		return (CSR_BAD);
	}
	if (data[0] != 0x30 && pem_to_der(out->arena, data, len, &der) != 0) {
		snprintf(reason, reason_len, "request is neither DER nor PEM");
		csr_free(out);
		return (CSR_BAD);
	}
	/* The quick decoder points into its input: the request must live as long as out. */
	if (data[0] == 0x30 && SECITEM_CopyItem(out->arena, &copy, &der) != SECSuccess) {
		snprintf(reason, reason_len, "out of memory");
		csr_free(out);
		return (CSR_BAD);
	}
	if (data[0] == 0x30)
		der = copy;
	r = decode(out->arena, &der, out, reason, reason_len);
	if (r != CSR_OK)
		csr_free(out);
	return (r);
}

int
csr_subject_is(const struct csr *c, const char *cluster)
{
	CERTRDN **rdns = c->req->subject.rdns;
	CERTAVA *ava;
	SECItem *value;
	int ok;

	if (rdns == NULL || rdns[0] == NULL || rdns[1] != NULL)
		return (0);
	if (rdns[0]->avas == NULL || rdns[0]->avas[0] == NULL || rdns[0]->avas[1] != NULL)
		return (0);
	ava = rdns[0]->avas[0];
	if (CERT_GetAVATag(ava) != SEC_OID_AVA_COMMON_NAME)
		return (0);
	value = CERT_DecodeAVAValue(&ava->value);
	if (value == NULL)
		return (0);
	ok = value->len == strlen(cluster) && memcmp(value->data, cluster, value->len) == 0;
	SECITEM_FreeItem(value, PR_TRUE);
	return (ok);
}

void
csr_subject_text(const struct csr *c, char *buf, size_t size)
{
	char *text = CERT_NameToAscii(&c->req->subject);

	snprintf(buf, size, "%s", text != NULL ? text : "?");
	if (text != NULL)
		PORT_Free(text);
}

void
csr_free(struct csr *c)
{
	if (c->arena != NULL)
		PORT_FreeArena(c->arena, PR_FALSE);
	memset(c, 0, sizeof(*c));
}
