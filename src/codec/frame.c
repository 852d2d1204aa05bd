/*
 * frame.c - split a byte stream into messages, checking type and size
 * as soon as the 6-byte header is complete (protocol.md 1.8).
 *
 * A message that lies wholly inside one fed chunk is handed out in
 * place.  Only a message split across chunks is copied, into a buffer of
 * exactly its size (never more than max_msg_len, which the header check
 * guarantees), released on the next call.  A rejected message is not
 * buffered at all: its declared body is counted off as it streams past,
 * so a header claiming 4 GiB costs nothing but time.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/frame.h"

void
frame_rx_init(struct frame_rx *rx, size_t max_msg_len)
{

	memset(rx, 0, sizeof(*rx));
	rx->max_msg_len = max_msg_len;
}

void
frame_rx_destroy(struct frame_rx *rx)
{

	free(rx->body);
	frame_rx_init(rx, rx->max_msg_len);
}

/* The assembled message was handed out by the previous call: drop it now. */
static void
frame_release(struct frame_rx *rx)
{

	if (rx->body != NULL && rx->body_have == rx->msg_len) {
		free(rx->body);
		rx->body = NULL;
		rx->body_have = 0;
		rx->msg_len = 0;
	}
}

size_t
frame_rx_want(const struct frame_rx *rx)
{
	uint16_t type;
	uint32_t body_len;

	if (rx->skipping)
		return (rx->skip_left > SIZE_MAX ? SIZE_MAX : (size_t)rx->skip_left);
	if (rx->body != NULL && rx->body_have < rx->msg_len)
		return (rx->msg_len - rx->body_have);
	if (rx->hdr_len < MSG_HEADER_LEN)
		return (MSG_HEADER_LEN - rx->hdr_len);
	/* A complete header still waiting for its buffer (after NO_MEMORY). */
	msg_header_parse(rx->hdr, &type, &body_len);
	return (body_len > 0 ? body_len : 1);
}

/*
 * Type first, then size, as upstream does; 0 if the message is acceptable.
 * 64-bit sum: 6 + a u32 length must not wrap on a 32-bit size_t.
 */
static enum tlv_reply_error_code
frame_check(const struct frame_rx *rx, uint16_t type, uint32_t body_len)
{

	if (!msg_type_is_valid(type))
		return (TLV_REPLY_ERROR_CODE_UNSUPPORTED_MESSAGE);
	if ((uint64_t)MSG_HEADER_LEN + body_len > (uint64_t)rx->max_msg_len)
		return (TLV_REPLY_ERROR_CODE_MESSAGE_TOO_LONG);
	return (TLV_REPLY_ERROR_CODE_NO_ERROR);
}

/*
 * Enter skip mode; a rejected message with an empty body is done at once.
 * Its reason is reported as NO_ERROR: upstream's reader sees the message
 * end in the same read that completes the header, before it records the
 * reason, so Debian answers such a message with SERVER_ERROR code 0 (only
 * an unknown type can get here: 6 + 0 never exceeds the size limit).
 */
static enum frame_event
frame_start_skip(struct frame_rx *rx, enum tlv_reply_error_code reason, uint32_t body_len,
    enum tlv_reply_error_code *skip_reason)
{

	rx->hdr_len = 0;
	if (body_len == 0) {
		(void)reason;
		*skip_reason = TLV_REPLY_ERROR_CODE_NO_ERROR;
		return (FRAME_SKIPPED);
	}
	rx->skipping = 1;
	rx->skip_left = body_len;
	rx->skip_reason = reason;
	return (FRAME_NEED_MORE);
}

static enum frame_event
frame_skip_step(struct frame_rx *rx, size_t avail, size_t *off,
    enum tlv_reply_error_code *skip_reason)
{
	size_t n;

	n = rx->skip_left < avail ? (size_t)rx->skip_left : avail;
	*off += n;
	rx->skip_left -= n;
	if (rx->skip_left > 0)
		return (FRAME_NEED_MORE);
	rx->skipping = 0;
	*skip_reason = rx->skip_reason;
	return (FRAME_SKIPPED);
}

static enum frame_event
frame_body_step(struct frame_rx *rx, const uint8_t *data, size_t avail, size_t *off,
    const uint8_t **msg, size_t *msg_len)
{
	size_t n;

	n = rx->msg_len - rx->body_have;
	if (n > avail)
		n = avail;
	memcpy(rx->body + rx->body_have, data, n);
	rx->body_have += n;
	*off += n;
	if (rx->body_have < rx->msg_len)
		return (FRAME_NEED_MORE);
	*msg = rx->body;
	*msg_len = rx->msg_len;
	return (FRAME_MESSAGE);
}

/*
 * Start assembling a split message of msg_len bytes: allocate exactly
 * that and copy the 6 header bytes; the caller appends the body.
 */
