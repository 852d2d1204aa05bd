/*
 * hex.h - test helper: bytes from hex text written by hand.  Spaces,
 * newlines and '|' separators are ignored so vectors can be laid out like
 * protocol.md 1.10.
 */
#ifndef QNETD_TEST_HEX_H
#define QNETD_TEST_HEX_H

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline int
hex_nibble(int c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Decode hex into buf (at most cap bytes); returns the length.  Aborts on bad text. */
static inline size_t
hex_decode(const char *s, uint8_t *buf, size_t cap)
{
	size_t n;
	int hi, lo;

	n = 0;
	while (*s != '\0') {
		if (isspace((unsigned char)*s) || *s == '|') {
			s++;
			continue;
		}
		hi = hex_nibble((unsigned char)s[0]);
		lo = s[1] != '\0' ? hex_nibble((unsigned char)s[1]) : -1;
		if (hi < 0 || lo < 0 || n == cap) {
			fprintf(stderr, "bad hex vector near \"%.10s\"\n", s);
			abort();
		}
		buf[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return (n);
}

#endif
