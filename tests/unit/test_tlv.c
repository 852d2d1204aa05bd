/*
 * test_tlv.c - TLV encoders, text forms, comparisons, and the small
 * building blocks under them: wbuf, rcursor, node_list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hex.h"
#include "codec/node_list.h"
#include "codec/rcursor.h"
#include "codec/tlv.h"
#include "codec/wbuf.h"

static void
expect(int line, const struct wbuf *wb, const char *hex)
{
	uint8_t want[256];
	size_t n;

	n = hex_decode(hex, want, sizeof(want));
	check_count++;
	if (wb->len != n || (n > 0 && memcmp(wb->data, want, n) != 0)) {
		check_failures++;
		fprintf(stderr, "test_tlv.c:%d: bytes differ (got %zu, want %zu)\n", line,
		    wb->len, n);
	}
}

#define ENC(hex, call) do { \
	struct wbuf wb; \
	wbuf_init(&wb, 1024); \
	CHECK_EQ((call), 0); \
	expect(__LINE__, &wb, (hex)); \
	wbuf_destroy(&wb); \
} while (0)

static void
test_encoders(void)
{
	static const uint16_t a[] = { 0, 1, 0xffff };
	struct tlv_ring_id ring = { 0x01020304, 0x05060708090a0b0cULL };
	struct tlv_tie_breaker tb;

	ENC("0002 0001 02", tlv_add_u8(&wb, TLV_OPT_TLS_SUPPORTED, 2));
	ENC("0006 0002 1234", tlv_add_u16(&wb, TLV_OPT_REPLY_ERROR_CODE, 0x1234));
	ENC("0000 0004 deadbeef", tlv_add_u32(&wb, TLV_OPT_MSG_SEQ_NUMBER, 0xdeadbeef));
	ENC("000e 0008 0102030405060708", tlv_add_u64(&wb, TLV_OPT_CONFIG_VERSION,
	    0x0102030405060708ULL));
	ENC("0001 0003 616263", tlv_add_bytes(&wb, TLV_OPT_CLUSTER_NAME, "abc", 3));
	ENC("0001 0000", tlv_add_bytes(&wb, TLV_OPT_CLUSTER_NAME, "", 0));
	ENC("0004 0006 0000 0001 ffff", tlv_add_u16_array(&wb, TLV_OPT_SUPPORTED_MESSAGES, a, 3));
	ENC("000a 0000", tlv_add_u16_array(&wb, TLV_OPT_SUPPORTED_DECISION_ALGORITHMS, a, 0));
	ENC("000d 000c 01020304 05060708090a0b0c", tlv_add_ring_id(&wb, &ring));
	tb.mode = TLV_TIE_BREAKER_MODE_NODE_ID;
	tb.node_id = 7;
	ENC("0015 0005 03 00000007", tlv_add_tie_breaker(&wb, &tb));
	tb.mode = TLV_TIE_BREAKER_MODE_LOWEST;
	ENC("0015 0005 01 00000000", tlv_add_tie_breaker(&wb, &tb));
	ENC("0011 0008 0009 0004 00000001",
	    tlv_add_node_info(&wb, 1, 0, TLV_NODE_STATE_NOT_SET));
	ENC("0011 0010 0009 0004 00000001 000f 0004 00000002",
	    tlv_add_node_info(&wb, 1, 2, TLV_NODE_STATE_NOT_SET));
	ENC("0011 000d 0009 0004 00000001 0010 0001 03",
	    tlv_add_node_info(&wb, 1, 0, TLV_NODE_STATE_LEAVING));
	ENC("0011 0015 0009 0004 00000001 000f 0004 00000002 0010 0001 01",
	    tlv_add_node_info(&wb, 1, 2, TLV_NODE_STATE_MEMBER));
}

/* A refused TLV leaves no partial bytes, and refusal is sticky. */
static void
test_encoder_limits(void)
{
	uint16_t big[40000];
	struct wbuf wb;

	memset(big, 0, sizeof(big));
	wbuf_init(&wb, 10);
	CHECK_EQ(tlv_add_u32(&wb, TLV_OPT_NODE_ID, 1), 0);
	CHECK_EQ(wb.len, 8);
	CHECK_EQ(tlv_add_u8(&wb, TLV_OPT_VOTE, 1), -1);
	CHECK_EQ(wb.len, 8);
	CHECK(wb.failed);
	CHECK_EQ(wbuf_put_u8(&wb, 1), -1);
	CHECK_EQ(wb.len, 8);
	wbuf_reset(&wb);
	CHECK_EQ(wb.len, 0);
	CHECK(!wb.failed);
	CHECK_EQ(tlv_add_bytes(&wb, TLV_OPT_CLUSTER_NAME, "abcdef", 6), 0);
	CHECK_EQ(wb.len, 10);
	wbuf_destroy(&wb);

	wbuf_init(&wb, 1 << 20);
	CHECK_EQ(tlv_add_u16_array(&wb, TLV_OPT_SUPPORTED_OPTIONS, big, 32767), 0);
	CHECK_EQ(wb.len, 4 + 65534);
	CHECK_EQ(tlv_add_u16_array(&wb, TLV_OPT_SUPPORTED_OPTIONS, big, 32768), -1);
	CHECK_EQ(wb.len, 4 + 65534);
	wbuf_reset(&wb);
	CHECK_EQ(tlv_add_bytes(&wb, TLV_OPT_CLUSTER_NAME, big, 65536), -1);
	CHECK_EQ(wb.len, 0);
	wbuf_destroy(&wb);
}