static enum frame_event
frame_start_assembly(struct frame_rx *rx, const uint8_t *hdr, size_t msg_len)
{

	rx->body = malloc(msg_len);
	if (rx->body == NULL)
		return (FRAME_NO_MEMORY);
	memcpy(rx->body, hdr, MSG_HEADER_LEN);
	rx->body_have = MSG_HEADER_LEN;
	rx->msg_len = msg_len;
	rx->hdr_len = 0;
	return (FRAME_NEED_MORE);
}

/*
 * The header in rx->hdr is complete.  Its message is split by definition,
 * except an empty-bodied one, which rx->hdr itself can hand out (it is
 * only overwritten by the next call).
 */
static enum frame_event
frame_header_done(struct frame_rx *rx, const uint8_t **msg, size_t *msg_len,
    enum tlv_reply_error_code *skip_reason)
{
	enum tlv_reply_error_code reason;
	uint16_t type;
	uint32_t body_len;

	msg_header_parse(rx->hdr, &type, &body_len);
	reason = frame_check(rx, type, body_len);
	if (reason != TLV_REPLY_ERROR_CODE_NO_ERROR)
		return (frame_start_skip(rx, reason, body_len, skip_reason));
	if (body_len == 0) {
		rx->hdr_len = 0;
		*msg = rx->hdr;
		*msg_len = MSG_HEADER_LEN;
		return (FRAME_MESSAGE);
	}
	return (frame_start_assembly(rx, rx->hdr, MSG_HEADER_LEN + (size_t)body_len));
}

static enum frame_event
frame_header_step(struct frame_rx *rx, const uint8_t *data, size_t avail, size_t *off,
    const uint8_t **msg, size_t *msg_len, enum tlv_reply_error_code *skip_reason)
{
	size_t n;

	n = MSG_HEADER_LEN - rx->hdr_len;
	if (n > avail)
		n = avail;
	memcpy(rx->hdr + rx->hdr_len, data, n);
	rx->hdr_len += n;
	*off += n;
	if (rx->hdr_len < MSG_HEADER_LEN)
		return (FRAME_NEED_MORE);
	return (frame_header_done(rx, msg, msg_len, skip_reason));
}

/* A whole header at data: the common case, handled without copying. */
static enum frame_event
frame_fast_step(struct frame_rx *rx, const uint8_t *data, size_t avail, size_t *off,
    const uint8_t **msg, size_t *msg_len, enum tlv_reply_error_code *skip_reason)
{
	enum tlv_reply_error_code reason;
	enum frame_event ev;
	uint16_t type;
	uint32_t body_len;
	size_t len;

	msg_header_parse(data, &type, &body_len);
	reason = frame_check(rx, type, body_len);
	if (reason != TLV_REPLY_ERROR_CODE_NO_ERROR) {
		*off += MSG_HEADER_LEN;
		return (frame_start_skip(rx, reason, body_len, skip_reason));
	}
	len = MSG_HEADER_LEN + (size_t)body_len;
	if (len <= avail) {
		*off += len;
		*msg = data;
		*msg_len = len;
		return (FRAME_MESSAGE);
	}
	/* Nothing is consumed on NO_MEMORY, so the caller may simply retry. */
	if ((ev = frame_start_assembly(rx, data, len)) != FRAME_NEED_MORE)
		return (ev);
	memcpy(rx->body + MSG_HEADER_LEN, data + MSG_HEADER_LEN, avail - MSG_HEADER_LEN);
	rx->body_have = avail;
	*off += avail;
	return (FRAME_NEED_MORE);
}

enum frame_event
frame_rx_feed(struct frame_rx *rx, const uint8_t *data, size_t len, size_t *consumed,
    const uint8_t **msg, size_t *msg_len, enum tlv_reply_error_code *skip_reason)
{
	enum frame_event ev;
	size_t off;

	off = 0;
	ev = FRAME_NEED_MORE;
	frame_release(rx);
	if (rx->hdr_len == MSG_HEADER_LEN)
		ev = frame_header_done(rx, msg, msg_len, skip_reason);
	while (ev == FRAME_NEED_MORE && off < len) {
		if (rx->skipping) {
			ev = frame_skip_step(rx, len - off, &off, skip_reason);
		} else if (rx->body != NULL) {
			ev = frame_body_step(rx, data + off, len - off, &off, msg, msg_len);
		} else if (rx->hdr_len == 0 && len - off >= MSG_HEADER_LEN) {
			ev = frame_fast_step(rx, data + off, len - off, &off, msg, msg_len,
			    skip_reason);
		} else {
			ev = frame_header_step(rx, data + off, len - off, &off, msg, msg_len,
			    skip_reason);
		}
	}
	*consumed = off;
	return (ev);
}
