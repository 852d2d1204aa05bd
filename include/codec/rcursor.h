/*
 * rcursor.h - bounded reader over untrusted bytes.  Every read checks
 * the remaining length first; a failed read leaves the cursor unchanged.
 */
#ifndef QNETD_RCURSOR_H
#define QNETD_RCURSOR_H

#include <stddef.h>
#include <stdint.h>

struct rcursor {
	const uint8_t *p;
	size_t left;
};

static inline void
rcursor_init(struct rcursor *c, const void *data, size_t len)
{
	c->p = data;
	c->left = len;
}

/* Each returns 0 and advances, or -1 when fewer bytes than needed remain. */
int rcursor_u8(struct rcursor *c, uint8_t *v);
int rcursor_u16(struct rcursor *c, uint16_t *v);
int rcursor_u32(struct rcursor *c, uint32_t *v);
int rcursor_u64(struct rcursor *c, uint64_t *v);
/* Points *out at the next len bytes (no copy). */
int rcursor_bytes(struct rcursor *c, size_t len, const uint8_t **out);

#endif
