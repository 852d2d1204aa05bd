/*
 * test_msg.c - golden byte vectors for every message type, decode
 * round trips, and every decode error case of protocol.md 1.3/1.4 and
 * Appendix A.
 *
 * With QNETD_WRITE_CORPUS=dir in the environment it also writes each
 * golden vector to dir/<name> (the fuzz seed corpus).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "hex.h"
#include "codec/msg.h"
#include "codec/node_list.h"
#include "codec/tlv.h"
#include "codec/wbuf.h"

#define BUF_MAX 70000

static const struct tlv_ring_id ring_1_4 = { 1, 4 };

static void
dump(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(stderr, "  %s (%zu):", what, n);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

/* wb must hold exactly the bytes of hex. */
static void
expect_bytes(int line, const struct wbuf *wb, const char *hex)
{
	static uint8_t want[BUF_MAX];
	size_t n;

	n = hex_decode(hex, want, sizeof(want));
	check_count++;
	if (wb->len != n || memcmp(wb->data, want, n) != 0) {
		check_failures++;
		fprintf(stderr, "test_msg.c:%d: bytes differ\n", line);
		dump("got ", wb->data, wb->len);
		dump("want", want, n);
	}
}

#define GOLDEN(hex, call) do { \
	struct wbuf wb; \
	wbuf_init(&wb, BUF_MAX); \
	CHECK_EQ((call), 0); \
	expect_bytes(__LINE__, &wb, (hex)); \
	wbuf_destroy(&wb); \
} while (0)

/* Decode hex into m; returns the decoder's result. */
static enum msg_decode_result
decode_hex(const char *hex, struct msg_decoded *m)
{
	static uint8_t buf[BUF_MAX];
	size_t n;

	n = hex_decode(hex, buf, sizeof(buf));
	return (msg_decode(buf, n, m));
}

static void
test_golden_server_side(void)
{
	static const uint16_t algos[] = { 0, 1, 2, 3 };

	GOLDEN(G_PREINIT_REPLY, msg_create_preinit_reply(&wb, 1, 1, TLV_TLS_SUPPORTED, 1));
	GOLDEN(G_INIT_REPLY, msg_create_init_reply(&wb, TLV_REPLY_ERROR_CODE_NO_ERROR, 1, 1,
	    1, 3, 32768, 32768, algos, 4));
	GOLDEN(G_INIT_REPLY_ERR, msg_create_init_reply(&wb,
	    TLV_REPLY_ERROR_CODE_DUPLICATE_NODE_ID, 0, 0, 1, 3, 32768, 32768, algos, 4));
	GOLDEN(G_SERVER_ERROR, msg_create_server_error(&wb, 1, 7,
	    TLV_REPLY_ERROR_CODE_UNSUPPORTED_DECISION_ALGORITHM_MESSAGE));
	GOLDEN(G_SERVER_ERROR_NOSEQ, msg_create_server_error(&wb, 0, 0,
	    TLV_REPLY_ERROR_CODE_ERROR_DECODING_MSG));
	GOLDEN(G_SET_OPTION_REPLY, msg_create_set_option_reply(&wb, 1, 4, 1, 8000, 1, 1));
	GOLDEN(G_SET_OPTION_REPLY_NOSEQ, msg_create_set_option_reply(&wb, 0, 0, 1, 8000, 0, 0));
	GOLDEN(G_NODE_LIST_REPLY, msg_create_node_list_reply(&wb, 5, TLV_NODE_LIST_TYPE_MEMBERSHIP,
	    &ring_1_4, TLV_VOTE_ACK));
	GOLDEN(G_ASK_FOR_VOTE_REPLY, msg_create_ask_for_vote_reply(&wb, 8, &ring_1_4,
	    TLV_VOTE_NACK));
	GOLDEN(G_VOTE_INFO, msg_create_vote_info(&wb, 1, &ring_1_4, TLV_VOTE_ACK));
	GOLDEN(G_HEURISTICS_CHANGE_REPLY, msg_create_heuristics_change_reply(&wb, 9,
	    TLV_HEURISTICS_FAIL, &ring_1_4, TLV_VOTE_ACK));
}

static void
test_golden_client_side(void)
{
	struct tlv_tie_breaker tb = { TLV_TIE_BREAKER_MODE_LOWEST, 0 };
	struct node_list nl;

	GOLDEN(G_PREINIT, msg_create_preinit(&wb, 1, 1, "testcl", 6));
	GOLDEN(G_STARTTLS, msg_create_starttls(&wb, 1, 2));
	GOLDEN(G_INIT, msg_create_init(&wb, 1, 3, 1, 1, TLV_DECISION_ALGORITHM_FFSPLIT, 8000,
	    &tb, &ring_1_4));
	GOLDEN(G_SET_OPTION, msg_create_set_option(&wb, 1, 4, 0, 0, 1, 1));
	GOLDEN(G_ECHO_REQUEST, msg_create_echo_request(&wb, 1, 1));
	GOLDEN(G_ASK_FOR_VOTE, msg_create_ask_for_vote(&wb, 8));
	GOLDEN(G_VOTE_INFO_REPLY, msg_create_vote_info_reply(&wb, 1));
	GOLDEN(G_HEURISTICS_CHANGE, msg_create_heuristics_change(&wb, 9, TLV_HEURISTICS_FAIL));

	node_list_init(&nl);
	CHECK_EQ(node_list_add(&nl, 1, 0, TLV_NODE_STATE_NOT_SET), 0);
	CHECK_EQ(node_list_add(&nl, 2, 0, TLV_NODE_STATE_NOT_SET), 0);
	GOLDEN(G_NODE_LIST_MEMBERSHIP, msg_create_node_list(&wb, 5, TLV_NODE_LIST_TYPE_MEMBERSHIP,
	    &ring_1_4, 0, 0, 0, 0, &nl, TLV_HEURISTICS_PASS));
	node_list_destroy(&nl);

	CHECK_EQ(node_list_add(&nl, 1, 0, TLV_NODE_STATE_MEMBER), 0);
	CHECK_EQ(node_list_add(&nl, 2, 0, TLV_NODE_STATE_DEAD), 0);
	GOLDEN(G_NODE_LIST_QUORUM, msg_create_node_list(&wb, 6, TLV_NODE_LIST_TYPE_QUORUM,
	    NULL, 0, 0, 1, TLV_QUORATE_QUORATE, &nl, TLV_HEURISTICS_UNDEFINED));
	node_list_destroy(&nl);

	CHECK_EQ(node_list_add(&nl, 1, 0, TLV_NODE_STATE_NOT_SET), 0);
	CHECK_EQ(node_list_add(&nl, 2, 7, TLV_NODE_STATE_NOT_SET), 0);
	GOLDEN(G_NODE_LIST_CONFIG, msg_create_node_list(&wb, 4, TLV_NODE_LIST_TYPE_INITIAL_CONFIG,
	    NULL, 1, 5, 0, 0, &nl, TLV_HEURISTICS_UNDEFINED));
	node_list_destroy(&nl);
}

