/*
 * test_frame.c - stream splitting: every chunking of the golden stream,
 * in-place hand-out, split assembly, skip of unknown-type and oversize
 * messages (up to a 4 GiB declared body), and frame_rx_want() never
 * reading past a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec/frame.h"
#include "golden.h"
#include "hex.h"

#define MAX_MSG 32768
#define MAX_EVENTS 64

struct event {
	enum frame_event kind;
	uint8_t *data;		/* copy of the message */
	size_t len;
	enum tlv_reply_error_code reason;
	int in_place;		/* message pointer pointed into the fed chunk */
};

struct events {
	struct event ev[MAX_EVENTS];
	size_t n;
};

static void
events_free(struct events *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->ev[i].data);
	e->n = 0;
}

static void
record(struct events *e, enum frame_event kind, const uint8_t *msg, size_t len,
    enum tlv_reply_error_code reason, int in_place)
{
	struct event *ev;

	if (e->n == MAX_EVENTS) {
		CHECK(0);
		return;
	}
	ev = &e->ev[e->n++];
	ev->kind = kind;
	ev->data = NULL;
	ev->len = len;
	ev->reason = reason;
	ev->in_place = in_place;
	if (kind == FRAME_MESSAGE) {
		ev->data = malloc(len);
		memcpy(ev->data, msg, len);
	}
}

/* Feed one chunk completely, as the contract says a caller must. */
static void
feed_chunk(struct frame_rx *rx, const uint8_t *p, size_t n, struct events *e)
{
	enum tlv_reply_error_code reason;
	enum frame_event ev;
	const uint8_t *msg, *chunk;
	size_t consumed, msg_len, chunk_len;

	chunk = p;
	chunk_len = n;
	for (;;) {
		msg = NULL;
		ev = frame_rx_feed(rx, p, n, &consumed, &msg, &msg_len, &reason);
		CHECK(consumed <= n);
		p += consumed;
		n -= consumed;
		if (ev == FRAME_MESSAGE) {
			record(e, ev, msg, msg_len, 0,
			    msg >= chunk && msg + msg_len <= chunk + chunk_len);
		} else if (ev == FRAME_SKIPPED) {
			record(e, ev, NULL, 0, reason, 0);
		} else if (ev == FRAME_NO_MEMORY) {
			CHECK(0);
			return;
		} else {
			/* NEED_MORE means everything was taken. */
			CHECK_EQ(n, 0);
			return;
		}
	}
}

static void
feed_chunked(struct frame_rx *rx, const uint8_t *data, size_t len, size_t chunk,
    struct events *e)
{
	size_t pos, n;

	for (pos = 0; pos < len; pos += n) {
		n = len - pos < chunk ? len - pos : chunk;
		feed_chunk(rx, data + pos, n, e);
	}
}

static uint8_t stream[8192];
static size_t stream_len;
static size_t msg_off[GOLDEN_COUNT + 1];

static void
build_golden_stream(void)
{
	size_t i;

	stream_len = 0;
	for (i = 0; i < GOLDEN_COUNT; i++) {
		msg_off[i] = stream_len;
		stream_len += hex_decode(goldens[i].hex, stream + stream_len,
		    sizeof(stream) - stream_len);
	}
	msg_off[GOLDEN_COUNT] = stream_len;
}

static void
check_golden_events(const struct events *e, int line)
{
	size_t i, len;

	check_count++;
	if (e->n != GOLDEN_COUNT) {
		check_failures++;
		fprintf(stderr, "test_frame.c:%d: %zu events, want %zu\n", line, e->n,
		    (size_t)GOLDEN_COUNT);
		return;
	}
	for (i = 0; i < GOLDEN_COUNT; i++) {
		len = msg_off[i + 1] - msg_off[i];
		CHECK_EQ(e->ev[i].kind, FRAME_MESSAGE);
		CHECK_MEM(e->ev[i].data, e->ev[i].len, stream + msg_off[i], len);
	}
}

/* Every chunk size from 1 byte to the whole stream gives the same messages. */
static void
test_chunkings(void)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 5, 6, 7, 11, 13, 29, 64, 100, 1000, 8192 };
	struct frame_rx rx;
	struct events e;
	size_t i, j;

	build_golden_stream();
	e.n = 0;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		frame_rx_init(&rx, MAX_MSG);
		feed_chunked(&rx, stream, stream_len, sizes[i], &e);
		check_golden_events(&e, __LINE__);
		/* Idle again: no buffer held, and want() asks for a header. */
		CHECK(rx.body == NULL || rx.body_have == rx.msg_len);
		feed_chunk(&rx, stream, 0, &e);
		CHECK(rx.body == NULL);
		CHECK_EQ(frame_rx_want(&rx), MSG_HEADER_LEN);
		if (sizes[i] == 8192) {
			/* One chunk: every message handed out in place, no copy. */
			for (j = 0; j < e.n; j++)
				CHECK(e.ev[j].in_place);
		}
		if (sizes[i] == 1) {
			/* Byte by byte: nothing can be in place. */
			for (j = 0; j < e.n; j++)
				CHECK(!e.ev[j].in_place);
		}
		events_free(&e);
		frame_rx_destroy(&rx);
	}
}

