/*
 * ca_cmd_token.c - enrollment tokens: issue (printing the token and the
 * corosync-qnetd-join command with the pins a node needs), list the
 * outstanding ones, withdraw one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cert.h>
#include <keyhi.h>
#include <pk11pub.h>

#include "ca_cmd.h"
#include "enroll/ca_lock.h"
#include "enroll/digest.h"
#include "enroll/token_store.h"

/* SHA-256 hex of the CA certificate and the curl pin of the server key. */
static int
pins(const struct ca_tool *t, char *ca_hex, char *spki_pin)
{
	CERTCertificate *ca, *server;
	SECItem *spki = NULL;
	uint8_t md[DIGEST_SHA256_LEN];
	int rc = -1;

	ca = PK11_FindCertFromNickname(t->ca_nickname, NULL);
	server = PK11_FindCertFromNickname(t->server_nickname, NULL);
	if (ca == NULL || server == NULL) {
		fprintf(stderr, "Can't find \"%s\" and \"%s\" in %s\n", t->ca_nickname,
		    t->server_nickname, t->nssdb_dir);
		goto out;
	}
	spki = SEC_ASN1EncodeItem(NULL, NULL, &server->subjectPublicKeyInfo,
	    SEC_ASN1_GET(CERT_SubjectPublicKeyInfoTemplate));
	if (spki == NULL || digest_sha256_hex(ca->derCert.data, ca->derCert.len, ca_hex) != 0 ||
	    digest_sha256(spki->data, spki->len, md) != 0)
		goto out;
	strcpy(spki_pin, "sha256//");
	digest_b64(md, sizeof(md), spki_pin + 8);
	rc = 0;
out:
	if (spki != NULL)
		SECITEM_FreeItem(spki, PR_TRUE);
	if (ca != NULL)
		CERT_DestroyCertificate(ca);
	if (server != NULL)
		CERT_DestroyCertificate(server);
	return (rc);
}

static int
save(const struct ca_tool *t, struct token_store *s)
{
	struct state_file_tmp tmp;

	if (token_store_prepare(s, t->state_dir, &tmp) != 0 || state_file_commit(&tmp) != 0) {
		fprintf(stderr, "Can't write %s/%s: %s\n", t->state_dir, TOKEN_STORE_FILE,
		    strerror(errno));
		return (1);
	}
	return (0);
}

static int
load(const struct ca_tool *t, struct token_store *s)
{
	if (token_store_load(t->state_dir, s) == 0)
		return (0);
	fprintf(stderr, "Can't read %s/%s: %s\n", t->state_dir, TOKEN_STORE_FILE, strerror(errno));
	return (1);
}

static void
print_issued(const struct token_rec *rec, const char *text, const char *arbiter, const char *ca_hex,
    const char *pin)
{
	char until[32];

	ca_tool_time(rec->expires, until, sizeof(until));
	printf("Enrollment token for cluster %s (id %s), valid until %s:\n", rec->cluster, rec->id,
	    until);
	printf("%s\n\n", text);
	printf("On one node of cluster %s, run:\n\n", rec->cluster);
	printf("  corosync-qnetd-join -a %s -C %s -P %s -n %s\n\n", arbiter, ca_hex, pin,
	    rec->cluster);
	printf("and give it the token on standard input (or in a file named with -t FILE).\n");
	printf("The token works once; withdraw it with: corosync-qnetd-certutil -W %s\n", rec->id);
}

/* token-issue CLUSTER MINUTES ARBITER */
int
ca_cmd_token_issue(const struct ca_tool *t, int argc, char **argv)
{
	char text[TOKEN_TEXT_LEN + 1], ca_hex[DIGEST_SHA256_HEX_LEN + 1], pin[64], *end;
	struct token_store s;
	struct token_rec rec;
	long minutes;
	int fd, rc = 1;

	if (argc != 3)
		return (2);
	errno = 0;
	minutes = strtol(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || minutes < 1 || minutes > TOKEN_EXPIRY_MAX / 60) {
		fprintf(stderr, "Token lifetime must be 1 to %d minutes\n", TOKEN_EXPIRY_MAX / 60);
		return (2);
	}
	if (!token_cluster_name_ok(argv[0])) {
		fprintf(stderr, "Invalid cluster name %s\n", argv[0]);
		return (2);
	}
	if (pins(t, ca_hex, pin) != 0)
		return (1);
	fd = ca_tool_lock(t);
	if (fd < 0)
		return (1);
	if (load(t, &s) != 0)
		goto out;
	token_store_prune(&s, t->now);
	if (token_new(argv[0], t->now, (int64_t)minutes * 60, &rec, text) != 0 ||
	    token_store_add(&s, &rec) != 0) {
		fprintf(stderr, "Can't create a token: %s\n", strerror(errno));
		goto out_store;
	}
	rc = save(t, &s);
	if (rc == 0)
		print_issued(&rec, text, argv[2], ca_hex, pin);
	memset(text, 0, sizeof(text));
out_store:
	token_store_free(&s);
out:
	ca_lock_release(fd);
	return (rc);
}

/* token-list: the open, unexpired tokens. */
int
ca_cmd_token_list(const struct ca_tool *t, int argc, char **argv)
{
	char created[32], expires[32];
	struct token_store s;
	size_t i, shown = 0;
	int fd;

	(void)argv;
	if (argc != 0)
		return (2);
	fd = ca_tool_lock(t);
	if (fd < 0 || load(t, &s) != 0) {
		ca_lock_release(fd);
		return (1);
	}
	ca_lock_release(fd);
	for (i = 0; i < s.n; i++) {
		if (strcmp(s.recs[i].state, "open") != 0 || s.recs[i].expires <= (int64_t)t->now)
			continue;
		if (shown++ == 0)
			printf("%-16s  %-23s  %-23s  %s\n", "ID", "CREATED", "EXPIRES", "CLUSTER");
		ca_tool_time(s.recs[i].created, created, sizeof(created));
		ca_tool_time(s.recs[i].expires, expires, sizeof(expires));
		printf("%-16s  %-23s  %-23s  %s\n", s.recs[i].id, created, expires,
		    s.recs[i].cluster);
	}
	if (shown == 0)
		printf("No outstanding enrollment tokens\n");
	token_store_free(&s);
	return (0);
}

/* token-withdraw ID */
int
ca_cmd_token_withdraw(const struct ca_tool *t, int argc, char **argv)
{
	struct token_store s;
	struct token_rec *rec;
	int fd, rc = 1;

	if (argc != 1)
		return (2);
	fd = ca_tool_lock(t);
	if (fd < 0)
		return (1);
	if (load(t, &s) != 0)
		goto out;
	rec = token_store_find(&s, argv[0]);
	if (rec == NULL) {
		fprintf(stderr, "No token with id %s\n", argv[0]);
	} else if (strcmp(rec->state, "open") != 0) {
		fprintf(stderr, "Token %s is not open (%.9s)\n", argv[0], rec->state);
	} else {
		strcpy(rec->state, "withdrawn");
		rc = save(t, &s);
		if (rc == 0)
			printf("Token %s for cluster %s withdrawn\n", rec->id, rec->cluster);
	}
	token_store_free(&s);
out:
	ca_lock_release(fd);
	return (rc);
}
