/*
 * token.h - one-time enrollment tokens: the text form "id.secret"
 * (id: 8 random bytes in lowercase hex; secret: 32 random bytes in
 * base64url without padding), the stored hash of the secret, and the
 * checks a presented token goes through.
 */
#ifndef QNETD_ENROLL_TOKEN_H
#define QNETD_ENROLL_TOKEN_H

#include <stdint.h>
#include <time.h>

#include "enroll/digest.h"

#define TOKEN_ID_BYTES 8
#define TOKEN_ID_LEN (2 * TOKEN_ID_BYTES)
#define TOKEN_SECRET_BYTES 32
#define TOKEN_SECRET_LEN 43
#define TOKEN_TEXT_LEN (TOKEN_ID_LEN + 1 + TOKEN_SECRET_LEN)
/* Expiry: default and upper bound, in seconds. */
#define TOKEN_EXPIRY_DEFAULT (60 * 60)
#define TOKEN_EXPIRY_MAX (24 * 60 * 60)
/* Longest cluster name the files accept (corosync's totem.cluster_name is shorter). */
#define TOKEN_CLUSTER_MAX 255
/* "used:" + SPKI hash + ":" + serial hex. */
#define TOKEN_STATE_MAX (5 + DIGEST_SHA256_HEX_LEN + 1 + 42)

struct token_text {
	char id[TOKEN_ID_LEN + 1];
	uint8_t secret[TOKEN_SECRET_BYTES];
};

/* One line of the tokens file. */
struct token_rec {
	char id[TOKEN_ID_LEN + 1];
	char cluster[TOKEN_CLUSTER_MAX + 1];
	int64_t created;
	int64_t expires;
	char hash[DIGEST_SHA256_HEX_LEN + 1];
	char state[TOKEN_STATE_MAX + 1];
};

enum token_check {
	TOKEN_CHECK_OK,
	TOKEN_CHECK_BAD /* wrong secret */,
	TOKEN_CHECK_EXPIRED,
	TOKEN_CHECK_WITHDRAWN,
	TOKEN_CHECK_USED_OTHER_KEY,
	TOKEN_CHECK_USED_SAME_KEY /* the same key again: hand out the same certificate */,
};

/*
 * A new token for cluster valid from now for lifetime seconds: fills rec
 * (state "open") and text (the "id.secret" to give out, NUL-terminated).
 * 0, or -1 when getrandom or hashing fails.
 */
int token_new(const char *cluster, time_t now, int64_t lifetime, struct token_rec *rec,
    char text[TOKEN_TEXT_LEN + 1]);

/* Splits "id.secret" (surrounding blanks and a newline are not allowed). 0 or -1. */
int token_parse(const char *text, struct token_text *out);

/*
 * Checks a parsed token against its record: the secret's hash compared
 * in constant time, then withdrawn, expiry (expired at or after
 * rec->expires), then a previous use (spki_hex: SHA-256 hex of the
 * request's public key).  On TOKEN_CHECK_USED_SAME_KEY, serial (room for
 * 42) receives the serial of the certificate issued then.
 */
enum token_check token_check(const struct token_rec *rec, const struct token_text *tok, time_t now,
    const char *spki_hex, char *serial);

/* Marks rec used by the key spki_hex for the certificate serial_hex. */
void token_mark_used(struct token_rec *rec, const char *spki_hex, const char *serial_hex);

/* 1 when the line is a valid token_rec and stores it in rec, else 0. */
int token_rec_parse(const char *line, struct token_rec *rec);

/* The line for rec, without newline, into buf.  Bytes written, or -1 when it does not fit. */
int token_rec_format(const struct token_rec *rec, char *buf, size_t size);

/* 1 if name is a cluster name the files can hold (1..255 printable, no blank, no '/'). */
int token_cluster_name_ok(const char *name);

#endif
