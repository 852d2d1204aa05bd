/*
 * msg.h - message types, typed decode of a whole message and builders
 * for every message the server (and the test/bench clients) send.
 *
 * A message is a 6-byte header (u16 type, u32 body length) and a body of
 * TLVs.  Decoding is pure: bytes in, struct out.
 */
#ifndef QNETD_MSG_H
#define QNETD_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "codec/node_list.h"
#include "codec/tlv.h"
#include "codec/wbuf.h"

#define MSG_HEADER_LEN 6

enum msg_type {
	MSG_TYPE_PREINIT = 0,
	MSG_TYPE_PREINIT_REPLY = 1,
	MSG_TYPE_STARTTLS = 2,
	MSG_TYPE_INIT = 3,
	MSG_TYPE_INIT_REPLY = 4,
	MSG_TYPE_SERVER_ERROR = 5,
	MSG_TYPE_SET_OPTION = 6,
	MSG_TYPE_SET_OPTION_REPLY = 7,
	MSG_TYPE_ECHO_REQUEST = 8,
	MSG_TYPE_ECHO_REPLY = 9,
	MSG_TYPE_NODE_LIST = 10,
	MSG_TYPE_NODE_LIST_REPLY = 11,
	MSG_TYPE_ASK_FOR_VOTE = 12,
	MSG_TYPE_ASK_FOR_VOTE_REPLY = 13,
	MSG_TYPE_VOTE_INFO = 14,
	MSG_TYPE_VOTE_INFO_REPLY = 15,
	MSG_TYPE_HEURISTICS_CHANGE = 16,
	MSG_TYPE_HEURISTICS_CHANGE_REPLY = 17,
};
#define MSG_TYPE_COUNT 18

/* Decoder outcomes; every negative one maps to wire error 9. */
enum msg_decode_result {
	MSG_DECODE_OK = 0,
	MSG_DECODE_BAD_LENGTH = -1, /* fixed-size option with wrong length, odd array */
	MSG_DECODE_NO_MEMORY = -2,
	MSG_DECODE_INCONSISTENT = -3, /* TLV past the end, leftover bytes, empty body, bad header */
	MSG_DECODE_BAD_VALUE = -4,    /* enumerated value out of range, inner node id 0 */
};

/*
 * A decoded message.  Each *_set flag says the TLV was present (last one
 * wins; NODE_INFO appends).  Unknown TLVs are ignored.  Pointers own heap
 * memory released by msg_decoded_destroy().
 */
struct msg_decoded {
	enum msg_type type; /* from the header; may be any u16 value */

	int seq_number_set;
	uint32_t seq_number;

	int cluster_name_set;
	char *cluster_name; /* NUL-terminated copy; may contain NULs */
	size_t cluster_name_len;

	int tls_supported_set;
	enum tlv_tls_supported tls_supported;
	int tls_client_cert_required_set;
	uint8_t tls_client_cert_required;

	int supported_messages_set;
	uint16_t *supported_messages;
	size_t no_supported_messages;
	int supported_options_set;
	uint16_t *supported_options;
	size_t no_supported_options;

	int reply_error_code_set;
	enum tlv_reply_error_code reply_error_code;

	int server_maximum_request_size_set;
	uint32_t server_maximum_request_size;
	int server_maximum_reply_size_set;
	uint32_t server_maximum_reply_size;

	int node_id_set;
	uint32_t node_id;

	int supported_decision_algorithms_set;
	uint16_t *supported_decision_algorithms;
	size_t no_supported_decision_algorithms;

	int decision_algorithm_set;
	uint16_t decision_algorithm; /* not range checked here */

	int heartbeat_interval_set;
	uint32_t heartbeat_interval;

	int ring_id_set;
	struct tlv_ring_id ring_id;

	int config_version_set;
	uint64_t config_version;

	int data_center_id_set;
	uint32_t data_center_id;

	int node_state_set;
	enum tlv_node_state node_state;

	struct node_list nodes; /* NODE_INFO occurrences in order */

	int node_list_type_set;
	enum tlv_node_list_type node_list_type;

	int vote_set;
	enum tlv_vote vote;

	int quorate_set;
	enum tlv_quorate quorate;

	int tie_breaker_set;
	struct tlv_tie_breaker tie_breaker;

	int heuristics_set;
	enum tlv_heuristics heuristics;

	int keep_active_partition_tie_breaker_set;
	uint8_t keep_active_partition_tie_breaker;
};

