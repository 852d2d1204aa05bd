/*
 * test_enroll_token.c - enrollment tokens: text form, parsing, the stored
 * record, and every outcome of token_check() (wrong secret, withdrawn,
 * expired, used with another key, used with the same key).
 */
#include <stdio.h>
#include <string.h>

#include <nss.h>

#include "check.h"
#include "enroll/digest.h"
#include "enroll/token.h"
#include "enroll/token_store.h"

static const char spki_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char spki_b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static void
test_new_and_parse(void)
{
	char text[TOKEN_TEXT_LEN + 1], text2[TOKEN_TEXT_LEN + 1], hash[65];
	struct token_rec rec, rec2;
	struct token_text tt;

	CHECK_EQ(token_new("c1", 1000, TOKEN_EXPIRY_DEFAULT, &rec, text), 0);
	CHECK_EQ(strlen(text), 60);
	CHECK_EQ(text[16], '.');
	CHECK(strncmp(text, rec.id, 16) == 0);
	CHECK(strcmp(rec.cluster, "c1") == 0);
	CHECK_EQ(rec.created, 1000);
	CHECK_EQ(rec.expires, 1000 + 3600);
	CHECK(strcmp(rec.state, "open") == 0);
	/* Only the hash of the secret is kept, never the secret. */
	CHECK(strstr(text, rec.hash) == NULL);
	CHECK_EQ(token_parse(text, &tt), 0);
	CHECK(strcmp(tt.id, rec.id) == 0);
	CHECK_EQ(digest_sha256_hex(tt.secret, sizeof(tt.secret), hash), 0);
	CHECK(strcmp(hash, rec.hash) == 0);
	/* Two tokens never share id or secret. */
	CHECK_EQ(token_new("c1", 1000, 60, &rec2, text2), 0);
	CHECK(strcmp(rec.id, rec2.id) != 0);
	CHECK(strcmp(rec.hash, rec2.hash) != 0);
	/* Bounds of the lifetime and of the name. */
	CHECK_EQ(token_new("c1", 1000, TOKEN_EXPIRY_MAX + 1, &rec2, text2), -1);
	CHECK_EQ(token_new("c1", 1000, 0, &rec2, text2), -1);
	CHECK_EQ(token_new("a b", 1000, 60, &rec2, text2), -1);
	CHECK_EQ(token_new("a/b", 1000, 60, &rec2, text2), -1);
	CHECK_EQ(token_new("", 1000, 60, &rec2, text2), -1);
}

static void
test_parse_rejects(void)
{
	char text[TOKEN_TEXT_LEN + 1], bad[TOKEN_TEXT_LEN + 8];
	struct token_rec rec;
	struct token_text tt;

	CHECK_EQ(token_new("c1", 1000, 60, &rec, text), 0);
	CHECK_EQ(token_parse("", &tt), -1);
	CHECK_EQ(token_parse("abc.def", &tt), -1);
	snprintf(bad, sizeof(bad), "%s\n", text);
	CHECK_EQ(token_parse(bad, &tt), -1);
	snprintf(bad, sizeof(bad), "%s", text);
	bad[16] = ':';
	CHECK_EQ(token_parse(bad, &tt), -1);
	snprintf(bad, sizeof(bad), "%s", text);
	bad[3] = 'G';
	CHECK_EQ(token_parse(bad, &tt), -1);
	snprintf(bad, sizeof(bad), "%s", text);
	bad[30] = '+'; /* base64, not base64url */
	CHECK_EQ(token_parse(bad, &tt), -1);
	snprintf(bad, sizeof(bad), "%s", text);
	bad[59] = '\0';
	CHECK_EQ(token_parse(bad, &tt), -1);
	snprintf(bad, sizeof(bad), "%s", text);
	bad[0] = 'A'; /* the id is lowercase hex */
	CHECK_EQ(token_parse(bad, &tt), -1);
}

static void
test_check(void)
{
	char text[TOKEN_TEXT_LEN + 1], other[TOKEN_TEXT_LEN + 1], serial[42];
	struct token_rec rec, rec2;
	struct token_text tt, wrong;

	CHECK_EQ(token_new("c1", 1000, 600, &rec, text), 0);
	CHECK_EQ(token_new("c1", 1000, 600, &rec2, other), 0);
	CHECK_EQ(token_parse(text, &tt), 0);
	CHECK_EQ(token_parse(other, &wrong), 0);
	CHECK_EQ(token_check(&rec, &tt, 1000, spki_a, serial), TOKEN_CHECK_OK);
	CHECK_EQ(token_check(&rec, &tt, 1599, spki_a, serial), TOKEN_CHECK_OK);
	/* Another token's secret under this id. */
	CHECK_EQ(token_check(&rec, &wrong, 1000, spki_a, serial), TOKEN_CHECK_BAD);
	/* One bit off, first and last byte. */
	wrong = tt;
	wrong.secret[0] ^= 1;
	CHECK_EQ(token_check(&rec, &wrong, 1000, spki_a, serial), TOKEN_CHECK_BAD);
	wrong = tt;
	wrong.secret[31] ^= 0x80;
	CHECK_EQ(token_check(&rec, &wrong, 1000, spki_a, serial), TOKEN_CHECK_BAD);
	/* Expiry: at rec.expires it is over. */
	CHECK_EQ(token_check(&rec, &tt, 1600, spki_a, serial), TOKEN_CHECK_EXPIRED);
	/* Used: same key gets its certificate's serial back, another key is refused. */
	token_mark_used(&rec, spki_a, "6a");
	serial[0] = '\0';
	CHECK_EQ(token_check(&rec, &tt, 1100, spki_a, serial), TOKEN_CHECK_USED_SAME_KEY);
	CHECK(strcmp(serial, "6a") == 0);
	CHECK_EQ(token_check(&rec, &tt, 1100, spki_b, serial), TOKEN_CHECK_USED_OTHER_KEY);
	/* ... and not after the expiry either. */
	CHECK_EQ(token_check(&rec, &tt, 1600, spki_a, serial), TOKEN_CHECK_EXPIRED);
	/* A wrong secret learns nothing about the state. */
	CHECK_EQ(token_check(&rec, &wrong, 1100, spki_a, serial), TOKEN_CHECK_BAD);
	strcpy(rec.state, "withdrawn");
	CHECK_EQ(token_check(&rec, &tt, 1100, spki_a, serial), TOKEN_CHECK_WITHDRAWN);
	CHECK_EQ(token_check(&rec, &wrong, 1100, spki_a, serial), TOKEN_CHECK_BAD);
}

