/*
 * token.c - enrollment tokens: generation from getrandom(2), parsing,
 * the stored record and the checks against it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "enroll/token.h"

static int
random_bytes(uint8_t *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;

	while (got < len) {
		n = getrandom(buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		got += (size_t)n;
	}
	return (0);
}

int
token_cluster_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > TOKEN_CLUSTER_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if (!isgraph((unsigned char)name[i]) || name[i] == '/')
			return (0);
	}
	return (1);
}

int
token_new(const char *cluster, time_t now, int64_t lifetime, struct token_rec *rec,
    char text[TOKEN_TEXT_LEN + 1])
{
	uint8_t id[TOKEN_ID_BYTES], secret[TOKEN_SECRET_BYTES];

	if (!token_cluster_name_ok(cluster) || lifetime <= 0 || lifetime > TOKEN_EXPIRY_MAX)
		return (-1);
	if (random_bytes(id, sizeof(id)) != 0 || random_bytes(secret, sizeof(secret)) != 0)
		return (-1);
	memset(rec, 0, sizeof(*rec));
	digest_hex(id, sizeof(id), rec->id);
	snprintf(rec->cluster, sizeof(rec->cluster), "%s", cluster);
	rec->created = (int64_t)now;
	rec->expires = (int64_t)now + lifetime;
	if (digest_sha256_hex(secret, sizeof(secret), rec->hash) != 0)
		return (-1);
	strcpy(rec->state, "open");
	memcpy(text, rec->id, TOKEN_ID_LEN);
	text[TOKEN_ID_LEN] = '.';
	digest_b64url(secret, sizeof(secret), text + TOKEN_ID_LEN + 1);
	memset(secret, 0, sizeof(secret));
	return (0);
}

static int
is_lower_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return (0);
	}
	return (1);
}

int
token_parse(const char *text, struct token_text *out)
{
	if (strlen(text) != TOKEN_TEXT_LEN || text[TOKEN_ID_LEN] != '.' ||
	    !is_lower_hex(text, TOKEN_ID_LEN))
		return (-1);
	memcpy(out->id, text, TOKEN_ID_LEN);
	out->id[TOKEN_ID_LEN] = '\0';
	return (digest_b64url_decode(text + TOKEN_ID_LEN + 1, TOKEN_SECRET_LEN, out->secret,
	    sizeof(out->secret)));
}

enum token_check
token_check(const struct token_rec *rec, const struct token_text *tok, time_t now,
    const char *spki_hex, char *serial)
{
	char hash[DIGEST_SHA256_HEX_LEN + 1];
	const char *used;

	if (digest_sha256_hex(tok->secret, sizeof(tok->secret), hash) != 0 ||
	    !digest_equal_ct(hash, rec->hash, DIGEST_SHA256_HEX_LEN))
		return (TOKEN_CHECK_BAD);
	if (strcmp(rec->state, "withdrawn") == 0)
		return (TOKEN_CHECK_WITHDRAWN);
	if ((int64_t)now >= rec->expires)
		return (TOKEN_CHECK_EXPIRED);
	if (strncmp(rec->state, "used:", 5) != 0)
		return (TOKEN_CHECK_OK);
	used = rec->state + 5;
	if (strncmp(used, spki_hex, DIGEST_SHA256_HEX_LEN) != 0 ||
	    used[DIGEST_SHA256_HEX_LEN] != ':')
		return (TOKEN_CHECK_USED_OTHER_KEY);
	snprintf(serial, 42, "%s", used + DIGEST_SHA256_HEX_LEN + 1);
	return (TOKEN_CHECK_USED_SAME_KEY);
}

void
token_mark_used(struct token_rec *rec, const char *spki_hex, const char *serial_hex)
{
	snprintf(rec->state, sizeof(rec->state), "used:%s:%s", spki_hex, serial_hex);
}

static int
state_ok(const char *s)
{
	const char *serial;
	size_t n;

	if (strcmp(s, "open") == 0 || strcmp(s, "withdrawn") == 0)
		return (1);
	if (strncmp(s, "used:", 5) != 0 || strlen(s) < 5 + DIGEST_SHA256_HEX_LEN + 2)
		return (0);
	if (!is_lower_hex(s + 5, DIGEST_SHA256_HEX_LEN) || s[5 + DIGEST_SHA256_HEX_LEN] != ':')
		return (0);
	serial = s + 5 + DIGEST_SHA256_HEX_LEN + 1;
	n = strlen(serial);
	return (n >= 1 && n <= 41 && is_lower_hex(serial, n));
}

int
token_rec_parse(const char *line, struct token_rec *rec)
{
	char id[64], cluster[TOKEN_CLUSTER_MAX + 2], hash[80], state[128];
	int64_t created, expires;
	int end = 0;

	if (sscanf(line, "%63s %256s %" SCNd64 " %" SCNd64 " %79s %127s %n", id, cluster, &created,
	        &expires, hash, state, &end) != 6 ||
	    line[end] != '\0')
		return (0);
	if (strlen(id) != TOKEN_ID_LEN || !is_lower_hex(id, TOKEN_ID_LEN) ||
	    !token_cluster_name_ok(cluster) || strlen(hash) != DIGEST_SHA256_HEX_LEN ||
	    !is_lower_hex(hash, DIGEST_SHA256_HEX_LEN) || strlen(state) > TOKEN_STATE_MAX ||
	    !state_ok(state))
		return (0);
	memset(rec, 0, sizeof(*rec));
	strcpy(rec->id, id);
	strcpy(rec->cluster, cluster);
	rec->created = created;
	rec->expires = expires;
	strcpy(rec->hash, hash);
	strcpy(rec->state, state);
	return (1);
}

int
token_rec_format(const struct token_rec *rec, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "%s %s %" PRId64 " %" PRId64 " %s %s", rec->id, rec->cluster,
	    rec->created, rec->expires, rec->hash, rec->state);
	if (n < 0 || (size_t)n >= size)
		return (-1);
	return (n);
}