/* A message split in two is assembled; the next whole one is in place. */
static void
test_split(void)
{
	struct frame_rx rx;
	struct events e;
	size_t cut;

	build_golden_stream();
	e.n = 0;
	frame_rx_init(&rx, MAX_MSG);
	cut = msg_off[4] + 10;	/* inside INIT */
	feed_chunk(&rx, stream, cut, &e);
	CHECK_EQ(e.n, 4);
	CHECK(rx.body != NULL);
	CHECK_EQ(rx.msg_len, msg_off[5] - msg_off[4]);
	CHECK_EQ(frame_rx_want(&rx), msg_off[5] - cut);
	feed_chunk(&rx, stream + cut, stream_len - cut, &e);
	check_golden_events(&e, __LINE__);
	CHECK(!e.ev[4].in_place);
	CHECK(e.ev[5].in_place);
	events_free(&e);
	/* Destroying mid-assembly frees the buffer (ASan would see a leak). */
	feed_chunk(&rx, stream, 20, &e);
	CHECK(rx.body != NULL);
	frame_rx_destroy(&rx);
	CHECK(rx.body == NULL);
	events_free(&e);
}

/* Zero-length bodies: valid types are messages (decode rejects them later). */
static void
test_empty_body(void)
{
	static const uint8_t m[] = { 0, 8, 0, 0, 0, 0, 0, 99, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0 };
	struct frame_rx rx;
	struct events e;
	size_t chunk;

	for (chunk = 1; chunk <= sizeof(m); chunk++) {
		e.n = 0;
		frame_rx_init(&rx, MAX_MSG);
		feed_chunked(&rx, m, sizeof(m), chunk, &e);
		CHECK_EQ(e.n, 3);
		CHECK(e.n == 3 && e.ev[0].kind == FRAME_MESSAGE && e.ev[0].len == 6);
		/* empty body: reason 0, as Debian answers (frame.c) */
		CHECK(e.n == 3 && e.ev[1].kind == FRAME_SKIPPED &&
		    e.ev[1].reason == TLV_REPLY_ERROR_CODE_NO_ERROR);
		CHECK(e.n == 3 && e.ev[2].kind == FRAME_MESSAGE && e.ev[2].len == 6);
		CHECK(e.n == 3 && memcmp(e.ev[2].data, m + 12, 6) == 0);
		events_free(&e);
		frame_rx_destroy(&rx);
	}
}

/* Unknown type 99 (reason 4), then a 40000-byte body (reason 5), then a good message. */
static void
test_skip(void)
{
	static uint8_t buf[50000];
	struct frame_rx rx;
	struct events e;
	size_t n, chunk, i;
	static const size_t chunks[] = { 1, 5, 6, 7, 1024, 50000 };

	n = hex_decode("0063 00000005 0102030405", buf, sizeof(buf));
	buf[n++] = 0;
	buf[n++] = 8;
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 0x9c;
	buf[n++] = 0x40;
	memset(buf + n, 0xee, 40000);
	n += 40000;
	n += hex_decode(G_ECHO_REQUEST, buf + n, sizeof(buf) - n);

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		chunk = chunks[i];
		e.n = 0;
		frame_rx_init(&rx, MAX_MSG);
		feed_chunked(&rx, buf, n, chunk, &e);
		CHECK_EQ(e.n, 3);
		CHECK(e.n == 3 && e.ev[0].kind == FRAME_SKIPPED && e.ev[0].reason == 4);
		CHECK(e.n == 3 && e.ev[1].kind == FRAME_SKIPPED && e.ev[1].reason == 5);
		CHECK(e.n == 3 && e.ev[2].kind == FRAME_MESSAGE && e.ev[2].len == 14);
		CHECK(rx.body == NULL);
		events_free(&e);
		frame_rx_destroy(&rx);
	}

	/* Reported only once the last declared body byte has gone by. */
	e.n = 0;
	frame_rx_init(&rx, MAX_MSG);
	feed_chunk(&rx, buf, 10, &e);
	CHECK_EQ(e.n, 0);
	CHECK(rx.skipping);
	CHECK_EQ(frame_rx_want(&rx), 1);
	feed_chunk(&rx, buf + 10, 1, &e);
	CHECK_EQ(e.n, 1);
	CHECK(!rx.skipping);
	events_free(&e);
	frame_rx_destroy(&rx);
}