static void
test_strings(void)
{

	CHECK(strcmp(tlv_vote_to_str(TLV_VOTE_UNDEFINED), "Undefined") == 0);
	CHECK(strcmp(tlv_vote_to_str(TLV_VOTE_ACK), "ACK") == 0);
	CHECK(strcmp(tlv_vote_to_str(TLV_VOTE_NACK), "NACK") == 0);
	CHECK(strcmp(tlv_vote_to_str(TLV_VOTE_ASK_LATER), "Ask later") == 0);
	CHECK(strcmp(tlv_vote_to_str(TLV_VOTE_WAIT_FOR_REPLY), "Wait for reply") == 0);
	CHECK(strcmp(tlv_vote_to_str(TLV_VOTE_NO_CHANGE), "No change") == 0);
	CHECK(tlv_vote_to_str((enum tlv_vote)77) != NULL);
	CHECK(strcmp(tlv_heuristics_to_str(TLV_HEURISTICS_UNDEFINED), "Undefined") == 0);
	CHECK(strcmp(tlv_heuristics_to_str(TLV_HEURISTICS_PASS), "Pass") == 0);
	CHECK(strcmp(tlv_heuristics_to_str(TLV_HEURISTICS_FAIL), "Fail") == 0);
	CHECK(tlv_heuristics_to_str((enum tlv_heuristics)9) != NULL);
	CHECK(strcmp(tlv_decision_algorithm_to_str(TLV_DECISION_ALGORITHM_TEST), "Test") == 0);
	CHECK(strcmp(tlv_decision_algorithm_to_str(TLV_DECISION_ALGORITHM_FFSPLIT),
	    "Fifty-Fifty split") == 0);
	CHECK(strcmp(tlv_decision_algorithm_to_str(TLV_DECISION_ALGORITHM_2NODELMS),
	    "2 Node LMS") == 0);
	CHECK(strcmp(tlv_decision_algorithm_to_str(TLV_DECISION_ALGORITHM_LMS), "LMS") == 0);
	CHECK(tlv_decision_algorithm_to_str((enum tlv_decision_algorithm)7) != NULL);
	CHECK(strcmp(tlv_node_state_to_str(TLV_NODE_STATE_MEMBER), "member") == 0);
	CHECK(tlv_node_state_to_str((enum tlv_node_state)9) != NULL);
	CHECK(strcmp(tlv_reply_error_code_to_str(TLV_REPLY_ERROR_CODE_NO_ERROR), "No error") == 0);
	CHECK(strcmp(tlv_reply_error_code_to_str(TLV_REPLY_ERROR_CODE_INVALID_MEMBERSHIP_NODE_LIST),
	    "Invalid membership node list") == 0);
	CHECK(tlv_reply_error_code_to_str((enum tlv_reply_error_code)20) != NULL);
	CHECK(tlv_reply_error_code_to_str((enum tlv_reply_error_code)-1) != NULL);
}

