/*
 * tlv.c (test stand-in) - the few tlv.h helpers the cluster and
 * algorithm modules use, for unit tests built before the codec's
 * src/tlv.c lands.  The Makefile drops this file once src/tlv.c exists.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include "tlv.h"

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
	return (a->mode != TLV_TIE_BREAKER_MODE_NODE_ID || a->node_id == b->node_id);
}

static int
heuristics_rank(enum tlv_heuristics h)
{

	switch (h) {
	case TLV_HEURISTICS_PASS:
		return (2);
	case TLV_HEURISTICS_UNDEFINED:
		return (1);
	default:
		return (0);
	}
}

int
tlv_heuristics_cmp(enum tlv_heuristics a, enum tlv_heuristics b)
{
	int ra, rb;

	ra = heuristics_rank(a);
	rb = heuristics_rank(b);
	return (ra < rb ? -1 : ra > rb);
}

const char *
tlv_vote_to_str(enum tlv_vote vote)
{

	switch (vote) {
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
	default:
		return ("Undefined");
	}
}
