/*
 * text.c - printable copies of untrusted bytes (see text.h).
 */
#include "base/text.h"

size_t
text_printable(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t i, n = srclen < dstlen - 1 ? srclen : dstlen - 1;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	dst[n] = '\0';
	return (n);
}