static void
test_golden_echo_reply(void)
{
	static uint8_t req[64];
	size_t n;

	n = hex_decode(G_ECHO_REQUEST, req, sizeof(req));
	GOLDEN(G_ECHO_REPLY, msg_create_echo_reply(&wb, req, n));
	/* Unknown TLVs are echoed byte for byte. */
	n = hex_decode("00 08 00 00 00 0f | 00 00 00 04 00 00 00 01 | 00 c8 00 03 aa bb cc",
	    req, sizeof(req));
	GOLDEN("00 09 00 00 00 0f | 00 00 00 04 00 00 00 01 | 00 c8 00 03 aa bb cc",
	    msg_create_echo_reply(&wb, req, n));
	{
		struct wbuf wb;

		wbuf_init(&wb, BUF_MAX);
		CHECK_EQ(msg_create_echo_reply(&wb, req, 5), -1);
		CHECK_EQ(wb.len, 0);
		wbuf_destroy(&wb);
	}
}

static void
test_golden_variants(void)
{
	struct tlv_tie_breaker tb;

	/* INIT without lists and seq, tie-breaker by node id. */
	tb.mode = TLV_TIE_BREAKER_MODE_NODE_ID;
	tb.node_id = 5;
	GOLDEN("00 03 00 00 00 2f | 00 09 00 04 00 00 00 02 | 00 0b 00 02 00 03 |"
	    " 00 0c 00 04 00 01 d4 c0 | 00 15 00 05 03 00 00 00 05 |"
	    " 00 0d 00 0c 00 00 00 02 00 00 00 00 00 00 01 00",
	    msg_create_init(&wb, 0, 0, 0, 2, TLV_DECISION_ALGORITHM_LMS, 120000, &tb,
	    &(struct tlv_ring_id){ 2, 256 }));
	/* Outside NODE_ID mode the node id is written as 0. */
	tb.mode = TLV_TIE_BREAKER_MODE_HIGHEST;
	GOLDEN("00 03 00 00 00 2f | 00 09 00 04 00 00 00 02 | 00 0b 00 02 00 03 |"
	    " 00 0c 00 04 00 01 d4 c0 | 00 15 00 05 02 00 00 00 00 |"
	    " 00 0d 00 0c 00 00 00 02 00 00 00 00 00 00 01 00",
	    msg_create_init(&wb, 0, 0, 0, 2, TLV_DECISION_ALGORITHM_LMS, 120000, &tb,
	    &(struct tlv_ring_id){ 2, 256 }));
	GOLDEN("00 01 00 00 00 0a | 00 02 00 01 00 | 00 03 00 01 01",
	    msg_create_preinit_reply(&wb, 0, 0, TLV_TLS_UNSUPPORTED, 1));
	GOLDEN("00 07 00 00 00 0d | 00 00 00 04 00 00 00 02 | 00 17 00 01 00",
	    msg_create_set_option_reply(&wb, 1, 2, 0, 0, 1, 0));
	GOLDEN("00 02 00 00 00 00", msg_create_starttls(&wb, 0, 0));
	/* Empty node list, changed config, no heuristics. */
	GOLDEN("00 0a 00 00 00 0d | 00 00 00 04 00 00 00 0c | 00 12 00 01 01",
	    msg_create_node_list(&wb, 12, TLV_NODE_LIST_TYPE_CHANGED_CONFIG, NULL, 0, 0, 0, 0,
	    NULL, TLV_HEURISTICS_UNDEFINED));
	/* INIT_REPLY with only messages listed and no algorithms. */
	GOLDEN("00 04 00 00 00 3e | 00 06 00 02 00 00 |" ALL_MSGS
	    "| 00 07 00 04 00 00 80 00 | 00 08 00 04 00 00 80 00",
	    msg_create_init_reply(&wb, 0, 1, 0, 0, 0, 32768, 32768, NULL, 0));
}

