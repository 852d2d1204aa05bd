/*
 * tlv.h - TLV option types, enumerated wire values and TLV encoding.
 *
 * Every multi-byte integer on the wire is big-endian.  A TLV is
 * u16 type, u16 length, then length bytes of value.  See
 * docs/protocol.md sections 1.3 (rules) and 1.4 (option table).
 */
#ifndef QNETD_TLV_H
#define QNETD_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "codec/wbuf.h"

enum tlv_opt_type {
	TLV_OPT_MSG_SEQ_NUMBER = 0,
	TLV_OPT_CLUSTER_NAME = 1,
	TLV_OPT_TLS_SUPPORTED = 2,
	TLV_OPT_TLS_CLIENT_CERT_REQUIRED = 3,
	TLV_OPT_SUPPORTED_MESSAGES = 4,
	TLV_OPT_SUPPORTED_OPTIONS = 5,
	TLV_OPT_REPLY_ERROR_CODE = 6,
	TLV_OPT_SERVER_MAXIMUM_REQUEST_SIZE = 7,
	TLV_OPT_SERVER_MAXIMUM_REPLY_SIZE = 8,
	TLV_OPT_NODE_ID = 9,
	TLV_OPT_SUPPORTED_DECISION_ALGORITHMS = 10,
	TLV_OPT_DECISION_ALGORITHM = 11,
	TLV_OPT_HEARTBEAT_INTERVAL = 12,
	TLV_OPT_RING_ID = 13,
	TLV_OPT_CONFIG_VERSION = 14,
	TLV_OPT_DATA_CENTER_ID = 15,
	TLV_OPT_NODE_STATE = 16,
	TLV_OPT_NODE_INFO = 17,
	TLV_OPT_NODE_LIST_TYPE = 18,
	TLV_OPT_VOTE = 19,
	TLV_OPT_QUORATE = 20,
	TLV_OPT_TIE_BREAKER = 21,
	TLV_OPT_HEURISTICS = 22,
	TLV_OPT_KEEP_ACTIVE_PARTITION_TIE_BREAKER = 23,
};
#define TLV_OPT_COUNT 24

#define TLV_HEADER_LEN 4

enum tlv_tls_supported {
	TLV_TLS_UNSUPPORTED = 0,
	TLV_TLS_SUPPORTED = 1,
	TLV_TLS_REQUIRED = 2,
};

enum tlv_reply_error_code {
	TLV_REPLY_ERROR_CODE_NO_ERROR = 0,
	TLV_REPLY_ERROR_CODE_UNSUPPORTED_NEEDED_MESSAGE = 1,
	TLV_REPLY_ERROR_CODE_UNSUPPORTED_NEEDED_OPTION = 2,
	TLV_REPLY_ERROR_CODE_TLS_REQUIRED = 3,
	TLV_REPLY_ERROR_CODE_UNSUPPORTED_MESSAGE = 4,
	TLV_REPLY_ERROR_CODE_MESSAGE_TOO_LONG = 5,
	TLV_REPLY_ERROR_CODE_PREINIT_REQUIRED = 6,
	TLV_REPLY_ERROR_CODE_DOESNT_CONTAIN_REQUIRED_OPTION = 7,
	TLV_REPLY_ERROR_CODE_UNEXPECTED_MESSAGE = 8,
	TLV_REPLY_ERROR_CODE_ERROR_DECODING_MSG = 9,
	TLV_REPLY_ERROR_CODE_INTERNAL_ERROR = 10,
	TLV_REPLY_ERROR_CODE_INIT_REQUIRED = 11,
	TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM = 12,
	TLV_REPLY_ERROR_CODE_INVALID_HEARTBEAT_INTERVAL = 13,
	TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE = 14,
	TLV_REPLY_ERROR_CODE_TIE_BREAKER_DIFFERS_FROM_OTHER_NODES = 15,
	TLV_REPLY_ERROR_CODE_ALGORITHM_DIFFERS_FROM_OTHER_NODES = 16,
	TLV_REPLY_ERROR_CODE_DUPLICATE_NODE_ID = 17,
	TLV_REPLY_ERROR_CODE_INVALID_CONFIG_NODE_LIST = 18,
	TLV_REPLY_ERROR_CODE_INVALID_MEMBERSHIP_NODE_LIST = 19,
};

enum tlv_decision_algorithm {
	TLV_DECISION_ALGORITHM_TEST = 0,
	TLV_DECISION_ALGORITHM_FFSPLIT = 1,
	TLV_DECISION_ALGORITHM_2NODELMS = 2,
	TLV_DECISION_ALGORITHM_LMS = 3,
};
#define TLV_DECISION_ALGORITHM_COUNT 4

