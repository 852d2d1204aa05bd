/*
 * frame.h - incremental splitting of a byte stream into messages, with
 * the size/type checks done at header time (protocol.md 1.8).  Pure.
 *
 * Memory: a complete message that arrives inside one fed chunk is
 * returned in place (no copy).  Only a message split across chunks is
 * assembled in a heap buffer sized to that message, freed when it has
 * been handed out.  So an idle connection holds no buffer.
 */
#ifndef QNETD_FRAME_H
#define QNETD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "codec/msg.h"
#include "codec/tlv.h"

enum frame_event {
	FRAME_NEED_MORE = 0,  /* all input consumed, no complete message yet */
	FRAME_MESSAGE = 1,    /* *msg / *msg_len hold one whole message (header + body) */
	FRAME_SKIPPED = 2,    /* a message was discarded; *skip_reason is 4 or 5 (0 for an
				 * unknown type with an empty body, as upstream answers) */
	FRAME_NO_MEMORY = -1, /* could not allocate the assembly buffer */
};

struct frame_rx {
	uint8_t hdr[MSG_HEADER_LEN];
	size_t hdr_len;     /* header bytes collected so far */
	uint8_t *body;      /* assembly buffer for a split message (header + body) */
	size_t body_have;   /* bytes of header+body in body */
	size_t msg_len;     /* 6 + declared length of the current message */
	uint64_t skip_left; /* body bytes still to discard */
	enum tlv_reply_error_code skip_reason;
	int skipping;
	size_t max_msg_len; /* max_client_receive_size: header + body */
};

void frame_rx_init(struct frame_rx *rx, size_t max_msg_len);
void frame_rx_destroy(struct frame_rx *rx);

/*
 * How many bytes may be read from the socket without reading past the end
 * of the current message (used before STARTTLS, where over-reading would
 * swallow the TLS ClientHello).  Always >= 1.
 */
size_t frame_rx_want(const struct frame_rx *rx);

/*
 * Consume up to len bytes of data.  Sets *consumed to the bytes used.
 * Returns one event; call again with the rest while *consumed < len or an
 * event other than FRAME_NEED_MORE was returned.  For FRAME_MESSAGE the
 * returned pointer is valid until the next call.  A header whose type is
 * not 0..17 gives skip reason UNSUPPORTED_MESSAGE; 6 + length > max gives
 * MESSAGE_TOO_LONG; FRAME_SKIPPED is reported once the declared body has
 * been discarded.
 */
enum frame_event frame_rx_feed(struct frame_rx *rx, const uint8_t *data, size_t len,
    size_t *consumed, const uint8_t **msg, size_t *msg_len, enum tlv_reply_error_code *skip_reason);

#endif