static void
test_compare(void)
{
	struct tlv_ring_id r1 = { 1, 4 }, r2 = { 1, 4 }, r3 = { 1, 5 }, r4 = { 2, 4 };
	struct tlv_tie_breaker a = { TLV_TIE_BREAKER_MODE_LOWEST, 1 };
	struct tlv_tie_breaker b = { TLV_TIE_BREAKER_MODE_LOWEST, 2 };
	struct tlv_tie_breaker c = { TLV_TIE_BREAKER_MODE_NODE_ID, 1 };
	struct tlv_tie_breaker d = { TLV_TIE_BREAKER_MODE_NODE_ID, 2 };
	struct tlv_tie_breaker e = { TLV_TIE_BREAKER_MODE_NODE_ID, 1 };

	CHECK_EQ(tlv_ring_id_eq(&r1, &r2), 1);
	CHECK_EQ(tlv_ring_id_eq(&r1, &r3), 0);
	CHECK_EQ(tlv_ring_id_eq(&r1, &r4), 0);
	CHECK_EQ(tlv_tie_breaker_eq(&a, &b), 1);
	CHECK_EQ(tlv_tie_breaker_eq(&a, &c), 0);
	CHECK_EQ(tlv_tie_breaker_eq(&c, &d), 0);
	CHECK_EQ(tlv_tie_breaker_eq(&c, &e), 1);
	CHECK_EQ(tlv_heuristics_cmp(TLV_HEURISTICS_PASS, TLV_HEURISTICS_UNDEFINED), 1);
	CHECK_EQ(tlv_heuristics_cmp(TLV_HEURISTICS_PASS, TLV_HEURISTICS_FAIL), 1);
	CHECK_EQ(tlv_heuristics_cmp(TLV_HEURISTICS_UNDEFINED, TLV_HEURISTICS_FAIL), 1);
	CHECK_EQ(tlv_heuristics_cmp(TLV_HEURISTICS_UNDEFINED, TLV_HEURISTICS_PASS), -1);
	CHECK_EQ(tlv_heuristics_cmp(TLV_HEURISTICS_FAIL, TLV_HEURISTICS_UNDEFINED), -1);
	CHECK_EQ(tlv_heuristics_cmp(TLV_HEURISTICS_FAIL, TLV_HEURISTICS_PASS), -1);
	CHECK_EQ(tlv_heuristics_cmp(TLV_HEURISTICS_PASS, TLV_HEURISTICS_PASS), 0);
	CHECK_EQ(tlv_heuristics_cmp(TLV_HEURISTICS_FAIL, TLV_HEURISTICS_FAIL), 0);
	CHECK_EQ(tlv_heuristics_cmp(TLV_HEURISTICS_UNDEFINED, TLV_HEURISTICS_UNDEFINED), 0);
}

static void
test_wbuf(void)
{
	struct wbuf wb;
	uint8_t *p;
	size_t len;

	wbuf_init(&wb, 100);
	CHECK(wb.data == NULL && wb.len == 0);
	CHECK_EQ(wbuf_put_u16(&wb, 0x0102), 0);
	CHECK_EQ(wbuf_put_u32(&wb, 0x03040506), 0);
	CHECK_EQ(wbuf_put_u64(&wb, 0x0708090a0b0c0d0eULL), 0);
	expect(__LINE__, &wb, "0102 03040506 0708090a0b0c0d0e");
	wbuf_set_u16(&wb, 0, 0xaabb);
	wbuf_set_u32(&wb, 2, 0xccddeeff);
	expect(__LINE__, &wb, "aabb ccddeeff 0708090a0b0c0d0e");
	/* Out-of-range sets are ignored rather than writing past len. */
	wbuf_set_u32(&wb, 12, 0);
	wbuf_set_u16(&wb, 14, 0);
	expect(__LINE__, &wb, "aabb ccddeeff 0708090a0b0c0d0e");
	CHECK_EQ(wbuf_put(&wb, NULL, 0), 0);
	CHECK(wb.cap <= 100);
	p = wbuf_steal(&wb, &len);
	CHECK(p != NULL && len == 14);
	CHECK(wb.data == NULL && wb.len == 0 && wb.limit == 100);
	free(p);
	/* Exactly at the limit is fine; one more byte is not. */
	CHECK_EQ(wbuf_reserve(&wb, 100), 0);
	CHECK_EQ(wbuf_reserve(&wb, 101), -1);
	wbuf_reset(&wb);
	CHECK_EQ(wbuf_reserve(&wb, SIZE_MAX), -1);
	wbuf_reset(&wb);
	CHECK_EQ(wbuf_put(&wb, "0123456789", 10), 0);
	wbuf_truncate(&wb, 4);
	CHECK_EQ(wb.len, 4);
	wbuf_truncate(&wb, 40);
	CHECK_EQ(wb.len, 4);
	wbuf_destroy(&wb);
	CHECK(wb.data == NULL && wb.limit == 100);
	wbuf_destroy(&wb);
}