/* 6 + len == max is accepted, one more byte is too long. */
static void
test_size_boundary(void)
{
	static uint8_t buf[2 * 40];
	struct frame_rx rx;
	struct events e;

	memset(buf, 0, sizeof(buf));
	buf[1] = 8;
	buf[5] = 34;		/* 6 + 34 = 40 */
	buf[40 + 1] = 8;
	buf[40 + 5] = 35;	/* 6 + 35 = 41 */
	e.n = 0;
	frame_rx_init(&rx, 40);
	feed_chunk(&rx, buf, sizeof(buf), &e);
	CHECK_EQ(e.n, 1);
	CHECK(e.n >= 1 && e.ev[0].kind == FRAME_MESSAGE && e.ev[0].len == 40);
	CHECK(rx.skipping);
	CHECK_EQ(rx.skip_left, 35 - 34);
	feed_chunk(&rx, buf, 1, &e);
	CHECK_EQ(e.n, 2);
	CHECK(e.n == 2 && e.ev[1].kind == FRAME_SKIPPED && e.ev[1].reason == 5);
	events_free(&e);
	frame_rx_destroy(&rx);
}

/* A header claiming 4 GiB: no allocation, skipped, reported after 4 GiB. */
static void
test_4gib(void)
{
	static uint8_t zero[1 << 20];
	static const uint8_t hdr_len[] = { 0, 8, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t hdr_type[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct frame_rx rx;
	struct events e;
	uint64_t left;
	size_t n;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		e.n = 0;
		frame_rx_init(&rx, MAX_MSG);
		feed_chunk(&rx, pass == 0 ? hdr_len : hdr_type, 6, &e);
		CHECK_EQ(e.n, 0);
		CHECK(rx.skipping && rx.body == NULL);
		CHECK_EQ(rx.skip_left, 0xffffffffu);
		CHECK_EQ(frame_rx_want(&rx), 0xffffffffu);
		for (left = 0xffffffffu; left > 0; left -= n) {
			n = left < sizeof(zero) ? (size_t)left : sizeof(zero);
			CHECK_EQ(e.n, 0);
			feed_chunk(&rx, zero, n, &e);
		}
		CHECK_EQ(e.n, 1);
		CHECK(e.n == 1 && e.ev[0].kind == FRAME_SKIPPED);
		CHECK(e.n == 1 && e.ev[0].reason == (pass == 0 ?
		    TLV_REPLY_ERROR_CODE_MESSAGE_TOO_LONG :
		    TLV_REPLY_ERROR_CODE_UNSUPPORTED_MESSAGE));
		CHECK(!rx.skipping);
		events_free(&e);
		frame_rx_destroy(&rx);
	}
}

/*
 * Reading exactly frame_rx_want() bytes at a time never crosses a message
 * boundary, so the bytes after STARTTLS (a TLS ClientHello) stay unread.
 */
static void
test_want(void)
{
	static uint8_t buf[16384];
	static size_t bounds[GOLDEN_COUNT + 4];
	enum tlv_reply_error_code reason;
	struct frame_rx rx;
	const uint8_t *msg;
	size_t n, pos, nb, b, want, consumed, msg_len, i;
	enum frame_event ev;

	/* goldens, a skipped message, STARTTLS, then "TLS" bytes */
	n = 0;
	nb = 0;
	for (i = 0; i < GOLDEN_COUNT; i++) {
		n += hex_decode(goldens[i].hex, buf + n, sizeof(buf) - n);
		bounds[nb++] = n;
	}
	n += hex_decode("0063 00000003 aabbcc", buf + n, sizeof(buf) - n);
	bounds[nb++] = n;
	n += hex_decode(G_STARTTLS, buf + n, sizeof(buf) - n);
	bounds[nb++] = n;
	n += hex_decode("16 03 01 02 00 01 00 01 fc 03 03", buf + n, sizeof(buf) - n);

	frame_rx_init(&rx, MAX_MSG);
	pos = 0;
	b = 0;
	while (b < nb) {
		want = frame_rx_want(&rx);
		CHECK(want >= 1);
		CHECK(pos + want <= bounds[b]);
		if (pos + want > bounds[b])
			break;
		ev = frame_rx_feed(&rx, buf + pos, want, &consumed, &msg, &msg_len, &reason);
		CHECK_EQ(consumed, want);
		pos += consumed;
		if (ev == FRAME_MESSAGE || ev == FRAME_SKIPPED) {
			CHECK_EQ(pos, bounds[b]);
			b++;
		} else {
			CHECK_EQ(ev, FRAME_NEED_MORE);
		}
	}
	CHECK_EQ(b, nb);
	CHECK_EQ(pos, bounds[nb - 1]);
	CHECK_EQ(frame_rx_want(&rx), MSG_HEADER_LEN);
	frame_rx_destroy(&rx);
}

int
main(void)
{

	test_chunkings();
	test_split();
	test_empty_body();
	test_skip();
	test_size_boundary();
	test_4gib();
	test_want();
	return (check_exit("frame"));
}
