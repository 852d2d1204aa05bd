/*
 * fuzz_decode.c - libFuzzer target for the codec.
 *
 * The input is used twice: as one whole message for msg_decode(), and as
 * a byte stream for frame_rx, fed three ways (one chunk, pseudo-random
 * chunks, and exact frame_rx_want() reads).  Every framed message is
 * decoded too.  Besides the sanitizers, it checks invariants and that the
 * three feedings see the very same sequence of events: framing must not
 * depend on how the bytes were cut.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/frame.h"
#include "codec/msg.h"
#include "codec/wbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_EVENTS 4096

struct fuzz_event {
	enum frame_event kind;
	enum tlv_reply_error_code reason;
	size_t len;
	uint64_t hash;
};

struct fuzz_run {
	struct fuzz_event ev[FUZZ_MAX_EVENTS];
	size_t n;
};

static struct fuzz_run runs[3];

static uint64_t
fuzz_hash(const uint8_t *p, size_t n)
{
	uint64_t h;
	size_t i;

	h = 1469598103934665603ULL;
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return (h);
}

static void
fuzz_check_decoded(const struct msg_decoded *m)
{

	if (m->cluster_name_set &&
	    (m->cluster_name == NULL || m->cluster_name[m->cluster_name_len] != '\0'))
		abort();
	if (m->supported_messages_set && m->supported_messages == NULL)
		abort();
	if (m->supported_options_set && m->supported_options == NULL)
		abort();
	if (m->supported_decision_algorithms_set && m->supported_decision_algorithms == NULL)
		abort();
	if (m->nodes.count > m->nodes.cap)
		abort();
	if (m->vote_set && (m->vote < TLV_VOTE_ACK || m->vote > TLV_VOTE_NO_CHANGE))
		abort();
	if (m->tie_breaker_set && m->tie_breaker.mode != TLV_TIE_BREAKER_MODE_NODE_ID &&
	    m->tie_breaker.node_id != 0)
		abort();
}

static void
fuzz_decode(const uint8_t *p, size_t n)
{
	struct msg_decoded m;

	msg_decoded_init(&m);
	(void)msg_decode(p, n, &m);
	fuzz_check_decoded(&m);
	msg_decoded_destroy(&m);
}

/* A framed message: whole, valid type, within the limit; then decode it. */
static void
fuzz_on_message(const uint8_t *msg, size_t len, size_t max)
{
	uint16_t type;
	uint32_t body_len;
	struct wbuf wb;

	if (len < MSG_HEADER_LEN || len > max)
		abort();
	msg_header_parse(msg, &type, &body_len);
	if (!msg_type_is_valid(type) || (uint64_t)body_len + MSG_HEADER_LEN != len)
		abort();
	fuzz_decode(msg, len);
	/* The echo reply is the same bytes with type 9. */
	wbuf_init(&wb, len);
	if (msg_create_echo_reply(&wb, msg, len) != 0 || wb.len != len ||
	    wb.data[0] != 0 || wb.data[1] != MSG_TYPE_ECHO_REPLY ||
	    memcmp(wb.data + 2, msg + 2, len - 2) != 0)
		abort();
	wbuf_destroy(&wb);
}

static void
fuzz_record(struct fuzz_run *run, enum frame_event kind, enum tlv_reply_error_code reason,
    const uint8_t *msg, size_t len)
{
	struct fuzz_event *ev;

	if (run->n == FUZZ_MAX_EVENTS)
		return;
	ev = &run->ev[run->n++];
	ev->kind = kind;
	ev->reason = kind == FRAME_SKIPPED ? reason : 0;
	ev->len = len;
	ev->hash = kind == FRAME_MESSAGE ? fuzz_hash(msg, len) : 0;
}

/* Feed one chunk until it is used up, as the frame.h contract asks. */
static void
fuzz_feed(struct frame_rx *rx, const uint8_t *p, size_t n, struct fuzz_run *run)
{
	enum tlv_reply_error_code reason;
	enum frame_event ev;
	const uint8_t *msg;
	size_t consumed, msg_len;

	for (;;) {
		msg = NULL;
		msg_len = 0;
		reason = 0;
		ev = frame_rx_feed(rx, p, n, &consumed, &msg, &msg_len, &reason);
		if (consumed > n)
			abort();
		p += consumed;
		n -= consumed;
		switch (ev) {
		case FRAME_MESSAGE:
			fuzz_on_message(msg, msg_len, rx->max_msg_len);
			fuzz_record(run, ev, reason, msg, msg_len);
			break;
		case FRAME_SKIPPED:
			/* 0: an unknown type with an empty body, as upstream answers */
			if (reason != TLV_REPLY_ERROR_CODE_UNSUPPORTED_MESSAGE &&
			    reason != TLV_REPLY_ERROR_CODE_MESSAGE_TOO_LONG &&
			    reason != TLV_REPLY_ERROR_CODE_NO_ERROR)
				abort();
			fuzz_record(run, ev, reason, NULL, 0);
			break;
		case FRAME_NEED_MORE:
			if (n != 0)
				abort();
			return;
		case FRAME_NO_MEMORY:
			return;
		}
	}
}

static int
fuzz_same(const struct fuzz_run *a, const struct fuzz_run *b)
{
	size_t i;

	if (a->n != b->n)
		return (0);
	for (i = 0; i < a->n; i++) {
		if (a->ev[i].kind != b->ev[i].kind || a->ev[i].reason != b->ev[i].reason ||
		    a->ev[i].len != b->ev[i].len || a->ev[i].hash != b->ev[i].hash)
			return (0);
	}
	return (1);
}

/* xorshift, seeded from the input, so a crash reproduces exactly. */
static uint64_t
fuzz_rand(uint64_t *s)
{

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

static void
fuzz_frame(const uint8_t *data, size_t size, size_t max)
{
	struct frame_rx rx;
	uint64_t seed;
	size_t pos, n, want;

	/* 1: the whole input as one chunk */
	runs[0].n = 0;
	frame_rx_init(&rx, max);
	fuzz_feed(&rx, data, size, &runs[0]);
	frame_rx_destroy(&rx);

	/* 2: pseudo-random chunks, many of them tiny */
	runs[1].n = 0;
	seed = fuzz_hash(data, size) | 1;
	frame_rx_init(&rx, max);
	for (pos = 0; pos < size; pos += n) {
		n = (size_t)(fuzz_rand(&seed) % 4 == 0 ? fuzz_rand(&seed) % 256 : fuzz_rand(&seed) % 8);
		if (n > size - pos)
			n = size - pos;
		fuzz_feed(&rx, data + pos, n, &runs[1]);
	}
	frame_rx_destroy(&rx);

	/* 3: exact reads of frame_rx_want() bytes */
	runs[2].n = 0;
	frame_rx_init(&rx, max);
	for (pos = 0; pos < size; pos += n) {
		want = frame_rx_want(&rx);
		if (want == 0)
			abort();
		n = want < size - pos ? want : size - pos;
		fuzz_feed(&rx, data + pos, n, &runs[2]);
	}
	frame_rx_destroy(&rx);

	if (!fuzz_same(&runs[0], &runs[1]) || !fuzz_same(&runs[0], &runs[2]))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max;

	fuzz_decode(data, size);
	/* Mostly the real limit; sometimes a small one, to reach the size skip. */
	max = 32768;
	if (size > 0 && data[size - 1] < 64)
		max = 16 + (size_t)data[size - 1] * 8;
	fuzz_frame(data, size, max);
	return (0);
}
