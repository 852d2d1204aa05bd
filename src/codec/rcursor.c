/*
 * rcursor.c - bounded big-endian reader over untrusted bytes.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "codec/rcursor.h"

int
rcursor_bytes(struct rcursor *c, size_t len, const uint8_t **out)
{

	if (len > c->left)
		return (-1);
	*out = c->p;
	c->p += len;
	c->left -= len;
	return (0);
}

int
rcursor_u8(struct rcursor *c, uint8_t *v)
{
	const uint8_t *b;

	if (rcursor_bytes(c, 1, &b) == -1)
		return (-1);
	*v = b[0];
	return (0);
}

int
rcursor_u16(struct rcursor *c, uint16_t *v)
{
	const uint8_t *b;

	if (rcursor_bytes(c, 2, &b) == -1)
		return (-1);
	*v = (uint16_t)((uint16_t)b[0] << 8 | b[1]);
	return (0);
}

int
rcursor_u32(struct rcursor *c, uint32_t *v)
{
	const uint8_t *b;

	if (rcursor_bytes(c, 4, &b) == -1)
		return (-1);
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return (0);
}

int
rcursor_u64(struct rcursor *c, uint64_t *v)
{
	const uint8_t *b;
	uint64_t r;
	int i;

	if (rcursor_bytes(c, 8, &b) == -1)
		return (-1);
	r = 0;
	for (i = 0; i < 8; i++)
		r = r << 8 | b[i];
	*v = r;
	return (0);
}
