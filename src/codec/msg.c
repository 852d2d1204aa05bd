/*
 * msg.c - message header, typed decode of a whole message, and the
 * builders for every message type.
 *
 * The decoder reproduces upstream's acceptance rules exactly (protocol.md
 * 1.3/1.4), because the error a peer gets back is part of the wire
 * contract: which TLV is rejected, with which class of error, and which
 * fields survive a failed decode.
 *
 * SPDX-License-Identifier: BSD-3-Clause
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/msg.h"
#include "codec/rcursor.h"

/* Fixed value sizes from the protocol.md 1.4 table. */
#define OPT_U8_LEN 1
#define OPT_U16_LEN 2
#define OPT_U32_LEN 4
#define OPT_U64_LEN 8
#define OPT_RING_ID_LEN 12
#define OPT_TIE_BREAKER_LEN 5

/* What the server advertises in INIT_REPLY: every message and option it knows. */
#define MSG_ALL_OPTIONS TLV_OPT_COUNT

/*
 * Header and type helpers
 */

void
msg_header_parse(const uint8_t hdr[MSG_HEADER_LEN], uint16_t *type, uint32_t *body_len)
{

	*type = (uint16_t)((uint16_t)hdr[0] << 8 | hdr[1]);
	*body_len =
	    (uint32_t)hdr[2] << 24 | (uint32_t)hdr[3] << 16 | (uint32_t)hdr[4] << 8 | hdr[5];
}

int
msg_type_is_valid(uint32_t type)
{

	return (type < MSG_TYPE_COUNT);
}

int
msg_type_is_client_to_server(uint32_t type)
{

	switch (type) {
	case MSG_TYPE_PREINIT:
	case MSG_TYPE_STARTTLS:
	case MSG_TYPE_INIT:
	case MSG_TYPE_SET_OPTION:
	case MSG_TYPE_ECHO_REQUEST:
	case MSG_TYPE_NODE_LIST:
	case MSG_TYPE_ASK_FOR_VOTE:
	case MSG_TYPE_VOTE_INFO_REPLY:
	case MSG_TYPE_HEURISTICS_CHANGE:
		return (1);
	}
	return (0);
}

static const char *const msg_type_str[MSG_TYPE_COUNT] = {
	"Preinit",
	"Preinit reply",
	"StartTLS",
	"Init",
	"Init reply",
	"Server error",
	"Set option",
	"Set option reply",
	"Echo request",
	"Echo reply",
	"Node list",
	"Node list reply",
	"Ask for vote",
	"Ask for vote reply",
	"Vote info",
	"Vote info reply",
	"Heuristics change",
	"Heuristics change reply",
};

const char *
msg_type_to_str(uint32_t type)
{

	if (!msg_type_is_valid(type))
		return ("Unknown message type");
	return (msg_type_str[type]);
}

/*
 * Decoder
 */

void
msg_decoded_init(struct msg_decoded *m)
{

	memset(m, 0, sizeof(*m));
	node_list_init(&m->nodes);
}

void
msg_decoded_destroy(struct msg_decoded *m)
{

	free(m->cluster_name);
	free(m->supported_messages);
	free(m->supported_options);
	free(m->supported_decision_algorithms);
	node_list_destroy(&m->nodes);
	msg_decoded_init(m);
}

/*
 * One TLV from c: its type and a cursor over exactly its value.  A header
 * or value cut short by the end of the list is INCONSISTENT, which also
 * covers upstream's "1..3 trailing bytes" rule.
 */