/* Two messages appended to one buffer; a refused builder leaves nothing behind. */
static void
test_builder_append_and_limit(void)
{
	struct wbuf wb;

	wbuf_init(&wb, 40);
	CHECK_EQ(msg_create_echo_request(&wb, 1, 1), 0);
	CHECK_EQ(msg_create_starttls(&wb, 1, 2), 0);
	expect_bytes(__LINE__, &wb, G_ECHO_REQUEST G_STARTTLS);
	/* 28 + 35 > 40: refused, and the partial message is cut off. */
	CHECK_EQ(msg_create_vote_info(&wb, 1, &ring_1_4, TLV_VOTE_ACK), -1);
	CHECK_EQ(wb.len, 28);
	CHECK(wb.failed);
	/* Sticky until reset. */
	CHECK_EQ(msg_create_echo_request(&wb, 1, 1), -1);
	CHECK_EQ(wb.len, 28);
	wbuf_reset(&wb);
	CHECK_EQ(msg_create_echo_request(&wb, 1, 1), 0);
	expect_bytes(__LINE__, &wb, G_ECHO_REQUEST);
	wbuf_destroy(&wb);

	wbuf_init(&wb, BUF_MAX);
	CHECK_EQ(msg_create_heuristics_change(&wb, 1, TLV_HEURISTICS_UNDEFINED), -1);
	CHECK_EQ(msg_create_heuristics_change_reply(&wb, 1, TLV_HEURISTICS_UNDEFINED,
	    &ring_1_4, TLV_VOTE_ACK), -1);
	CHECK_EQ(wb.len, 0);
	/* A cluster name too long for a TLV is refused. */
	{
		char *big = calloc(1, 70000);

		CHECK(big != NULL);
		wbuf_init(&wb, 200000);
		CHECK_EQ(msg_create_preinit(&wb, 1, 1, big, 65536), -1);
		CHECK_EQ(wb.len, 0);
		wbuf_reset(&wb);
		CHECK_EQ(msg_create_preinit(&wb, 1, 1, big, 65535), 0);
		CHECK_EQ(wb.len, 6 + 8 + 4 + 65535);
		wbuf_destroy(&wb);
		free(big);
	}
}

static void
test_decode_goldens(void)
{
	struct msg_decoded m;

	msg_decoded_init(&m);

	CHECK_EQ(decode_hex(G_PREINIT, &m), MSG_DECODE_OK);
	CHECK_EQ(m.type, MSG_TYPE_PREINIT);
	CHECK(m.seq_number_set && m.seq_number == 1);
	CHECK(m.cluster_name_set && m.cluster_name_len == 6);
	CHECK(m.cluster_name != NULL && strcmp(m.cluster_name, "testcl") == 0);

	CHECK_EQ(decode_hex(G_PREINIT_REPLY, &m), MSG_DECODE_OK);
	CHECK(m.tls_supported_set && m.tls_supported == TLV_TLS_SUPPORTED);
	CHECK(m.tls_client_cert_required_set && m.tls_client_cert_required == 1);
	CHECK(m.cluster_name == NULL && !m.cluster_name_set);

	CHECK_EQ(decode_hex(G_INIT, &m), MSG_DECODE_OK);
	CHECK_EQ(m.type, MSG_TYPE_INIT);
	CHECK(m.seq_number_set && m.seq_number == 3);
	CHECK(m.supported_messages_set && m.no_supported_messages == 18);
	CHECK(m.supported_messages[17] == 17);
	CHECK(m.supported_options_set && m.no_supported_options == 24);
	CHECK(m.supported_options[23] == 23);
	CHECK(m.node_id_set && m.node_id == 1);
	CHECK(m.decision_algorithm_set && m.decision_algorithm == 1);
	CHECK(m.heartbeat_interval_set && m.heartbeat_interval == 8000);
	CHECK(m.tie_breaker_set && m.tie_breaker.mode == TLV_TIE_BREAKER_MODE_LOWEST);
	CHECK(m.ring_id_set && m.ring_id.node_id == 1 && m.ring_id.seq == 4);

	CHECK_EQ(decode_hex(G_INIT_REPLY, &m), MSG_DECODE_OK);
	CHECK(m.reply_error_code_set && m.reply_error_code == 0);
	CHECK(m.server_maximum_request_size_set && m.server_maximum_request_size == 32768);
	CHECK(m.server_maximum_reply_size_set && m.server_maximum_reply_size == 32768);
	CHECK(m.supported_decision_algorithms_set && m.no_supported_decision_algorithms == 4);
	CHECK(m.supported_decision_algorithms[3] == 3);
	CHECK(m.seq_number == 3);

	CHECK_EQ(decode_hex(G_SERVER_ERROR, &m), MSG_DECODE_OK);
	CHECK(m.seq_number_set && m.seq_number == 7);
	CHECK(m.reply_error_code_set && m.reply_error_code == 14);

	CHECK_EQ(decode_hex(G_SET_OPTION_REPLY, &m), MSG_DECODE_OK);
	CHECK(m.heartbeat_interval_set && m.heartbeat_interval == 8000);
	CHECK(m.keep_active_partition_tie_breaker_set && m.keep_active_partition_tie_breaker == 1);

	CHECK_EQ(decode_hex(G_NODE_LIST_MEMBERSHIP, &m), MSG_DECODE_OK);
	CHECK_EQ(m.type, MSG_TYPE_NODE_LIST);
	CHECK(m.node_list_type_set && m.node_list_type == TLV_NODE_LIST_TYPE_MEMBERSHIP);
	CHECK(m.ring_id_set && m.ring_id.seq == 4);
	CHECK_EQ(m.nodes.count, 2);
	CHECK(m.nodes.nodes[0].node_id == 1 && m.nodes.nodes[1].node_id == 2);
	CHECK(m.nodes.nodes[0].node_state == TLV_NODE_STATE_NOT_SET);
	CHECK(m.heuristics_set && m.heuristics == TLV_HEURISTICS_PASS);

	CHECK_EQ(decode_hex(G_NODE_LIST_QUORUM, &m), MSG_DECODE_OK);
	CHECK(m.quorate_set && m.quorate == TLV_QUORATE_QUORATE);
	CHECK_EQ(m.nodes.count, 2);
	CHECK(m.nodes.nodes[0].node_state == TLV_NODE_STATE_MEMBER);
	CHECK(m.nodes.nodes[1].node_state == TLV_NODE_STATE_DEAD);
	CHECK(!m.heuristics_set && !m.ring_id_set);

	CHECK_EQ(decode_hex(G_NODE_LIST_CONFIG, &m), MSG_DECODE_OK);
	CHECK(m.config_version_set && m.config_version == 5);
	CHECK(m.nodes.nodes[1].data_center_id == 7 && m.nodes.nodes[0].data_center_id == 0);

	CHECK_EQ(decode_hex(G_NODE_LIST_REPLY, &m), MSG_DECODE_OK);
	CHECK(m.vote_set && m.vote == TLV_VOTE_ACK);

	CHECK_EQ(decode_hex(G_ASK_FOR_VOTE_REPLY, &m), MSG_DECODE_OK);
	CHECK(m.vote_set && m.vote == TLV_VOTE_NACK);

	CHECK_EQ(decode_hex(G_HEURISTICS_CHANGE_REPLY, &m), MSG_DECODE_OK);
	CHECK(m.heuristics_set && m.heuristics == TLV_HEURISTICS_FAIL);
	CHECK(m.vote == TLV_VOTE_ACK && m.ring_id.node_id == 1);

	msg_decoded_destroy(&m);
}