static void
test_rcursor(void)
{
	static const uint8_t b[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	struct rcursor c;
	const uint8_t *p;
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;

	rcursor_init(&c, b, sizeof(b));
	CHECK_EQ(rcursor_u8(&c, &u8), 0);
	CHECK_EQ(u8, 1);
	CHECK_EQ(rcursor_u16(&c, &u16), 0);
	CHECK_EQ(u16, 0x0203);
	CHECK_EQ(rcursor_u32(&c, &u32), 0);
	CHECK_EQ(u32, 0x04050607);
	CHECK_EQ(c.left, 8);
	CHECK_EQ(rcursor_u64(&c, &u64), 0);
	CHECK(u64 == 0x08090a0b0c0d0e0fULL);
	CHECK_EQ(c.left, 0);
	CHECK_EQ(rcursor_u8(&c, &u8), -1);
	CHECK_EQ(rcursor_bytes(&c, 0, &p), 0);
	rcursor_init(&c, b, 7);
	CHECK_EQ(rcursor_u64(&c, &u64), -1);
	CHECK_EQ(c.left, 7);
	rcursor_init(&c, b, 3);
	CHECK_EQ(rcursor_u32(&c, &u32), -1);
	CHECK_EQ(rcursor_bytes(&c, 4, &p), -1);
	CHECK_EQ(rcursor_bytes(&c, SIZE_MAX, &p), -1);
	CHECK(c.left == 3 && c.p == b);
	CHECK_EQ(rcursor_bytes(&c, 3, &p), 0);
	CHECK(p == b && c.left == 0);
}

static void
test_node_list(void)
{
	struct node_list a, b;
	uint32_t i;

	node_list_init(&a);
	node_list_init(&b);
	CHECK_EQ(node_list_contains(&a, 1), 0);
	for (i = 1; i <= 100; i++) {
		if (node_list_add(&a, i, i + 1000, TLV_NODE_STATE_MEMBER) == -1)
			CHECK(0);
	}
	CHECK_EQ(node_list_add(&a, 5, 0, TLV_NODE_STATE_NOT_SET), 0);
	CHECK_EQ(a.count, 101);
	CHECK(a.cap >= 101 && a.cap < 256);
	CHECK(a.nodes[100].node_id == 5 && a.nodes[4].node_id == 5);
	CHECK_EQ(node_list_contains(&a, 100), 1);
	CHECK_EQ(node_list_contains(&a, 101), 0);
	CHECK_EQ(node_list_add(&b, 9999, 0, TLV_NODE_STATE_NOT_SET), 0);
	CHECK_EQ(node_list_clone(&b, &a), 0);
	CHECK_EQ(b.count, 101);
	CHECK(memcmp(a.nodes, b.nodes, 101 * sizeof(a.nodes[0])) == 0);
	CHECK(a.nodes != b.nodes);
	CHECK_EQ(node_list_contains(&b, 9999), 0);
	node_list_destroy(&b);
	CHECK(b.count == 0 && b.nodes == NULL);
	CHECK_EQ(node_list_clone(&b, &b), 0);
	CHECK_EQ(node_list_clone(&b, &(struct node_list){ NULL, 0, 0 }), 0);
	CHECK_EQ(b.count, 0);
	node_list_move(&b, &a);
	CHECK(b.count == 101 && a.count == 0 && a.nodes == NULL);
	CHECK(b.nodes[0].data_center_id == 1001);
	node_list_move(&b, &b);
	CHECK_EQ(b.count, 101);
	node_list_destroy(&a);
	node_list_destroy(&b);
}

int
main(void)
{

	test_encoders();
	test_encoder_limits();
	test_strings();
	test_compare();
	test_wbuf();
	test_rcursor();
	test_node_list();
	return (check_exit("tlv"));
}
