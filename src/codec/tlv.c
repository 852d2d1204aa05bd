/*
 * tlv.c - TLV encoders, comparisons and text forms of wire values.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdint.h>

#include "codec/tlv.h"

/* Value sizes of the fixed-size options we emit. */
#define TLV_RING_ID_LEN 12
#define TLV_TIE_BREAKER_LEN 5

int
tlv_ring_id_eq(const struct tlv_ring_id *a, const struct tlv_ring_id *b)
{

	return (a->node_id == b->node_id && a->seq == b->seq);
}

int
tlv_tie_breaker_eq(const struct tlv_tie_breaker *a, const struct tlv_tie_breaker *b)
{

	if (a->mode != b->mode)
		return (0);
	if (a->mode == TLV_TIE_BREAKER_MODE_NODE_ID)
		return (a->node_id == b->node_id);
	return (1);
}

/* Rank for tlv_heuristics_cmp: a passing node beats one that never ran heuristics. */
static int
tlv_heuristics_rank(enum tlv_heuristics h)
{

	switch (h) {
	case TLV_HEURISTICS_PASS:
		return (2);
	case TLV_HEURISTICS_UNDEFINED:
		return (1);
	case TLV_HEURISTICS_FAIL:
		return (0);
	}
	return (1);
}

int
tlv_heuristics_cmp(enum tlv_heuristics a, enum tlv_heuristics b)
{
	int ra, rb;

	ra = tlv_heuristics_rank(a);
	rb = tlv_heuristics_rank(b);
	if (ra < rb)
		return (-1);
	return (ra > rb);
}

const char *
tlv_vote_to_str(enum tlv_vote vote)
{

	switch (vote) {
	case TLV_VOTE_UNDEFINED:
		return ("Undefined");
	case TLV_VOTE_ACK:
		return ("ACK");
	case TLV_VOTE_NACK:
		return ("NACK");
	case TLV_VOTE_ASK_LATER:
		return ("Ask later");
	case TLV_VOTE_WAIT_FOR_REPLY:
		return ("Wait for reply");
	case TLV_VOTE_NO_CHANGE:
		return ("No change");
	}
	return ("Unknown vote value");
}

const char *
tlv_heuristics_to_str(enum tlv_heuristics h)
{

	switch (h) {
	case TLV_HEURISTICS_UNDEFINED:
		return ("Undefined");
	case TLV_HEURISTICS_PASS:
		return ("Pass");
	case TLV_HEURISTICS_FAIL:
		return ("Fail");
	}
	return ("Unknown heuristics type");
}

const char *
tlv_decision_algorithm_to_str(enum tlv_decision_algorithm a)
{

	switch (a) {
	case TLV_DECISION_ALGORITHM_TEST:
		return ("Test");
	case TLV_DECISION_ALGORITHM_FFSPLIT:
		return ("Fifty-Fifty split");
	case TLV_DECISION_ALGORITHM_2NODELMS:
		return ("2 Node LMS");
	case TLV_DECISION_ALGORITHM_LMS:
		return ("LMS");
	}
	return ("Unknown algorithm");
}

const char *
tlv_node_state_to_str(enum tlv_node_state s)
{

	switch (s) {
	case TLV_NODE_STATE_NOT_SET:
		return ("not set");
	case TLV_NODE_STATE_MEMBER:
		return ("member");
	case TLV_NODE_STATE_DEAD:
		return ("dead");
	case TLV_NODE_STATE_LEAVING:
		return ("leaving");
	}
	return ("Unhandled node state");
}

/* Indexed by code; the wire numbering is dense from 0. */
static const char *const tlv_reply_error_code_str[] = {
	"No error",
	"Unsupported needed message",
	"Unsupported needed option",
	"TLS required",
	"Unsupported message",
	"Message too long",
	"Preinit required",
	"Doesn't contain required option",
	"Unexpected message",
	"Error decoding message",
	"Internal error",
	"Init required",
	"Unsupported decision algorithm",
	"Invalid heartbeat interval",
	"Unsupported decision algorithm message",
	"Tie breaker differs from other nodes",
	"Algorithm differs from other nodes",
	"Duplicate node id",
	"Invalid config node list",
	"Invalid membership node list",
};

