/*
 * cert_info.c - serial, fingerprint, issuer hash and validity of a DER
 * certificate.
 */
#include <string.h>

#include <cert.h>
#include <secasn1.h>
#include <secder.h>

#include "enroll/cert_info.h"

int
cert_info_from_der(const uint8_t *der, size_t len, struct cert_info *info)
{
	SECItem item = { siBuffer, (unsigned char *)(uintptr_t)der, (unsigned int)len };
	CERTCertificate *cert;
	PLArenaPool *arena;
	PRTime nb, na;
	int rc = -1;

	if (len == 0 || len > 0x7fffffff)
		return (-1);
	/* Decoded in an arena: NSS's own decoder is not exported, and no database is needed. */
	arena = PORT_NewArena(DER_DEFAULT_CHUNKSIZE);
	if (arena == NULL)
		return (-1);
	cert = PORT_ArenaZNew(arena, CERTCertificate);
	if (cert == NULL ||
	    SEC_QuickDERDecodeItem(arena, cert, SEC_ASN1_GET(SEC_SignedCertificateTemplate),
	        &item) != SECSuccess)
		goto out;
	memset(info, 0, sizeof(*info));
	if (digest_serial_hex(cert->serialNumber.data, cert->serialNumber.len, info->serial) != 0)
		goto out;
	if (digest_sha256_hex(der, len, info->sha256) != 0 ||
	    digest_sha256_hex(cert->derIssuer.data, cert->derIssuer.len, info->issuer_sha256) != 0)
		goto out;
	if (CERT_GetCertTimes(cert, &nb, &na) != SECSuccess)
		goto out;
	info->not_before = nb / PR_USEC_PER_SEC;
	info->not_after = na / PR_USEC_PER_SEC;
	rc = 0;
out:
	PORT_FreeArena(arena, PR_FALSE);
	return (rc);
}
