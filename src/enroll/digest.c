/*
 * digest.c - SHA-256 through NSS and the text encodings of the
 * enrollment files.
 */
#include <string.h>

#include <pk11pub.h>
#include <secoidt.h>

#include "enroll/digest.h"

static const char hex_digits[] = "0123456789abcdef";
static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
digest_sha256(const void *data, size_t len, uint8_t out[DIGEST_SHA256_LEN])
{
	if (len > 0x7fffffff)
		return (-1);
	if (PK11_HashBuf(SEC_OID_SHA256, out, (const unsigned char *)data, (PRInt32)len) !=
	    SECSuccess)
		return (-1);
	return (0);
}

int
digest_sha256_hex(const void *data, size_t len, char out[DIGEST_SHA256_HEX_LEN + 1])
{
	uint8_t md[DIGEST_SHA256_LEN];

	if (digest_sha256(data, len, md) != 0)
		return (-1);
	digest_hex(md, sizeof(md), out);
	return (0);
}

void
digest_hex(const uint8_t *data, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex_digits[data[i] >> 4];
		out[2 * i + 1] = hex_digits[data[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
digest_serial_hex(const uint8_t *data, size_t len, char *out)
{
	size_t i = 0;

	if (len == 0 || len > 21)
		return (-1);
	while (i < len && data[i] == 0)
		i++;
	if (i == len) {
		strcpy(out, "0");
		return (0);
	}
	if (len - i > 20)
		return (-1);
	digest_hex(data + i, len - i, out);
	return (0);
}

static void
b64_encode(const char *alphabet, int pad, const uint8_t *data, size_t len, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < len) {
		v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0);
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = alphabet[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
}

void
digest_b64url(const uint8_t *data, size_t len, char *out)
{
	b64_encode(b64url_chars, 0, data, len, out);
}

void
digest_b64(const uint8_t *data, size_t len, char *out)
{
	b64_encode(b64_chars, 1, data, len, out);
}

static int
b64url_value(char c)
{
	const char *p;

	if (c == '\0')
		return (-1);
	p = strchr(b64url_chars, c);
	return (p == NULL ? -1 : (int)(p - b64url_chars));
}

int
digest_b64url_decode(const char *text, size_t text_len, uint8_t *out, size_t out_len)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	if (text_len != (out_len * 4 + 2) / 3)
		return (-1);
	for (i = 0; i < text_len; i++) {
		v = b64url_value(text[i]);
		if (v < 0)
			return (-1);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* The unused low bits of the last character must be zero (one text per value). */
	if ((acc & ((1u << bits) - 1)) != 0 || o != out_len)
		return (-1);
	return (0);
}

int
digest_equal_ct(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return (diff == 0);
}
