/*
 * pem.c - PEM decode and encode (see pem.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/pem.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(unsigned char c)
{
	const char *p;

	if (c == '\0')
		return (-1);
	p = strchr(b64, c);
	return (p != NULL ? (int)(p - b64) : -1);
}

/* Pointer to the first occurrence of needle in [h, h + hlen), or NULL. */
static const uint8_t *
find(const uint8_t *h, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle);

	if (nlen == 0 || hlen < nlen)
		return (NULL);
	return (memmem(h, hlen, needle, nlen));
}

/* Decode base64 text (whitespace skipped, '=' padding at the end) into out. */
static int
b64_decode(const uint8_t *p, size_t n, uint8_t *out, size_t outcap, size_t *outlen)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, pad = 0;

	for (i = 0; i < n; i++) {
		int v;

		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
			continue;
		if (p[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(p[i])) < 0)
			return (-1);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outcap)
				return (-1);
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (pad > 2 || bits >= 6)
		return (-1);
	*outlen = o;
	return (0);
}

int
pem_decode(const uint8_t *in, size_t len, const char *const *labels, uint8_t *out, size_t outcap,
    size_t *outlen)
{
	char begin[96], end[96];
	const uint8_t *b, *e;
	size_t i;

	for (i = 0; labels[i] != NULL; i++) {
		snprintf(begin, sizeof(begin), "-----BEGIN %s-----", labels[i]);
		snprintf(end, sizeof(end), "-----END %s-----", labels[i]);
		b = find(in, len, begin);
		if (b == NULL)
			continue;
		b += strlen(begin);
		e = find(b, len - (size_t)(b - in), end);
		if (e == NULL)
			return (-1);
		return (b64_decode(b, (size_t)(e - b), out, outcap, outlen));
	}
	return (-1);
}

char *
pem_encode(const char *label, const uint8_t *der, size_t len)
{
	size_t b64len = (len + 2) / 3 * 4, cap, o, i, col = 0;
	char *s;

	cap = 2 * (strlen(label) + 20) + b64len + b64len / 64 + 2;
	s = malloc(cap);
	if (s == NULL)
		return (NULL);
	o = (size_t)snprintf(s, cap, "-----BEGIN %s-----\n", label);
	for (i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)der[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)der[i + 1] << 8;
		if (left > 2)
			v |= der[i + 2];
		s[o++] = b64[(v >> 18) & 63];
		s[o++] = b64[(v >> 12) & 63];
		s[o++] = left > 1 ? b64[(v >> 6) & 63] : '=';
		s[o++] = left > 2 ? b64[v & 63] : '=';
		col += 4;
		if (col == 64) {
			s[o++] = '\n';
			col = 0;
		}
	}
	if (col != 0)
		s[o++] = '\n';
	snprintf(s + o, cap - o, "-----END %s-----\n", label);
	return (s);
}