enum tlv_node_state {
	TLV_NODE_STATE_NOT_SET = 0,
	TLV_NODE_STATE_MEMBER = 1,
	TLV_NODE_STATE_DEAD = 2,
	TLV_NODE_STATE_LEAVING = 3,
};

enum tlv_node_list_type {
	TLV_NODE_LIST_TYPE_INITIAL_CONFIG = 0,
	TLV_NODE_LIST_TYPE_CHANGED_CONFIG = 1,
	TLV_NODE_LIST_TYPE_MEMBERSHIP = 2,
	TLV_NODE_LIST_TYPE_QUORUM = 3,
};

enum tlv_vote {
	TLV_VOTE_UNDEFINED = 0,
	TLV_VOTE_ACK = 1,
	TLV_VOTE_NACK = 2,
	TLV_VOTE_ASK_LATER = 3,
	TLV_VOTE_WAIT_FOR_REPLY = 4,
	TLV_VOTE_NO_CHANGE = 5,
};

enum tlv_quorate {
	TLV_QUORATE_INQUORATE = 0,
	TLV_QUORATE_QUORATE = 1,
};

enum tlv_tie_breaker_mode {
	TLV_TIE_BREAKER_MODE_LOWEST = 1,
	TLV_TIE_BREAKER_MODE_HIGHEST = 2,
	TLV_TIE_BREAKER_MODE_NODE_ID = 3,
};

enum tlv_heuristics {
	TLV_HEURISTICS_UNDEFINED = 0,
	TLV_HEURISTICS_PASS = 1,
	TLV_HEURISTICS_FAIL = 2,
};

enum tlv_keep_active_partition_tie_breaker {
	TLV_KAP_TIE_BREAKER_DISABLED = 0,
	TLV_KAP_TIE_BREAKER_ENABLED = 1,
};

struct tlv_ring_id {
	uint32_t node_id;
	uint64_t seq;
};

struct tlv_tie_breaker {
	enum tlv_tie_breaker_mode mode;
	uint32_t node_id; /* meaningful only for TLV_TIE_BREAKER_MODE_NODE_ID */
};

/* 1 if both ring ids are equal, else 0. */
int tlv_ring_id_eq(const struct tlv_ring_id *a, const struct tlv_ring_id *b);

/* 1 if equal: same mode, and same node id when the mode is NODE_ID. */
int tlv_tie_breaker_eq(const struct tlv_tie_breaker *a, const struct tlv_tie_breaker *b);

/* Order PASS > UNDEFINED > FAIL: returns -1, 0 or 1 as a is worse, equal, better than b. */
int tlv_heuristics_cmp(enum tlv_heuristics a, enum tlv_heuristics b);

/* Text forms used by logs and corosync-qnetd-tool (never NULL). */
const char *tlv_vote_to_str(enum tlv_vote
        vote); /* "ACK", "NACK", "Ask later", "Wait for reply", "No change", "Undefined" */
const char *tlv_heuristics_to_str(enum tlv_heuristics h); /* "Undefined", "Pass", "Fail" */
const char *tlv_decision_algorithm_to_str(
    enum tlv_decision_algorithm a); /* "Test", "Fifty-Fifty split", "2 Node LMS", "LMS" */
const char *tlv_node_state_to_str(enum tlv_node_state s);
const char *tlv_reply_error_code_to_str(enum tlv_reply_error_code code);

/*
 * Encoders: append one TLV to wb.  Return 0, or -1 when the buffer would
 * pass its limit or memory ran out (the buffer is then marked failed and
 * every further append fails too).
 */
int tlv_add_u8(struct wbuf *wb, enum tlv_opt_type type, uint8_t v);
int tlv_add_u16(struct wbuf *wb, enum tlv_opt_type type, uint16_t v);
int tlv_add_u32(struct wbuf *wb, enum tlv_opt_type type, uint32_t v);
int tlv_add_u64(struct wbuf *wb, enum tlv_opt_type type, uint64_t v);
int tlv_add_bytes(struct wbuf *wb, enum tlv_opt_type type, const void *data, size_t len);
int tlv_add_u16_array(struct wbuf *wb, enum tlv_opt_type type, const uint16_t *a, size_t n);
int tlv_add_ring_id(struct wbuf *wb, const struct tlv_ring_id *ring_id);
int tlv_add_tie_breaker(struct wbuf *wb, const struct tlv_tie_breaker *tb);
/* NODE_INFO: inner NODE_ID, then DATA_CENTER_ID if != 0, NODE_STATE if != NOT_SET. */
int tlv_add_node_info(struct wbuf *wb, uint32_t node_id, uint32_t data_center_id,
    enum tlv_node_state state);

#endif