static void
test_record_lines(void)
{
	char text[TOKEN_TEXT_LEN + 1], line[512];
	struct token_rec rec, back;

	CHECK_EQ(token_new("cl-9", 1700000000, 3600, &rec, text), 0);
	CHECK(token_rec_format(&rec, line, sizeof(line)) > 0);
	CHECK_EQ(token_rec_parse(line, &back), 1);
	CHECK_MEM(&rec, sizeof(rec), &back, sizeof(back));
	token_mark_used(&rec, spki_a, "ff01");
	CHECK(token_rec_format(&rec, line, sizeof(line)) > 0);
	CHECK_EQ(token_rec_parse(line, &back), 1);
	CHECK(strcmp(back.state, rec.state) == 0);
	/* Malformed lines. */
	CHECK_EQ(token_rec_parse("", &back), 0);
	CHECK_EQ(token_rec_parse("0011223344556677 c1 1 2 abc open", &back), 0);
	snprintf(line, sizeof(line), "%s c1 1 2 %s closed", rec.id, rec.hash);
	CHECK_EQ(token_rec_parse(line, &back), 0);
	snprintf(line, sizeof(line), "%s c1 1 2 %s open extra", rec.id, rec.hash);
	CHECK_EQ(token_rec_parse(line, &back), 0);
	snprintf(line, sizeof(line), "%s c1 1 2 %s used:%s:", rec.id, rec.hash, spki_a);
	CHECK_EQ(token_rec_parse(line, &back), 0);
	snprintf(line, sizeof(line), "%s c1 1 2 %s used:%s:6a", rec.id, rec.hash, spki_a);
	CHECK_EQ(token_rec_parse(line, &back), 1);
	CHECK_EQ(token_rec_format(&rec, line, 10), -1);
}

static void
test_prune(void)
{
	struct token_store s = { 0 };
	struct token_rec rec;
	char text[TOKEN_TEXT_LEN + 1];

	CHECK_EQ(token_new("old", 1000, 60, &rec, text), 0);
	CHECK_EQ(token_store_add(&s, &rec), 0);
	CHECK_EQ(token_new("new", 1000 + TOKEN_STORE_KEEP_EXPIRED, 60, &rec, text), 0);
	CHECK_EQ(token_store_add(&s, &rec), 0);
	CHECK_EQ(token_store_prune(&s, 1060 + TOKEN_STORE_KEEP_EXPIRED), 0);
	CHECK_EQ(token_store_prune(&s, 1061 + TOKEN_STORE_KEEP_EXPIRED), 1);
	CHECK_EQ(s.n, 1);
	CHECK(strcmp(s.recs[0].cluster, "new") == 0);
	token_store_free(&s);
}

static void
test_digest(void)
{
	static const uint8_t zero_serial[] = { 0, 0 }, serial[] = { 0, 0x6a };
	uint8_t out[4], bytes[5] = { 0xfb, 0xff, 0x00, 0x10, 0x3e };
	char text[80];

	CHECK_EQ(digest_equal_ct("abcd", "abcd", 4), 1);
	CHECK_EQ(digest_equal_ct("abcd", "abce", 4), 0);
	CHECK_EQ(digest_equal_ct("xbcd", "abcd", 4), 0);
	CHECK_EQ(digest_serial_hex(serial, sizeof(serial), text), 0);
	CHECK(strcmp(text, "6a") == 0);
	CHECK_EQ(digest_serial_hex(zero_serial, sizeof(zero_serial), text), 0);
	CHECK(strcmp(text, "0") == 0);
	digest_b64url(bytes, 4, text);
	CHECK(strcmp(text, "-_8AEA") == 0);
	CHECK_EQ(digest_b64url_decode(text, strlen(text), out, 4), 0);
	CHECK_MEM(out, 4, bytes, 4);
	/* The last character's unused bits must be zero: one text per secret. */
	CHECK_EQ(digest_b64url_decode("AA", 2, out, 1), 0);
	CHECK_EQ(digest_b64url_decode("AB", 2, out, 1), -1);
	CHECK_EQ(digest_b64url_decode("AAA", 3, out, 1), -1);
	digest_b64(bytes, 5, text);
	CHECK(strcmp(text, "+/8AED4=") == 0);
	CHECK_EQ(digest_sha256_hex("abc", 3, text), 0);
	CHECK(
	    strcmp(text, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
}

int
main(void)
{
	if (NSS_NoDB_Init(NULL) != SECSuccess) {
		fprintf(stderr, "NSS_NoDB_Init failed\n");
		return (1);
	}
	test_new_and_parse();
	test_parse_rejects();
	test_check();
	test_record_lines();
	test_prune();
	test_digest();
	NSS_Shutdown();
	return (check_exit("test_enroll_token"));
}