/* Every golden decodes, and the type in the struct is the header's. */
static void
test_decode_all_goldens(void)
{
	struct msg_decoded m;
	size_t i;

	msg_decoded_init(&m);
	for (i = 0; i < GOLDEN_COUNT; i++) {
		CHECK_EQ(decode_hex(goldens[i].hex, &m), MSG_DECODE_OK);
		if (m.type >= MSG_TYPE_COUNT)
			CHECK(0);
	}
	msg_decoded_destroy(&m);
}

/* Decoding what the builders wrote gives back what went in. */
static void
test_round_trip(void)
{
	struct tlv_tie_breaker tb = { TLV_TIE_BREAKER_MODE_NODE_ID, 0xdeadbeef };
	struct tlv_ring_id ring = { 0xffffffff, UINT64_MAX };
	struct msg_decoded m;
	struct node_list nl;
	struct wbuf wb;
	uint32_t i;

	msg_decoded_init(&m);
	wbuf_init(&wb, 1 << 20);
	CHECK_EQ(msg_create_init(&wb, 1, UINT32_MAX, 0, 77, TLV_DECISION_ALGORITHM_2NODELMS,
	    1000, &tb, &ring), 0);
	CHECK_EQ(msg_decode(wb.data, wb.len, &m), MSG_DECODE_OK);
	CHECK(m.seq_number == UINT32_MAX && m.node_id == 77);
	CHECK(m.tie_breaker.mode == 3 && m.tie_breaker.node_id == 0xdeadbeef);
	CHECK(m.ring_id.node_id == 0xffffffff && m.ring_id.seq == UINT64_MAX);
	CHECK(!m.supported_messages_set && !m.supported_options_set);
	CHECK(m.decision_algorithm == 2 && m.heartbeat_interval == 1000);

	node_list_init(&nl);
	for (i = 1; i <= 2000; i++) {
		if (node_list_add(&nl, i, i % 3, (enum tlv_node_state)(i % 4)) == -1)
			CHECK(0);
	}
	wbuf_reset(&wb);
	CHECK_EQ(msg_create_node_list(&wb, 42, TLV_NODE_LIST_TYPE_QUORUM, &ring, 1, UINT64_MAX,
	    1, TLV_QUORATE_INQUORATE, &nl, TLV_HEURISTICS_FAIL), 0);
	CHECK_EQ(msg_decode(wb.data, wb.len, &m), MSG_DECODE_OK);
	CHECK_EQ(m.nodes.count, 2000);
	CHECK(m.nodes.count == 2000 &&
	    memcmp(m.nodes.nodes, nl.nodes, 2000 * sizeof(nl.nodes[0])) == 0);
	CHECK(m.quorate_set && m.quorate == TLV_QUORATE_INQUORATE);
	CHECK(m.config_version == UINT64_MAX && m.heuristics == TLV_HEURISTICS_FAIL);
	node_list_destroy(&nl);

	/* A cluster name with an embedded NUL keeps its full length. */
	wbuf_reset(&wb);
	CHECK_EQ(msg_create_preinit(&wb, 0, 0, "a\0b", 3), 0);
	CHECK_EQ(msg_decode(wb.data, wb.len, &m), MSG_DECODE_OK);
	CHECK(!m.seq_number_set && m.cluster_name_len == 3);
	CHECK(memcmp(m.cluster_name, "a\0b", 4) == 0);

	/* An empty name is a present, empty string. */
	wbuf_reset(&wb);
	CHECK_EQ(msg_create_preinit(&wb, 1, 1, "", 0), 0);
	CHECK_EQ(msg_decode(wb.data, wb.len, &m), MSG_DECODE_OK);
	CHECK(m.cluster_name_set && m.cluster_name_len == 0 && m.cluster_name[0] == '\0');

	wbuf_destroy(&wb);
	msg_decoded_destroy(&m);
}