static enum msg_decode_result
msg_next_tlv(struct rcursor *c, uint16_t *type, struct rcursor *value)
{
	const uint8_t *p;
	uint16_t len;

	if (c->left < TLV_HEADER_LEN)
		return (MSG_DECODE_INCONSISTENT);
	(void)rcursor_u16(c, type);
	(void)rcursor_u16(c, &len);
	if (rcursor_bytes(c, len, &p) == -1)
		return (MSG_DECODE_INCONSISTENT);
	rcursor_init(value, p, len);
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_get_u8(struct rcursor *v, uint8_t *out)
{

	if (v->left != OPT_U8_LEN)
		return (MSG_DECODE_BAD_LENGTH);
	(void)rcursor_u8(v, out);
	return (MSG_DECODE_OK);
}

/* A one-byte enumerated value that must lie in lo..hi. */
static enum msg_decode_result
msg_get_enum(struct rcursor *v, uint8_t lo, uint8_t hi, uint8_t *out)
{
	uint8_t u8;

	if (v->left != OPT_U8_LEN)
		return (MSG_DECODE_BAD_LENGTH);
	(void)rcursor_u8(v, &u8);
	if (u8 < lo || u8 > hi)
		return (MSG_DECODE_BAD_VALUE);
	*out = u8;
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_get_u16(struct rcursor *v, uint16_t *out)
{

	if (v->left != OPT_U16_LEN)
		return (MSG_DECODE_BAD_LENGTH);
	(void)rcursor_u16(v, out);
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_get_u32(struct rcursor *v, uint32_t *out)
{

	if (v->left != OPT_U32_LEN)
		return (MSG_DECODE_BAD_LENGTH);
	(void)rcursor_u32(v, out);
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_get_u64(struct rcursor *v, uint64_t *out)
{

	if (v->left != OPT_U64_LEN)
		return (MSG_DECODE_BAD_LENGTH);
	(void)rcursor_u64(v, out);
	return (MSG_DECODE_OK);
}

/*
 * A packed u16 array.  The new array replaces *arr only once it is fully
 * decoded, so a failure leaves the previous occurrence intact.  An empty
 * array still gets a (1-element) allocation so that "set" implies non-NULL.
 */
static enum msg_decode_result
msg_get_u16_array(struct rcursor *v, uint16_t **arr, size_t *n)
{
	uint16_t *a;
	size_t i, count;

	if (v->left % 2 != 0)
		return (MSG_DECODE_BAD_LENGTH);
	count = v->left / 2;
	a = malloc((count > 0 ? count : 1) * sizeof(*a));
	if (a == NULL)
		return (MSG_DECODE_NO_MEMORY);
	for (i = 0; i < count; i++)
		(void)rcursor_u16(v, &a[i]);
	free(*arr);
	*arr = a;
	*n = count;
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_dec_seq(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	if ((r = msg_get_u32(v, &m->seq_number)) == MSG_DECODE_OK)
		m->seq_number_set = 1;
	return (r);
}

/* Raw bytes, no NUL on the wire; keep a NUL-terminated copy plus the length. */
static enum msg_decode_result
msg_dec_cluster_name(struct rcursor *v, struct msg_decoded *m)
{
	const uint8_t *p;
	size_t len;
	char *s;

	len = v->left;
	(void)rcursor_bytes(v, len, &p);
	s = malloc(len + 1);
	if (s == NULL)
		return (MSG_DECODE_NO_MEMORY);
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	free(m->cluster_name);
	m->cluster_name = s;
	m->cluster_name_len = len;
	m->cluster_name_set = 1;
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_dec_tls_supported(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;
	uint8_t u8;

	r = msg_get_enum(v, TLV_TLS_UNSUPPORTED, TLV_TLS_REQUIRED, &u8);
	if (r != MSG_DECODE_OK)
		return (r);
	m->tls_supported = (enum tlv_tls_supported)u8;
	m->tls_supported_set = 1;
	return (MSG_DECODE_OK);
}

/* Any byte is accepted: upstream treats it as a plain boolean. */
static enum msg_decode_result
msg_dec_tls_cert_required(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	if ((r = msg_get_u8(v, &m->tls_client_cert_required)) == MSG_DECODE_OK)
		m->tls_client_cert_required_set = 1;
	return (r);
}

static enum msg_decode_result
msg_dec_supported_messages(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	r = msg_get_u16_array(v, &m->supported_messages, &m->no_supported_messages);
	if (r == MSG_DECODE_OK)
		m->supported_messages_set = 1;
	return (r);
}

static enum msg_decode_result
msg_dec_supported_options(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	r = msg_get_u16_array(v, &m->supported_options, &m->no_supported_options);
	if (r == MSG_DECODE_OK)
		m->supported_options_set = 1;
	return (r);
}

/* Not range checked: a client only reads it and unknown codes are still errors. */
static enum msg_decode_result
msg_dec_reply_error_code(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;
	uint16_t u16;

	if ((r = msg_get_u16(v, &u16)) != MSG_DECODE_OK)
		return (r);
	m->reply_error_code = (enum tlv_reply_error_code)u16;
	m->reply_error_code_set = 1;
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_dec_max_request(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	r = msg_get_u32(v, &m->server_maximum_request_size);
	if (r == MSG_DECODE_OK)
		m->server_maximum_request_size_set = 1;
	return (r);
}

static enum msg_decode_result
msg_dec_max_reply(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	r = msg_get_u32(v, &m->server_maximum_reply_size);
	if (r == MSG_DECODE_OK)
		m->server_maximum_reply_size_set = 1;
	return (r);
}

static enum msg_decode_result
msg_dec_node_id(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	if ((r = msg_get_u32(v, &m->node_id)) == MSG_DECODE_OK)
		m->node_id_set = 1;
	return (r);
}

static enum msg_decode_result
msg_dec_supported_algorithms(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	r = msg_get_u16_array(v, &m->supported_decision_algorithms,
	    &m->no_supported_decision_algorithms);
	if (r == MSG_DECODE_OK)
		m->supported_decision_algorithms_set = 1;
	return (r);
}

/* Range checked at INIT (error 12), not here (which would be error 9). */
static enum msg_decode_result
msg_dec_decision_algorithm(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	if ((r = msg_get_u16(v, &m->decision_algorithm)) == MSG_DECODE_OK)
		m->decision_algorithm_set = 1;
	return (r);
}

static enum msg_decode_result
msg_dec_heartbeat_interval(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	if ((r = msg_get_u32(v, &m->heartbeat_interval)) == MSG_DECODE_OK)
		m->heartbeat_interval_set = 1;
	return (r);
}

static enum msg_decode_result
msg_dec_ring_id(struct rcursor *v, struct msg_decoded *m)
{

	if (v->left != OPT_RING_ID_LEN)
		return (MSG_DECODE_BAD_LENGTH);
	(void)rcursor_u32(v, &m->ring_id.node_id);
	(void)rcursor_u64(v, &m->ring_id.seq);
	m->ring_id_set = 1;
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_dec_config_version(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	if ((r = msg_get_u64(v, &m->config_version)) == MSG_DECODE_OK)
		m->config_version_set = 1;
	return (r);
}

static enum msg_decode_result
msg_dec_data_center_id(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	if ((r = msg_get_u32(v, &m->data_center_id)) == MSG_DECODE_OK)
		m->data_center_id_set = 1;
	return (r);
}

/* "Not set" (0) is never valid on the wire: absence means that. */
static enum msg_decode_result
msg_get_node_state(struct rcursor *v, enum tlv_node_state *state)
{
	enum msg_decode_result r;
	uint8_t u8;

	r = msg_get_enum(v, TLV_NODE_STATE_MEMBER, TLV_NODE_STATE_LEAVING, &u8);
	if (r == MSG_DECODE_OK)
		*state = (enum tlv_node_state)u8;
	return (r);
}

static enum msg_decode_result
msg_dec_node_state(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;

	if ((r = msg_get_node_state(v, &m->node_state)) == MSG_DECODE_OK)
		m->node_state_set = 1;
	return (r);
}

/*
 * NODE_INFO is itself a TLV list, walked by the same rules as a message
 * body: an empty or truncated list is INCONSISTENT, inner errors are
 * returned as they are, unknown inner TLVs are skipped.  The node id is
 * mandatory and 0 is reserved, hence BAD_VALUE.
 */
static enum msg_decode_result
msg_dec_node_info(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;
	struct rcursor iv;
	uint32_t node_id, dc_id;
	enum tlv_node_state state;
	uint16_t type;

	node_id = 0;
	dc_id = 0;
	state = TLV_NODE_STATE_NOT_SET;
	if (v->left == 0)
		return (MSG_DECODE_INCONSISTENT);
	while (v->left > 0) {
		if ((r = msg_next_tlv(v, &type, &iv)) != MSG_DECODE_OK)
			return (r);
		switch (type) {
		case TLV_OPT_NODE_ID:
			r = msg_get_u32(&iv, &node_id);
			break;
		case TLV_OPT_DATA_CENTER_ID:
			r = msg_get_u32(&iv, &dc_id);
			break;
		case TLV_OPT_NODE_STATE:
			r = msg_get_node_state(&iv, &state);
			break;
		default:
			r = MSG_DECODE_OK;
			break;
		}
		if (r != MSG_DECODE_OK)
			return (r);
	}
	if (node_id == 0)
		return (MSG_DECODE_BAD_VALUE);
	if (node_list_add(&m->nodes, node_id, dc_id, state) == -1)
		return (MSG_DECODE_NO_MEMORY);
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_dec_node_list_type(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;
	uint8_t u8;

	r = msg_get_enum(v, TLV_NODE_LIST_TYPE_INITIAL_CONFIG, TLV_NODE_LIST_TYPE_QUORUM, &u8);
	if (r != MSG_DECODE_OK)
		return (r);
	m->node_list_type = (enum tlv_node_list_type)u8;
	m->node_list_type_set = 1;
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_dec_vote(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;
	uint8_t u8;

	r = msg_get_enum(v, TLV_VOTE_ACK, TLV_VOTE_NO_CHANGE, &u8);
	if (r != MSG_DECODE_OK)
		return (r);
	m->vote = (enum tlv_vote)u8;
	m->vote_set = 1;
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_dec_quorate(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;
	uint8_t u8;

	r = msg_get_enum(v, TLV_QUORATE_INQUORATE, TLV_QUORATE_QUORATE, &u8);
	if (r != MSG_DECODE_OK)
		return (r);
	m->quorate = (enum tlv_quorate)u8;
	m->quorate_set = 1;
	return (MSG_DECODE_OK);
}

/* Mode first; the node id is only read (and kept) in NODE_ID mode. */
static enum msg_decode_result
msg_dec_tie_breaker(struct rcursor *v, struct msg_decoded *m)
{
	uint8_t mode;
	uint32_t node_id;

	if (v->left != OPT_TIE_BREAKER_LEN)
		return (MSG_DECODE_BAD_LENGTH);
	(void)rcursor_u8(v, &mode);
	if (mode < TLV_TIE_BREAKER_MODE_LOWEST || mode > TLV_TIE_BREAKER_MODE_NODE_ID)
		return (MSG_DECODE_BAD_VALUE);
	(void)rcursor_u32(v, &node_id);
	m->tie_breaker.mode = (enum tlv_tie_breaker_mode)mode;
	m->tie_breaker.node_id = mode == TLV_TIE_BREAKER_MODE_NODE_ID ? node_id : 0;
	m->tie_breaker_set = 1;
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_dec_heuristics(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;
	uint8_t u8;

	r = msg_get_enum(v, TLV_HEURISTICS_PASS, TLV_HEURISTICS_FAIL, &u8);
	if (r != MSG_DECODE_OK)
		return (r);
	m->heuristics = (enum tlv_heuristics)u8;
	m->heuristics_set = 1;
	return (MSG_DECODE_OK);
}

static enum msg_decode_result
msg_dec_kap(struct rcursor *v, struct msg_decoded *m)
{
	enum msg_decode_result r;
	uint8_t u8;

	r = msg_get_enum(v, TLV_KAP_TIE_BREAKER_DISABLED, TLV_KAP_TIE_BREAKER_ENABLED, &u8);
	if (r != MSG_DECODE_OK)
		return (r);
	m->keep_active_partition_tie_breaker = u8;
	m->keep_active_partition_tie_breaker_set = 1;
	return (MSG_DECODE_OK);
}

typedef enum msg_decode_result (*msg_opt_decoder)(struct rcursor *, struct msg_decoded *);

static const msg_opt_decoder msg_opt_decoders[TLV_OPT_COUNT] = {
	[TLV_OPT_MSG_SEQ_NUMBER] = msg_dec_seq,
	[TLV_OPT_CLUSTER_NAME] = msg_dec_cluster_name,
	[TLV_OPT_TLS_SUPPORTED] = msg_dec_tls_supported,
	[TLV_OPT_TLS_CLIENT_CERT_REQUIRED] = msg_dec_tls_cert_required,
	[TLV_OPT_SUPPORTED_MESSAGES] = msg_dec_supported_messages,
	[TLV_OPT_SUPPORTED_OPTIONS] = msg_dec_supported_options,
	[TLV_OPT_REPLY_ERROR_CODE] = msg_dec_reply_error_code,
	[TLV_OPT_SERVER_MAXIMUM_REQUEST_SIZE] = msg_dec_max_request,
	[TLV_OPT_SERVER_MAXIMUM_REPLY_SIZE] = msg_dec_max_reply,
	[TLV_OPT_NODE_ID] = msg_dec_node_id,
	[TLV_OPT_SUPPORTED_DECISION_ALGORITHMS] = msg_dec_supported_algorithms,
	[TLV_OPT_DECISION_ALGORITHM] = msg_dec_decision_algorithm,
	[TLV_OPT_HEARTBEAT_INTERVAL] = msg_dec_heartbeat_interval,
	[TLV_OPT_RING_ID] = msg_dec_ring_id,
	[TLV_OPT_CONFIG_VERSION] = msg_dec_config_version,
	[TLV_OPT_DATA_CENTER_ID] = msg_dec_data_center_id,
	[TLV_OPT_NODE_STATE] = msg_dec_node_state,
	[TLV_OPT_NODE_INFO] = msg_dec_node_info,
	[TLV_OPT_NODE_LIST_TYPE] = msg_dec_node_list_type,
	[TLV_OPT_VOTE] = msg_dec_vote,
	[TLV_OPT_QUORATE] = msg_dec_quorate,
	[TLV_OPT_TIE_BREAKER] = msg_dec_tie_breaker,
	[TLV_OPT_HEURISTICS] = msg_dec_heuristics,
	[TLV_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER] = msg_dec_kap,
};

enum msg_decode_result
msg_decode(const uint8_t *buf, size_t len, struct msg_decoded *m)
{
	enum msg_decode_result r;
	struct rcursor c, v;
	uint16_t type;
	uint32_t body_len;

	msg_decoded_destroy(m);
	if (len < MSG_HEADER_LEN)
		return (MSG_DECODE_INCONSISTENT);
	msg_header_parse(buf, &type, &body_len);
	m->type = (enum msg_type)type;
	if (body_len != len - MSG_HEADER_LEN)
		return (MSG_DECODE_INCONSISTENT);
	/* Upstream's iterator looks for a first TLV even in an empty body. */
	if (body_len == 0)
		return (MSG_DECODE_INCONSISTENT);
	rcursor_init(&c, buf + MSG_HEADER_LEN, body_len);
	while (c.left > 0) {
		if ((r = msg_next_tlv(&c, &type, &v)) != MSG_DECODE_OK)
			return (r);
		/* Unknown options are how the protocol stays forward compatible. */
		if (type >= TLV_OPT_COUNT)
			continue;
		if ((r = msg_opt_decoders[type](&v, m)) != MSG_DECODE_OK)
			return (r);
	}
	return (MSG_DECODE_OK);
}

/*
 * Builders.  Each writes the header with length 0, appends its TLVs and
 * patches the length at the end.  The individual appends are not checked
 * one by one: wbuf failure is sticky, so msg_finish() sees any refusal,
 * and then cuts the half-built message off so that nothing partial can
 * ever be sent.
 */

static size_t
msg_begin(struct wbuf *wb, enum msg_type type)
{
	size_t start;

	start = wb->len;
	(void)wbuf_put_u16(wb, (uint16_t)type);
	(void)wbuf_put_u32(wb, 0);
	return (start);
}

static int
msg_finish(struct wbuf *wb, size_t start)
{
	size_t body;

	if (!wb->failed) {
		body = wb->len - start - MSG_HEADER_LEN;
		if (body <= UINT32_MAX) {
			wbuf_set_u32(wb, start + 2, (uint32_t)body);
			return (0);
		}
		wb->failed = 1;
	}
	wbuf_truncate(wb, start);
	return (-1);
}

static void
msg_add_seq(struct wbuf *wb, int seq_set, uint32_t seq)
{

	if (seq_set)
		(void)tlv_add_u32(wb, TLV_OPT_MSG_SEQ_NUMBER, seq);
}

/* 0, 1, ... n-1 as a u16 array TLV: the "everything we know" lists. */
static void
msg_add_iota(struct wbuf *wb, enum tlv_opt_type type, uint16_t n)
{
	uint16_t a[MSG_TYPE_COUNT > MSG_ALL_OPTIONS ? MSG_TYPE_COUNT : MSG_ALL_OPTIONS];
	uint16_t i;

	for (i = 0; i < n; i++)
		a[i] = i;
	(void)tlv_add_u16_array(wb, type, a, n);
}

int
msg_create_preinit_reply(struct wbuf *wb, int seq_set, uint32_t seq, enum tlv_tls_supported tls,
    int cert_required)
{
	size_t start;

	start = msg_begin(wb, MSG_TYPE_PREINIT_REPLY);
	msg_add_seq(wb, seq_set, seq);
	(void)tlv_add_u8(wb, TLV_OPT_TLS_SUPPORTED, (uint8_t)tls);
	(void)tlv_add_u8(wb, TLV_OPT_TLS_CLIENT_CERT_REQUIRED, cert_required ? 1 : 0);
	return (msg_finish(wb, start));
}

/* Upstream writes the error code first and the seq after the capability lists. */
int
msg_create_init_reply(struct wbuf *wb, enum tlv_reply_error_code err, int add_supported_msgs,
    int add_supported_opts, int seq_set, uint32_t seq, uint32_t max_request, uint32_t max_reply,
    const uint16_t *algorithms, size_t no_algorithms)
{
	size_t start;

	start = msg_begin(wb, MSG_TYPE_INIT_REPLY);
	(void)tlv_add_u16(wb, TLV_OPT_REPLY_ERROR_CODE, (uint16_t)err);
	if (add_supported_msgs)
		msg_add_iota(wb, TLV_OPT_SUPPORTED_MESSAGES, MSG_TYPE_COUNT);
	if (add_supported_opts)
		msg_add_iota(wb, TLV_OPT_SUPPORTED_OPTIONS, MSG_ALL_OPTIONS);
	msg_add_seq(wb, seq_set, seq);
	(void)tlv_add_u32(wb, TLV_OPT_SERVER_MAXIMUM_REQUEST_SIZE, max_request);
	(void)tlv_add_u32(wb, TLV_OPT_SERVER_MAXIMUM_REPLY_SIZE, max_reply);
	if (algorithms != NULL && no_algorithms > 0) {
		(void)tlv_add_u16_array(wb, TLV_OPT_SUPPORTED_DECISION_ALGORITHMS, algorithms,
		    no_algorithms);
	}
	return (msg_finish(wb, start));
}

int
msg_create_server_error(struct wbuf *wb, int seq_set, uint32_t seq, enum tlv_reply_error_code err)
{
	size_t start;

	start = msg_begin(wb, MSG_TYPE_SERVER_ERROR);
	msg_add_seq(wb, seq_set, seq);
	(void)tlv_add_u16(wb, TLV_OPT_REPLY_ERROR_CODE, (uint16_t)err);
	return (msg_finish(wb, start));
}

/* SET_OPTION and its reply share one layout. */
static int
msg_create_set_option_common(struct wbuf *wb, enum msg_type type, int seq_set, uint32_t seq,
    int hb_set, uint32_t hb, int kap_set, int kap)
{
	size_t start;

	start = msg_begin(wb, type);
	msg_add_seq(wb, seq_set, seq);
	if (hb_set)
		(void)tlv_add_u32(wb, TLV_OPT_HEARTBEAT_INTERVAL, hb);
	if (kap_set) {
		(void)tlv_add_u8(wb, TLV_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER, (uint8_t)kap);
	}
	return (msg_finish(wb, start));
}

int
msg_create_set_option_reply(struct wbuf *wb, int seq_set, uint32_t seq, int hb_set, uint32_t hb,
    int kap_set, int kap)
{

	return (msg_create_set_option_common(wb, MSG_TYPE_SET_OPTION_REPLY, seq_set, seq, hb_set,
	    hb, kap_set, kap));
}

int
msg_create_set_option(struct wbuf *wb, int seq_set, uint32_t seq, int hb_set, uint32_t hb,
    int kap_set, int kap)
{

	return (msg_create_set_option_common(wb, MSG_TYPE_SET_OPTION, seq_set, seq, hb_set, hb,
	    kap_set, kap));
}

int
msg_create_node_list_reply(struct wbuf *wb, uint32_t seq, enum tlv_node_list_type type,
    const struct tlv_ring_id *ring, enum tlv_vote vote)
{
	size_t start;

	start = msg_begin(wb, MSG_TYPE_NODE_LIST_REPLY);
	(void)tlv_add_u32(wb, TLV_OPT_MSG_SEQ_NUMBER, seq);
	(void)tlv_add_u8(wb, TLV_OPT_NODE_LIST_TYPE, (uint8_t)type);
	(void)tlv_add_ring_id(wb, ring);
	(void)tlv_add_u8(wb, TLV_OPT_VOTE, (uint8_t)vote);
	return (msg_finish(wb, start));
}

/* ASK_FOR_VOTE_REPLY and VOTE_INFO: seq, vote, ring id. */
static int
msg_create_vote_common(struct wbuf *wb, enum msg_type type, uint32_t seq,
    const struct tlv_ring_id *ring, enum tlv_vote vote)
{
	size_t start;

	start = msg_begin(wb, type);
	(void)tlv_add_u32(wb, TLV_OPT_MSG_SEQ_NUMBER, seq);
	(void)tlv_add_u8(wb, TLV_OPT_VOTE, (uint8_t)vote);
	(void)tlv_add_ring_id(wb, ring);
	return (msg_finish(wb, start));
}

int
msg_create_ask_for_vote_reply(struct wbuf *wb, uint32_t seq, const struct tlv_ring_id *ring,
    enum tlv_vote vote)
{

	return (msg_create_vote_common(wb, MSG_TYPE_ASK_FOR_VOTE_REPLY, seq, ring, vote));
}

int
msg_create_vote_info(struct wbuf *wb, uint32_t seq, const struct tlv_ring_id *ring,
    enum tlv_vote vote)
{

	return (msg_create_vote_common(wb, MSG_TYPE_VOTE_INFO, seq, ring, vote));
}

/* UNDEFINED has no wire form (upstream refuses to encode it), so neither do we. */
int
msg_create_heuristics_change_reply(struct wbuf *wb, uint32_t seq, enum tlv_heuristics heuristics,
    const struct tlv_ring_id *ring, enum tlv_vote vote)
{
	size_t start;

	if (heuristics == TLV_HEURISTICS_UNDEFINED)
		return (-1);
	start = msg_begin(wb, MSG_TYPE_HEURISTICS_CHANGE_REPLY);
	(void)tlv_add_u32(wb, TLV_OPT_MSG_SEQ_NUMBER, seq);
	(void)tlv_add_u8(wb, TLV_OPT_VOTE, (uint8_t)vote);
	(void)tlv_add_ring_id(wb, ring);
	(void)tlv_add_u8(wb, TLV_OPT_HEURISTICS, (uint8_t)heuristics);
	return (msg_finish(wb, start));
}

int
msg_create_echo_reply(struct wbuf *wb, const uint8_t *request, size_t len)
{
	size_t start;

	if (len < MSG_HEADER_LEN)
		return (-1);
	start = wb->len;
	if (wbuf_put(wb, request, len) == -1)
		return (-1);
	wbuf_set_u16(wb, start, MSG_TYPE_ECHO_REPLY);
	return (0);
}

int
msg_create_preinit(struct wbuf *wb, int seq_set, uint32_t seq, const char *cluster_name,
    size_t cluster_name_len)
{
	size_t start;

	start = msg_begin(wb, MSG_TYPE_PREINIT);
	msg_add_seq(wb, seq_set, seq);
	(void)tlv_add_bytes(wb, TLV_OPT_CLUSTER_NAME, cluster_name, cluster_name_len);
	return (msg_finish(wb, start));
}

/* STARTTLS, ECHO_REQUEST, ASK_FOR_VOTE and VOTE_INFO_REPLY carry only a seq. */
static int
msg_create_seq_only(struct wbuf *wb, enum msg_type type, int seq_set, uint32_t seq)
{
	size_t start;

	start = msg_begin(wb, type);
	msg_add_seq(wb, seq_set, seq);
	return (msg_finish(wb, start));
}

int
msg_create_starttls(struct wbuf *wb, int seq_set, uint32_t seq)
{

	return (msg_create_seq_only(wb, MSG_TYPE_STARTTLS, seq_set, seq));
}

int
msg_create_echo_request(struct wbuf *wb, int seq_set, uint32_t seq)
{

	return (msg_create_seq_only(wb, MSG_TYPE_ECHO_REQUEST, seq_set, seq));
}

int
msg_create_ask_for_vote(struct wbuf *wb, uint32_t seq)
{

	return (msg_create_seq_only(wb, MSG_TYPE_ASK_FOR_VOTE, 1, seq));
}

int
msg_create_vote_info_reply(struct wbuf *wb, uint32_t seq)
{

	return (msg_create_seq_only(wb, MSG_TYPE_VOTE_INFO_REPLY, 1, seq));
}

/* As corosync-qdevice sends it: the capability lists right after the seq. */
int
msg_create_init(struct wbuf *wb, int seq_set, uint32_t seq, int add_lists, uint32_t node_id,
    enum tlv_decision_algorithm algo, uint32_t hb, const struct tlv_tie_breaker *tb,
    const struct tlv_ring_id *ring)
{
	size_t start;

	start = msg_begin(wb, MSG_TYPE_INIT);
	msg_add_seq(wb, seq_set, seq);
	if (add_lists) {
		msg_add_iota(wb, TLV_OPT_SUPPORTED_MESSAGES, MSG_TYPE_COUNT);
		msg_add_iota(wb, TLV_OPT_SUPPORTED_OPTIONS, MSG_ALL_OPTIONS);
	}
	(void)tlv_add_u32(wb, TLV_OPT_NODE_ID, node_id);
	(void)tlv_add_u16(wb, TLV_OPT_DECISION_ALGORITHM, (uint16_t)algo);
	(void)tlv_add_u32(wb, TLV_OPT_HEARTBEAT_INTERVAL, hb);
	(void)tlv_add_tie_breaker(wb, tb);
	(void)tlv_add_ring_id(wb, ring);
	return (msg_finish(wb, start));
}

int
msg_create_node_list(struct wbuf *wb, uint32_t seq, enum tlv_node_list_type type,
    const struct tlv_ring_id *ring, int config_version_set, uint64_t config_version,
    int quorate_set, enum tlv_quorate quorate, const struct node_list *nodes,
    enum tlv_heuristics heuristics)
{
	const struct node_info *ni;
	size_t start, i;

	start = msg_begin(wb, MSG_TYPE_NODE_LIST);
	(void)tlv_add_u32(wb, TLV_OPT_MSG_SEQ_NUMBER, seq);
	(void)tlv_add_u8(wb, TLV_OPT_NODE_LIST_TYPE, (uint8_t)type);
	if (ring != NULL)
		(void)tlv_add_ring_id(wb, ring);
	if (config_version_set)
		(void)tlv_add_u64(wb, TLV_OPT_CONFIG_VERSION, config_version);
	if (quorate_set)
		(void)tlv_add_u8(wb, TLV_OPT_QUORATE, (uint8_t)quorate);
	for (i = 0; nodes != NULL && i < nodes->count; i++) {
		ni = &nodes->nodes[i];
		(void)tlv_add_node_info(wb, ni->node_id, ni->data_center_id, ni->node_state);
	}
	if (heuristics != TLV_HEURISTICS_UNDEFINED)
		(void)tlv_add_u8(wb, TLV_OPT_HEURISTICS, (uint8_t)heuristics);
	return (msg_finish(wb, start));
}

int
msg_create_heuristics_change(struct wbuf *wb, uint32_t seq, enum tlv_heuristics h)
{
	size_t start;

	if (h == TLV_HEURISTICS_UNDEFINED)
		return (-1);
	start = msg_begin(wb, MSG_TYPE_HEURISTICS_CHANGE);
	(void)tlv_add_u32(wb, TLV_OPT_MSG_SEQ_NUMBER, seq);
	(void)tlv_add_u8(wb, TLV_OPT_HEURISTICS, (uint8_t)h);
	return (msg_finish(wb, start));
}