void msg_decoded_init(struct msg_decoded *m);
void msg_decoded_destroy(struct msg_decoded *m);

/*
 * Decode a whole message (header + body, len bytes).  m must be
 * initialised.  Decoding stops at the first bad TLV; fields decoded before
 * it stay set (so an error reply can carry the seq).  An empty body is
 * MSG_DECODE_INCONSISTENT, as are a header length that disagrees with len,
 * and 1..3 trailing bytes.
 */
enum msg_decode_result msg_decode(const uint8_t *buf, size_t len, struct msg_decoded *m);

/* Parse a 6-byte header. */
void msg_header_parse(const uint8_t hdr[MSG_HEADER_LEN], uint16_t *type, uint32_t *body_len);
/* 1 if type is 0..17. */
int msg_type_is_valid(uint32_t type);
/* 1 if a client may send this type (0,2,3,6,8,10,12,15,16). */
int msg_type_is_client_to_server(uint32_t type);
/* Human text for logs and -v ("Preinit", "Preinit reply", ...). */
const char *msg_type_to_str(uint32_t type);

/*
 * Builders.  Each resets nothing: it appends one complete message (header
 * with the correct length) to wb and returns 0, or -1 if wb refused (over
 * its limit / out of memory).  TLVs are written in upstream's order so that
 * captures are byte-identical.  seq_set = 0 omits the seq TLV.
 */
/* Server to client */
int msg_create_preinit_reply(struct wbuf *wb, int seq_set, uint32_t seq, enum tlv_tls_supported tls,
    int cert_required);
int msg_create_init_reply(struct wbuf *wb, enum tlv_reply_error_code err, int add_supported_msgs,
    int add_supported_opts, int seq_set, uint32_t seq, uint32_t max_request, uint32_t max_reply,
    const uint16_t *algorithms, size_t no_algorithms);
int msg_create_server_error(struct wbuf *wb, int seq_set, uint32_t seq,
    enum tlv_reply_error_code err);
int msg_create_set_option_reply(struct wbuf *wb, int seq_set, uint32_t seq, int hb_set, uint32_t hb,
    int kap_set, int kap);
int msg_create_node_list_reply(struct wbuf *wb, uint32_t seq, enum tlv_node_list_type type,
    const struct tlv_ring_id *ring, enum tlv_vote vote);
int msg_create_ask_for_vote_reply(struct wbuf *wb, uint32_t seq, const struct tlv_ring_id *ring,
    enum tlv_vote vote);
int msg_create_vote_info(struct wbuf *wb, uint32_t seq, const struct tlv_ring_id *ring,
    enum tlv_vote vote);
int msg_create_heuristics_change_reply(struct wbuf *wb, uint32_t seq,
    enum tlv_heuristics heuristics, const struct tlv_ring_id *ring, enum tlv_vote vote);
/* ECHO_REPLY: the request bytes with the type rewritten to 9. */
int msg_create_echo_reply(struct wbuf *wb, const uint8_t *request, size_t len);

/* Client to server (test client, load generator, fuzz seeds) */
int msg_create_preinit(struct wbuf *wb, int seq_set, uint32_t seq, const char *cluster_name,
    size_t cluster_name_len);
int msg_create_starttls(struct wbuf *wb, int seq_set, uint32_t seq);
int msg_create_init(struct wbuf *wb, int seq_set, uint32_t seq, int add_lists, uint32_t node_id,
    enum tlv_decision_algorithm algo, uint32_t hb, const struct tlv_tie_breaker *tb,
    const struct tlv_ring_id *ring);
int msg_create_set_option(struct wbuf *wb, int seq_set, uint32_t seq, int hb_set, uint32_t hb,
    int kap_set, int kap);
int msg_create_echo_request(struct wbuf *wb, int seq_set, uint32_t seq);
/* ring may be NULL, config_version_set / quorate_set / heuristics UNDEFINED omit those TLVs */
int msg_create_node_list(struct wbuf *wb, uint32_t seq, enum tlv_node_list_type type,
    const struct tlv_ring_id *ring, int config_version_set, uint64_t config_version,
    int quorate_set, enum tlv_quorate quorate, const struct node_list *nodes,
    enum tlv_heuristics heuristics);
int msg_create_ask_for_vote(struct wbuf *wb, uint32_t seq);
int msg_create_vote_info_reply(struct wbuf *wb, uint32_t seq);
int msg_create_heuristics_change(struct wbuf *wb, uint32_t seq, enum tlv_heuristics h);

#endif