/* protocol.md 1.3 and Appendix A */
static void
test_decode_errors_appendix_a(void)
{
	struct msg_decoded m;

	msg_decoded_init(&m);

	/* Empty body: error 9 with no seq. */
	CHECK_EQ(decode_hex("00 08 00 00 00 00", &m), MSG_DECODE_INCONSISTENT);
	CHECK(!m.seq_number_set);
	CHECK_EQ(m.type, MSG_TYPE_ECHO_REQUEST);

	/* 1, 2 and 3 trailing bytes after a complete TLV. */
	CHECK_EQ(decode_hex("00 08 00 00 00 09 | 00 00 00 04 00 00 00 01 | 00", &m),
	    MSG_DECODE_INCONSISTENT);
	CHECK_EQ(decode_hex("00 08 00 00 00 0a | 00 00 00 04 00 00 00 01 | 00 00", &m),
	    MSG_DECODE_INCONSISTENT);
	CHECK(m.seq_number_set && m.seq_number == 1);
	CHECK_EQ(decode_hex("00 08 00 00 00 0b | 00 00 00 04 00 00 00 01 | 00 00 00", &m),
	    MSG_DECODE_INCONSISTENT);
	/* 4 trailing zero bytes are a valid empty TLV of type 0... of wrong length. */
	CHECK_EQ(decode_hex("00 08 00 00 00 0c | 00 00 00 04 00 00 00 01 | 00 00 00 00", &m),
	    MSG_DECODE_BAD_LENGTH);

	/* Seq TLV of length 3: error 9 with no seq. */
	CHECK_EQ(decode_hex("00 08 00 00 00 07 | 00 00 00 03 00 00 01", &m),
	    MSG_DECODE_BAD_LENGTH);
	CHECK(!m.seq_number_set);

	/* node_info id 0 after seq 11: error 9 that still carries seq 11. */
	CHECK_EQ(decode_hex("00 0a 00 00 00 19 | 00 00 00 04 00 00 00 0b | 00 12 00 01 02 |"
	    " 00 11 00 08 00 09 00 04 00 00 00 00", &m), MSG_DECODE_BAD_VALUE);
	CHECK(m.seq_number_set && m.seq_number == 11);
	CHECK(m.node_list_type_set);
	CHECK_EQ(m.nodes.count, 0);

	/* Vote 9. */
	CHECK_EQ(decode_hex("00 0b 00 00 00 0d | 00 00 00 04 00 00 00 05 | 00 13 00 01 09", &m),
	    MSG_DECODE_BAD_VALUE);
	CHECK(m.seq_number_set && !m.vote_set);

	/* Odd-length arrays. */
	CHECK_EQ(decode_hex("00 03 00 00 00 07 | 00 04 00 03 00 00 00", &m),
	    MSG_DECODE_BAD_LENGTH);
	CHECK_EQ(decode_hex("00 03 00 00 00 05 | 00 05 00 01 00", &m), MSG_DECODE_BAD_LENGTH);
	CHECK_EQ(decode_hex("00 04 00 00 00 05 | 00 0a 00 01 00", &m), MSG_DECODE_BAD_LENGTH);
	CHECK(!m.supported_decision_algorithms_set);

	/* Unknown TLV 200 is ignored, before and after known ones. */
	CHECK_EQ(decode_hex("00 08 00 00 00 0f | 00 c8 00 03 aa bb cc | 00 00 00 04 00 00 00 01",
	    &m), MSG_DECODE_OK);
	CHECK(m.seq_number_set && m.seq_number == 1);
	CHECK_EQ(decode_hex("00 08 00 00 00 04 | ff ff 00 00", &m), MSG_DECODE_OK);
	CHECK(!m.seq_number_set);
	/* Unknown option 24 (one past the last known). */
	CHECK_EQ(decode_hex("00 08 00 00 00 05 | 00 18 00 01 07", &m), MSG_DECODE_OK);

	/* A TLV running past the end of the body. */
	CHECK_EQ(decode_hex("00 08 00 00 00 08 | 00 00 00 05 00 00 00 01", &m),
	    MSG_DECODE_INCONSISTENT);
	CHECK(!m.seq_number_set);
	CHECK_EQ(decode_hex("00 08 00 00 00 0c | 00 00 00 04 00 00 00 01 | 00 c8 ff ff", &m),
	    MSG_DECODE_INCONSISTENT);
	CHECK(m.seq_number_set);

	/* Header length that disagrees with the buffer, or no header at all. */
	CHECK_EQ(decode_hex("00 08 00 00 00 09 | 00 00 00 04 00 00 00 01", &m),
	    MSG_DECODE_INCONSISTENT);
	CHECK_EQ(decode_hex("00 08 00 00 00 07 | 00 00 00 04 00 00 00 01", &m),
	    MSG_DECODE_INCONSISTENT);
	CHECK_EQ(decode_hex("00 08 ff ff ff ff | 00 00 00 04 00 00 00 01", &m),
	    MSG_DECODE_INCONSISTENT);
	CHECK_EQ(decode_hex("00 08 00 00 00", &m), MSG_DECODE_INCONSISTENT);
	CHECK_EQ(msg_decode((const uint8_t *)"", 0, &m), MSG_DECODE_INCONSISTENT);

	/* The type is reported even when not a known message type. */
	CHECK_EQ(decode_hex("00 63 00 00 00 08 | 00 00 00 04 00 00 00 01", &m), MSG_DECODE_OK);
	CHECK_EQ(m.type, 99);

	msg_decoded_destroy(&m);
}

struct case_ {
	const char *hex;
	enum msg_decode_result want;
};

static void
run_cases(const struct case_ *c, size_t n, int line)
{
	struct msg_decoded m;
	enum msg_decode_result r;
	size_t i;

	msg_decoded_init(&m);
	for (i = 0; i < n; i++) {
		r = decode_hex(c[i].hex, &m);
		check_count++;
		if (r != c[i].want) {
			check_failures++;
			fprintf(stderr, "test_msg.c:%d: case %zu \"%s\": got %d, want %d\n",
			    line, i, c[i].hex, r, c[i].want);
		}
	}
	msg_decoded_destroy(&m);
}

