/*
 * wbuf.c - growable output buffer with a hard limit.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/wbuf.h"

#define WBUF_MIN_CAP 64

void
wbuf_init(struct wbuf *wb, size_t limit)
{

	memset(wb, 0, sizeof(*wb));
	wb->limit = limit;
}

void
wbuf_destroy(struct wbuf *wb)
{
	size_t limit;

	limit = wb->limit;
	free(wb->data);
	wbuf_init(wb, limit);
}

void
wbuf_reset(struct wbuf *wb)
{

	wb->len = 0;
	wb->failed = 0;
}

uint8_t *
wbuf_steal(struct wbuf *wb, size_t *len)
{
	uint8_t *data;

	data = wb->data;
	*len = wb->len;
	wb->data = NULL;
	wb->len = 0;
	wb->cap = 0;
	wb->failed = 0;
	return (data);
}

/*
 * Make room for extra more bytes.  Growth doubles so that building a long
 * message costs amortised O(1) per byte, but never allocates past the
 * limit: a peer-driven size can then never make us hold more than limit.
 */
int
wbuf_reserve(struct wbuf *wb, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (wb->failed)
		return (-1);
	if (extra > wb->limit || wb->len > wb->limit - extra)
		goto fail;
	need = wb->len + extra;
	if (need <= wb->cap)
		return (0);
	cap = wb->cap < WBUF_MIN_CAP ? WBUF_MIN_CAP : wb->cap;
	while (cap < need && cap <= SIZE_MAX / 2)
		cap *= 2;
	if (cap < need)
		cap = need;
	if (cap > wb->limit)
		cap = wb->limit;
	p = realloc(wb->data, cap);
	if (p == NULL)
		goto fail;
	wb->data = p;
	wb->cap = cap;
	return (0);
fail:
	wb->failed = 1;
	return (-1);
}

int
wbuf_put(struct wbuf *wb, const void *data, size_t len)
{

	if (wbuf_reserve(wb, len) == -1)
		return (-1);
	if (len > 0)
		memcpy(wb->data + wb->len, data, len);
	wb->len += len;
	return (0);
}

int
wbuf_put_u8(struct wbuf *wb, uint8_t v)
{

	return (wbuf_put(wb, &v, 1));
}

int
wbuf_put_u16(struct wbuf *wb, uint16_t v)
{
	uint8_t b[2];

	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
	return (wbuf_put(wb, b, sizeof(b)));
}

int
wbuf_put_u32(struct wbuf *wb, uint32_t v)
{
	uint8_t b[4];

	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	return (wbuf_put(wb, b, sizeof(b)));
}

int
wbuf_put_u64(struct wbuf *wb, uint64_t v)
{

	if (wbuf_reserve(wb, 8) == -1)
		return (-1);
	(void)wbuf_put_u32(wb, (uint32_t)(v >> 32));
	return (wbuf_put_u32(wb, (uint32_t)v));
}

void
wbuf_set_u16(struct wbuf *wb, size_t off, uint16_t v)
{

	if (off > wb->len || wb->len - off < 2)
		return;
	wb->data[off] = (uint8_t)(v >> 8);
	wb->data[off + 1] = (uint8_t)v;
}

void
wbuf_set_u32(struct wbuf *wb, size_t off, uint32_t v)
{

	if (off > wb->len || wb->len - off < 4)
		return;
	wb->data[off] = (uint8_t)(v >> 24);
	wb->data[off + 1] = (uint8_t)(v >> 16);
	wb->data[off + 2] = (uint8_t)(v >> 8);
	wb->data[off + 3] = (uint8_t)v;
}

void
wbuf_truncate(struct wbuf *wb, size_t len)
{

	if (len < wb->len)
		wb->len = len;
}

void
wbuf_rewind(struct wbuf *wb, size_t len)
{

	wbuf_truncate(wb, len);
	wb->failed = 0;
}

int
wbuf_printf(struct wbuf *wb, const char *fmt, ...)
{
	char small[256];
	char *p;
	va_list ap;
	int n, res;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		wb->failed = 1;
		return (-1);
	}
	if ((size_t)n < sizeof(small))
		return (wbuf_put(wb, small, (size_t)n));
	/* A long line: format it again into a buffer of its size. */
	p = malloc((size_t)n + 1);
	if (p == NULL) {
		wb->failed = 1;
		return (-1);
	}
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	res = wbuf_put(wb, p, (size_t)n);
	free(p);
	return (res);
}