const char *
tlv_reply_error_code_to_str(enum tlv_reply_error_code code)
{
	size_t n;

	n = sizeof(tlv_reply_error_code_str) / sizeof(tlv_reply_error_code_str[0]);
	if ((unsigned int)code >= n)
		return ("Unknown error code");
	return (tlv_reply_error_code_str[code]);
}

/*
 * Reserve room for a whole TLV first, so that a refused append never
 * leaves half a TLV behind.
 */
static int
tlv_put_header(struct wbuf *wb, enum tlv_opt_type type, size_t len)
{

	if (len > UINT16_MAX) {
		wb->failed = 1;
		return (-1);
	}
	if (wbuf_reserve(wb, TLV_HEADER_LEN + len) == -1)
		return (-1);
	(void)wbuf_put_u16(wb, (uint16_t)type);
	return (wbuf_put_u16(wb, (uint16_t)len));
}

int
tlv_add_u8(struct wbuf *wb, enum tlv_opt_type type, uint8_t v)
{

	if (tlv_put_header(wb, type, 1) == -1)
		return (-1);
	return (wbuf_put_u8(wb, v));
}

int
tlv_add_u16(struct wbuf *wb, enum tlv_opt_type type, uint16_t v)
{

	if (tlv_put_header(wb, type, 2) == -1)
		return (-1);
	return (wbuf_put_u16(wb, v));
}

int
tlv_add_u32(struct wbuf *wb, enum tlv_opt_type type, uint32_t v)
{

	if (tlv_put_header(wb, type, 4) == -1)
		return (-1);
	return (wbuf_put_u32(wb, v));
}

int
tlv_add_u64(struct wbuf *wb, enum tlv_opt_type type, uint64_t v)
{

	if (tlv_put_header(wb, type, 8) == -1)
		return (-1);
	return (wbuf_put_u64(wb, v));
}

int
tlv_add_bytes(struct wbuf *wb, enum tlv_opt_type type, const void *data, size_t len)
{

	if (tlv_put_header(wb, type, len) == -1)
		return (-1);
	return (wbuf_put(wb, data, len));
}

int
tlv_add_u16_array(struct wbuf *wb, enum tlv_opt_type type, const uint16_t *a, size_t n)
{
	size_t i;

	if (n > UINT16_MAX / 2) {
		wb->failed = 1;
		return (-1);
	}
	if (tlv_put_header(wb, type, n * 2) == -1)
		return (-1);
	for (i = 0; i < n; i++)
		(void)wbuf_put_u16(wb, a[i]);
	return (0);
}

int
tlv_add_ring_id(struct wbuf *wb, const struct tlv_ring_id *ring_id)
{

	if (tlv_put_header(wb, TLV_OPT_RING_ID, TLV_RING_ID_LEN) == -1)
		return (-1);
	(void)wbuf_put_u32(wb, ring_id->node_id);
	return (wbuf_put_u64(wb, ring_id->seq));
}

int
tlv_add_tie_breaker(struct wbuf *wb, const struct tlv_tie_breaker *tb)
{
	uint32_t node_id;

	/* The node id only means something in NODE_ID mode; upstream zeroes it otherwise. */
	node_id = tb->mode == TLV_TIE_BREAKER_MODE_NODE_ID ? tb->node_id : 0;
	if (tlv_put_header(wb, TLV_OPT_TIE_BREAKER, TLV_TIE_BREAKER_LEN) == -1)
		return (-1);
	(void)wbuf_put_u8(wb, (uint8_t)tb->mode);
	return (wbuf_put_u32(wb, node_id));
}

int
tlv_add_node_info(struct wbuf *wb, uint32_t node_id, uint32_t data_center_id,
    enum tlv_node_state state)
{
	size_t len;

	len = TLV_HEADER_LEN + 4;
	if (data_center_id != 0)
		len += TLV_HEADER_LEN + 4;
	if (state != TLV_NODE_STATE_NOT_SET)
		len += TLV_HEADER_LEN + 1;
	if (tlv_put_header(wb, TLV_OPT_NODE_INFO, len) == -1)
		return (-1);
	(void)tlv_add_u32(wb, TLV_OPT_NODE_ID, node_id);
	if (data_center_id != 0)
		(void)tlv_add_u32(wb, TLV_OPT_DATA_CENTER_ID, data_center_id);
	if (state != TLV_NODE_STATE_NOT_SET)
		(void)tlv_add_u8(wb, TLV_OPT_NODE_STATE, (uint8_t)state);
	return (0);
}