/* protocol.md 1.4: every fixed size and every enumerated range. */
static void
test_decode_lengths_and_ranges(void)
{
	static const struct case_ cases[] = {
		/* lengths */
		{ "0008 00000005 | 0000 0001 01", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 0002 0002 0001", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000004 | 0002 0000", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 0003 0002 0001", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000005 | 0006 0001 00", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000007 | 0006 0003 000000", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 0007 0002 0000", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 0008 0002 0000", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000009 | 0009 0005 0000000001", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000008 | 000b 0004 00000001", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 000c 0002 1f40", MSG_DECODE_BAD_LENGTH },
		{ "0008 0000000f | 000d 000b 00000001 00000000000004", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000011 | 000d 000d 00000001 0000000000000004 00", MSG_DECODE_BAD_LENGTH },
		{ "0008 0000000b | 000e 0007 00000000000005", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 000f 0002 0007", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 0010 0002 0001", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000004 | 0012 0000", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 0013 0002 0001", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 0014 0002 0001", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000008 | 0015 0004 01000000", MSG_DECODE_BAD_LENGTH },
		{ "0008 0000000a | 0015 0006 01000000 0000", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 0016 0002 0001", MSG_DECODE_BAD_LENGTH },
		{ "0008 00000006 | 0017 0002 0001", MSG_DECODE_BAD_LENGTH },
		/* The length check comes before the value check. */
		{ "0008 00000006 | 0013 0002 0900", MSG_DECODE_BAD_LENGTH },
		/* ranges: TLS_SUPPORTED 0..2 */
		{ "0001 00000005 | 0002 0001 00", MSG_DECODE_OK },
		{ "0001 00000005 | 0002 0001 02", MSG_DECODE_OK },
		{ "0001 00000005 | 0002 0001 03", MSG_DECODE_BAD_VALUE },
		/* TLS_CLIENT_CERT_REQUIRED: any value */
		{ "0001 00000005 | 0003 0001 ff", MSG_DECODE_OK },
		/* REPLY_ERROR_CODE: not range checked */
		{ "0005 00000006 | 0006 0002 ffff", MSG_DECODE_OK },
		/* DECISION_ALGORITHM: not range checked here */
		{ "0003 00000006 | 000b 0002 0007", MSG_DECODE_OK },
		/* NODE_STATE 1..3 */
		{ "000a 00000005 | 0010 0001 00", MSG_DECODE_BAD_VALUE },
		{ "000a 00000005 | 0010 0001 01", MSG_DECODE_OK },
		{ "000a 00000005 | 0010 0001 03", MSG_DECODE_OK },
		{ "000a 00000005 | 0010 0001 04", MSG_DECODE_BAD_VALUE },
		/* NODE_LIST_TYPE 0..3 */
		{ "000a 00000005 | 0012 0001 00", MSG_DECODE_OK },
		{ "000a 00000005 | 0012 0001 03", MSG_DECODE_OK },
		{ "000a 00000005 | 0012 0001 04", MSG_DECODE_BAD_VALUE },
		/* VOTE 1..5 */
		{ "000b 00000005 | 0013 0001 00", MSG_DECODE_BAD_VALUE },
		{ "000b 00000005 | 0013 0001 01", MSG_DECODE_OK },
		{ "000b 00000005 | 0013 0001 05", MSG_DECODE_OK },
		{ "000b 00000005 | 0013 0001 06", MSG_DECODE_BAD_VALUE },
		/* QUORATE 0..1 */
		{ "000a 00000005 | 0014 0001 00", MSG_DECODE_OK },
		{ "000a 00000005 | 0014 0001 01", MSG_DECODE_OK },
		{ "000a 00000005 | 0014 0001 02", MSG_DECODE_BAD_VALUE },
		/* TIE_BREAKER mode 1..3 */
		{ "0003 00000009 | 0015 0005 00 00000000", MSG_DECODE_BAD_VALUE },
		{ "0003 00000009 | 0015 0005 01 00000000", MSG_DECODE_OK },
		{ "0003 00000009 | 0015 0005 03 00000009", MSG_DECODE_OK },
		{ "0003 00000009 | 0015 0005 04 00000000", MSG_DECODE_BAD_VALUE },
		/* HEURISTICS 1..2 */
		{ "0010 00000005 | 0016 0001 00", MSG_DECODE_BAD_VALUE },
		{ "0010 00000005 | 0016 0001 01", MSG_DECODE_OK },
		{ "0010 00000005 | 0016 0001 02", MSG_DECODE_OK },
		{ "0010 00000005 | 0016 0001 03", MSG_DECODE_BAD_VALUE },
		/* KAP 0..1 */
		{ "0006 00000005 | 0017 0001 00", MSG_DECODE_OK },
		{ "0006 00000005 | 0017 0001 01", MSG_DECODE_OK },
		{ "0006 00000005 | 0017 0001 02", MSG_DECODE_BAD_VALUE },
		/* Arrays: even lengths, including empty. */
		{ "0003 00000004 | 0004 0000", MSG_DECODE_OK },
		{ "0003 00000008 | 0005 0004 0001 0002", MSG_DECODE_OK },
		/* A maximal (65535-byte) unknown TLV is fine; cluster name of 0 bytes too. */
		{ "0000 00000004 | 0001 0000", MSG_DECODE_OK },
	};

	run_cases(cases, sizeof(cases) / sizeof(cases[0]), __LINE__);
}

/* NODE_INFO is a nested TLV list with its own rules. */
static void
test_decode_node_info(void)
{
	static const struct case_ cases[] = {
		/* empty value: the inner walk finds no first TLV */
		{ "000a 00000004 | 0011 0000", MSG_DECODE_INCONSISTENT },
		/* inner TLV cut short, inner trailing bytes */
		{ "000a 00000009 | 0011 0005 0009 0004 00", MSG_DECODE_INCONSISTENT },
		{ "000a 0000000e | 0011 000a 0009 0004 00000001 0000", MSG_DECODE_INCONSISTENT },
		/* inner node id: wrong length, missing, zero */
		{ "000a 0000000b | 0011 0007 0009 0003 000001", MSG_DECODE_BAD_LENGTH },
		{ "000a 0000000c | 0011 0008 000f 0004 00000007", MSG_DECODE_BAD_VALUE },
		{ "000a 0000000c | 0011 0008 0009 0004 00000000", MSG_DECODE_BAD_VALUE },
		/* inner data centre id of wrong length */
		{ "000a 00000012 | 0011 000e 0009 0004 00000001 000f 0002 0001", MSG_DECODE_BAD_LENGTH },
		/* inner node state 0 and 4 */
		{ "000a 00000011 | 0011 000d 0009 0004 00000001 0010 0001 00", MSG_DECODE_BAD_VALUE },
		{ "000a 00000011 | 0011 000d 0009 0004 00000001 0010 0001 04", MSG_DECODE_BAD_VALUE },
		/* inner errors win over a missing node id, in stream order */
		{ "000a 00000009 | 0011 0005 0010 0001 09", MSG_DECODE_BAD_VALUE },
		/* inner unknown TLV ignored, even of an outer-only type */
		{ "000a 00000015 | 0011 0011 0013 0001 09 0009 0004 00000001 00c8 0000", MSG_DECODE_OK },
	};
	struct msg_decoded m;

	run_cases(cases, sizeof(cases) / sizeof(cases[0]), __LINE__);

	msg_decoded_init(&m);
	/* Inner last occurrence wins; outer NODE_INFO appends in order, duplicates kept. */
	CHECK_EQ(decode_hex("000a 00000036 |"
	    " 0011 0010 0009 0004 00000005 0009 0004 00000006 |"
	    " 0011 000d 0009 0004 00000002 0010 0001 03 |"
	    " 0011 000d 0009 0004 00000002 0010 0001 02", &m), MSG_DECODE_OK);
	CHECK_EQ(m.nodes.count, 3);
	CHECK(m.nodes.count == 3 && m.nodes.nodes[0].node_id == 6);
	CHECK(m.nodes.count == 3 && m.nodes.nodes[1].node_state == TLV_NODE_STATE_LEAVING);
	CHECK(m.nodes.count == 3 && m.nodes.nodes[2].node_state == TLV_NODE_STATE_DEAD);
	/* A bad node after good ones: the good ones stay. */
	CHECK_EQ(decode_hex("000a 00000018 |"
	    " 0011 0008 0009 0004 00000001 |"
	    " 0011 0008 0009 0004 00000000", &m), MSG_DECODE_BAD_VALUE);
	CHECK_EQ(m.nodes.count, 1);
	msg_decoded_destroy(&m);
}

/* Last occurrence wins (with no leak: ASan checks), partial decode keeps earlier fields. */
static void
test_decode_repeats_and_partial(void)
{
	struct msg_decoded m;

	msg_decoded_init(&m);
	CHECK_EQ(decode_hex("0000 0000002b | 0000 0004 00000001 | 0001 0002 6161 |"
	    " 0000 0004 00000002 | 0001 0003 626262 | 0004 0002 0001 | 0004 0004 0007 0008",
	    &m), MSG_DECODE_OK);
	CHECK_EQ(m.seq_number, 2);
	CHECK(m.cluster_name_len == 3 && strcmp(m.cluster_name, "bbb") == 0);
	CHECK(m.no_supported_messages == 2 && m.supported_messages[0] == 7);

	/* A bad array after a good one leaves the good one in place. */
	CHECK_EQ(decode_hex("0003 0000000d | 0004 0002 0001 | 0004 0003 000000", &m),
	    MSG_DECODE_BAD_LENGTH);
	CHECK(m.supported_messages_set && m.no_supported_messages == 1);
	CHECK(m.supported_messages[0] == 1);

	/* Fields after the bad TLV are not decoded. */
	CHECK_EQ(decode_hex("0003 00000015 | 0009 0004 00000003 | 0013 0001 00 |"
	    " 000c 0004 00001f40", &m), MSG_DECODE_BAD_VALUE);
	CHECK(m.node_id_set && m.node_id == 3);
	CHECK(!m.heartbeat_interval_set);

	/* A second decode into the same struct starts from scratch. */
	CHECK_EQ(decode_hex(G_ECHO_REQUEST, &m), MSG_DECODE_OK);
	CHECK(!m.node_id_set && !m.supported_messages_set && m.supported_messages == NULL);

	/* Tie-breaker node id is dropped unless in NODE_ID mode. */
	CHECK_EQ(decode_hex("0003 00000009 | 0015 0005 02 00000009", &m), MSG_DECODE_OK);
	CHECK(m.tie_breaker.mode == TLV_TIE_BREAKER_MODE_HIGHEST && m.tie_breaker.node_id == 0);
	CHECK_EQ(decode_hex("0003 00000009 | 0015 0005 03 00000009", &m), MSG_DECODE_OK);
	CHECK(m.tie_breaker.mode == TLV_TIE_BREAKER_MODE_NODE_ID && m.tie_breaker.node_id == 9);

	/* Top-level data centre id and node state are kept too. */
	CHECK_EQ(decode_hex("000a 0000000d | 000f 0004 00000009 | 0010 0001 02", &m),
	    MSG_DECODE_OK);
	CHECK(m.data_center_id_set && m.data_center_id == 9);
	CHECK(m.node_state_set && m.node_state == TLV_NODE_STATE_DEAD);
	msg_decoded_destroy(&m);
}

/* Hostile sizes: a maximal TLV, thousands of nodes, a 64 KiB array. */
static void
test_decode_large(void)
{
	struct msg_decoded m;
	struct wbuf wb;
	size_t i, n;

	msg_decoded_init(&m);
	wbuf_init(&wb, 1 << 22);

	/* 5000 minimal NODE_INFOs. */
	n = 5000;
	CHECK_EQ(wbuf_put_u16(&wb, MSG_TYPE_NODE_LIST), 0);
	CHECK_EQ(wbuf_put_u32(&wb, (uint32_t)(n * 12)), 0);
	for (i = 0; i < n; i++)
		(void)tlv_add_node_info(&wb, (uint32_t)i + 1, 0, TLV_NODE_STATE_NOT_SET);
	CHECK(!wb.failed);
	CHECK_EQ(msg_decode(wb.data, wb.len, &m), MSG_DECODE_OK);
	CHECK_EQ(m.nodes.count, n);
	CHECK(m.nodes.cap >= n && m.nodes.cap <= 2 * n);

	/* A 65534-byte array: 32767 entries. */
	wbuf_reset(&wb);
	CHECK_EQ(wbuf_put_u16(&wb, MSG_TYPE_INIT), 0);
	CHECK_EQ(wbuf_put_u32(&wb, 4 + 65534), 0);
	CHECK_EQ(wbuf_put_u16(&wb, TLV_OPT_SUPPORTED_OPTIONS), 0);
	CHECK_EQ(wbuf_put_u16(&wb, 65534), 0);
	for (i = 0; i < 32767; i++)
		(void)wbuf_put_u16(&wb, (uint16_t)i);
	CHECK(!wb.failed);
	CHECK_EQ(msg_decode(wb.data, wb.len, &m), MSG_DECODE_OK);
	CHECK_EQ(m.no_supported_options, 32767);
	CHECK(m.no_supported_options == 32767 && m.supported_options[32766] == 32766);

	/* A 65535-byte unknown TLV. */
	wbuf_reset(&wb);
	CHECK_EQ(wbuf_put_u16(&wb, MSG_TYPE_ECHO_REQUEST), 0);
	CHECK_EQ(wbuf_put_u32(&wb, 4 + 65535), 0);
	CHECK_EQ(wbuf_put_u16(&wb, 999), 0);
	CHECK_EQ(wbuf_put_u16(&wb, 65535), 0);
	for (i = 0; i < 65535; i++)
		(void)wbuf_put_u8(&wb, 0xaa);
	CHECK(!wb.failed);
	CHECK_EQ(msg_decode(wb.data, wb.len, &m), MSG_DECODE_OK);

	wbuf_destroy(&wb);
	msg_decoded_destroy(&m);
}

static void
test_types(void)
{
	static const char *const names[MSG_TYPE_COUNT] = {
		"Preinit", "Preinit reply", "StartTLS", "Init", "Init reply", "Server error",
		"Set option", "Set option reply", "Echo request", "Echo reply", "Node list",
		"Node list reply", "Ask for vote", "Ask for vote reply", "Vote info",
		"Vote info reply", "Heuristics change", "Heuristics change reply",
	};
	static const int c2s[MSG_TYPE_COUNT] = {
		1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0,
	};
	uint16_t type;
	uint32_t len;
	uint32_t t;

	for (t = 0; t < MSG_TYPE_COUNT; t++) {
		CHECK(strcmp(msg_type_to_str(t), names[t]) == 0);
		CHECK_EQ(msg_type_is_valid(t), 1);
		CHECK_EQ(msg_type_is_client_to_server(t), c2s[t]);
	}
	CHECK_EQ(msg_type_is_valid(18), 0);
	CHECK_EQ(msg_type_is_valid(0xffff), 0);
	CHECK_EQ(msg_type_is_valid(0x10000), 0);
	CHECK_EQ(msg_type_is_client_to_server(99), 0);
	CHECK(msg_type_to_str(18) != NULL && msg_type_to_str(0xffffffff) != NULL);
	msg_header_parse((const uint8_t *)"\x12\x34\xfe\xdc\xba\x98", &type, &len);
	CHECK_EQ(type, 0x1234);
	CHECK_EQ(len, 0xfedcba98u);
}

/* Malformed seeds for the fuzz corpus: each reaches one rejection path. */
static const struct golden bad_seeds[] = {
	{ "bad_empty_body", "00 08 00 00 00 00" },
	{ "bad_trailing_2", "00 08 00 00 00 0a | 00 00 00 04 00 00 00 01 | 00 00" },
	{ "bad_seq_len_3", "00 08 00 00 00 07 | 00 00 00 03 00 00 01" },
	{ "bad_node_id_0", "00 0a 00 00 00 19 | 00 00 00 04 00 00 00 0b | 00 12 00 01 02 |"
	    " 00 11 00 08 00 09 00 04 00 00 00 00" },
	{ "bad_vote_9", "00 0b 00 00 00 0d | 00 00 00 04 00 00 00 05 | 00 13 00 01 09" },
	{ "bad_odd_array", "00 03 00 00 00 07 | 00 04 00 03 00 00 00" },
	{ "bad_unknown_tlv", "00 08 00 00 00 0f | 00 c8 00 03 aa bb cc | 00 00 00 04 00 00 00 01" },
	{ "bad_type_99", "00 63 00 00 00 05 | 01 02 03 04 05 | 00 08 00 00 00 08 00 00 00 04 00 00 00 01" },
	{ "bad_4gib", "00 08 ff ff ff ff | 00 00 00 04 00 00 00 01" },
	{ "bad_inner_empty", "00 0a 00 00 00 04 | 00 11 00 00" },
	{ "bad_inner_state", "00 0a 00 00 00 11 | 00 11 00 0d 00 09 00 04 00 00 00 01 00 10 00 01 00" },
};

static void
write_seed(const char *dir, const struct golden *g)
{
	static uint8_t buf[BUF_MAX];
	char path[4096];
	size_t n;
	FILE *f;

	n = hex_decode(g->hex, buf, sizeof(buf));
	snprintf(path, sizeof(path), "%s/%s", dir, g->name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(fwrite(buf, 1, n, f), n);
	fclose(f);
}

static void
write_corpus(const char *dir)
{
	size_t i;

	for (i = 0; i < GOLDEN_COUNT; i++)
		write_seed(dir, &goldens[i]);
	for (i = 0; i < sizeof(bad_seeds) / sizeof(bad_seeds[0]); i++)
		write_seed(dir, &bad_seeds[i]);
}

int
main(void)
{
	const char *corpus;

	test_golden_server_side();
	test_golden_client_side();
	test_golden_echo_reply();
	test_golden_variants();
	test_builder_append_and_limit();
	test_decode_goldens();
	test_decode_all_goldens();
	test_round_trip();
	test_decode_errors_appendix_a();
	test_decode_lengths_and_ranges();
	test_decode_node_info();
	test_decode_repeats_and_partial();
	test_decode_large();
	test_types();
	corpus = getenv("QNETD_WRITE_CORPUS");
	if (corpus != NULL)
		write_corpus(corpus);
	return (check_exit("msg"));
}
