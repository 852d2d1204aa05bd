/*
 * wbuf.h - growable byte buffer with a hard size limit, for building
 * outgoing messages.  Big-endian put helpers.
 */
#ifndef QNETD_WBUF_H
#define QNETD_WBUF_H

#include <stddef.h>
#include <stdint.h>

struct wbuf {
	uint8_t *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	size_t limit; /* appends that would exceed it fail */
	int failed;   /* sticky: set by the first failed append */
};

/* Empty buffer that refuses to grow past limit bytes.  No allocation. */
void wbuf_init(struct wbuf *wb, size_t limit);
/* Frees the data; the buffer is left empty and reusable. */
void wbuf_destroy(struct wbuf *wb);
/* Drops the contents and clears failed; keeps the allocation. */
void wbuf_reset(struct wbuf *wb);
/* Hands the data to the caller (caller frees); the buffer is left empty. */
uint8_t *wbuf_steal(struct wbuf *wb, size_t *len);

/* Append; 0 on success, -1 (and failed set) when over limit or out of memory. */
int wbuf_put(struct wbuf *wb, const void *data, size_t len);
int wbuf_put_u8(struct wbuf *wb, uint8_t v);
int wbuf_put_u16(struct wbuf *wb, uint16_t v);
int wbuf_put_u32(struct wbuf *wb, uint32_t v);
int wbuf_put_u64(struct wbuf *wb, uint64_t v);
/*
 * Make sure extra more bytes can be appended without reallocating.  0, or
 * -1 (and failed set) when that would pass the limit or memory ran out.
 * Lets an encoder write a multi-part item all or nothing.
 */
int wbuf_reserve(struct wbuf *wb, size_t extra);
/* Shorten the contents to len bytes (no-op if already shorter); failed is kept. */
void wbuf_truncate(struct wbuf *wb, size_t len);
/*
 * Shorten the contents to len bytes and clear failed: undo the appends
 * since the length was len, including one that failed.
 */
void wbuf_rewind(struct wbuf *wb, size_t len);
/*
 * printf onto the end of the buffer, any length within the limit.  0, or
 * -1 (and failed set, nothing appended) when that would pass the limit,
 * memory ran out or the format failed.
 */
int wbuf_printf(struct wbuf *wb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Overwrite 2/4 bytes at off (which must lie inside len). */
void wbuf_set_u16(struct wbuf *wb, size_t off, uint16_t v);
void wbuf_set_u32(struct wbuf *wb, size_t off, uint32_t v);

#endif
