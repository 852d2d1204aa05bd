/*
 * test_enroll_process.c - enroll_process() against a real NSS database:
 * a CA made by NSS certutil (as corosync-qnetd-certutil -i makes it) and
 * requests made by certutil -R (as corosync-qdevice-net-certutil -r makes
 * them), including hostile ones.  Every refusal must leave the state
 * files as they were.  Skips (77) without NSS certutil.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cert.h>
#include <nss.h>

#include "check.h"
#include "enroll/cert_info.h"
#include "enroll/enroll.h"
#include "enroll/state_file.h"
#include "enroll/token_store.h"

static char dir[] = "/tmp/qnetd-enroll-test.XXXXXX";
static char db[512], state[512];

static int
sh(const char *fmt, const char *arg)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), fmt, dir, arg);
	return (system(cmd));
}

/* A request made by NSS certutil -R in its own database: "sub" and extra certutil options. */
static int
make_req(const char *name, const char *opts)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
	    "cd %s && rm -rf n-%s && mkdir n-%s && certutil -N -d n-%s --empty-password && "
	    "certutil -R -d n-%s -z noise -o %s.req %s > /dev/null 2>&1",
	    dir, name, name, name, name, name, opts);
	return (system(cmd));
}

static int
setup(void)
{
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(db, sizeof(db), "%s/nssdb", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	if (sh("cd %s && mkdir nssdb && head -c 64 /dev/urandom > noise && : > nssdb/pwd && "
	       "echo 102 > nssdb/serial.txt && echo garbage > garbage.req && "
	       "certutil -N -d nssdb -f nssdb/pwd > /dev/null 2>&1%s",
	        "") != 0 ||
	    sh("cd %s && printf 'y\\n0\\ny\\n\\n' | certutil -S -n 'QNet CA' -s 'CN=QNet CA' -x "
	       "-t CT,, -m 101 -v 1200 -d nssdb -z noise -f nssdb/pwd -k rsa -g 2048 -Z SHA256 "
	       "-2 > /dev/null 2>&1%s",
	        "") != 0)
		return (-1);
	if (make_req("c1", "-s CN=c1 -k rsa -g 2048") != 0 ||
	    make_req("c1b", "-s CN=c1 -k rsa -g 2048") != 0 ||
	    make_req("other", "-s CN=other -k rsa -g 2048") != 0 ||
	    make_req("san", "-s CN=c2 -k rsa -g 2048 --extSAN dns:victim") != 0 ||
	    make_req("weak", "-s CN=c3 -k rsa -g 1024") != 0 ||
	    make_req("p256", "-s CN=c4 -k ec -q nistp256") != 0 ||
	    make_req("p384", "-s CN=c5 -k ec -q secp384r1") != 0)
		return (-1);
	return (0);
}

static uint8_t *
load(const char *name, size_t *len)
{
	char path[600], *data;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (state_file_read(path, 1 << 20, &data, len) != 0)
		return (NULL);
	return ((uint8_t *)data);
}

/* Concatenated state files, to see that a refusal changed nothing. */
static char *
snapshot(void)
{
	static const char *const files[] = { "nssdb/serial.txt", "state/tokens", "state/registry" };
	char *all = calloc(1, 1 << 16), *part;
	size_t i, len;

	for (i = 0; all != NULL && i < 3; i++) {
		part = (char *)load(files[i], &len);
		strncat(all, part != NULL ? part : "-", (1 << 15) - 1 - strlen(all));
		free(part);
	}
	return (all);
}

/* A new open token for cluster, saved in the state; its text into text. */
static void
new_token(const char *cluster, time_t now, char *text)
{
	struct token_store s;
	struct token_rec rec;
	struct state_file_tmp tmp;

	CHECK_EQ(state_file_ensure_dir(state), 0);
	CHECK_EQ(token_store_load(state, &s), 0);
	CHECK_EQ(token_new(cluster, now, 600, &rec, text), 0);
	CHECK_EQ(token_store_add(&s, &rec), 0);
	CHECK_EQ(token_store_prepare(&s, state, &tmp), 0);
	CHECK_EQ(state_file_commit(&tmp), 0);
	token_store_free(&s);
}

static void
withdraw(const char *text)
{
	struct token_store s;
	struct token_rec *rec;
	struct state_file_tmp tmp;
	char id[TOKEN_ID_LEN + 1];

	snprintf(id, sizeof(id), "%s", text);
	CHECK_EQ(token_store_load(state, &s), 0);
	rec = token_store_find(&s, id);
	CHECK(rec != NULL);
	if (rec != NULL)
		strcpy(rec->state, "withdrawn");
	CHECK_EQ(token_store_prepare(&s, state, &tmp), 0);
	CHECK_EQ(state_file_commit(&tmp), 0);
	token_store_free(&s);
}

static enum enroll_result
run(const char *token, const char *req, time_t now, uint8_t **cert, size_t *cert_len)
{
	struct enroll_ctx ctx = { db, state, "QNet CA", now };
	char reason[256], file[64];
	enum enroll_result r;
	uint8_t *csr;
	size_t len;

	snprintf(file, sizeof(file), "%s.req", req);
	csr = load(file, &len);
	CHECK(csr != NULL);
	r = enroll_process(&ctx, token, csr, csr != NULL ? len : 0, cert, cert_len, reason,
	    sizeof(reason));
	printf("  %s with %s: %s (%s)\n", req, token ? token : "(null)", enroll_result_str(r),
	    reason);
	free(csr);
	return (r);
}

/* Refused, with nothing written and nothing returned. */
static void
refused(const char *token, const char *req, time_t now, enum enroll_result want)
{
	char *before = snapshot(), *after;
	uint8_t *cert = (uint8_t *)"x";
	size_t len = 1;

	CHECK_EQ(run(token, req, now, &cert, &len), want);
	CHECK(cert == NULL);
	after = snapshot();
	CHECK(before != NULL && after != NULL && strcmp(before, after) == 0);
	free(before);
	free(after);
}

/* Subject exactly CN=cluster and no extension at all. */
static void
check_profile(const uint8_t *der, size_t len, const char *cluster)
{
	SECItem item = { siBuffer, (unsigned char *)(uintptr_t)der, (unsigned int)len };
	CERTCertificate *c =
	    CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &item, NULL, PR_FALSE, PR_TRUE);
	char want[300], *subject;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	snprintf(want, sizeof(want), "CN=%s", cluster);
	subject = CERT_NameToAscii(&c->subject);
	CHECK(subject != NULL && strcmp(subject, want) == 0);
	PORT_Free(subject);
	CHECK(c->extensions == NULL || c->extensions[0] == NULL);
	CHECK_EQ(c->version.len == 1 ? c->version.data[0] : 0, 2);
	CERT_DestroyCertificate(c);
}

static void
test_flow(void)
{
	char tok[TOKEN_TEXT_LEN + 1], tok2[TOKEN_TEXT_LEN + 1], bad[TOKEN_TEXT_LEN + 1];
	uint8_t *cert = NULL, *again = NULL, *file;
	size_t len = 0, len2 = 0, flen;
	time_t now = time(NULL);

	new_token("c1", now, tok);
	refused("garbage", "c1", now, ENROLL_BAD_TOKEN);
	refused(NULL, "c1", now, ENROLL_BAD_TOKEN);
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	refused(bad, "c1", now, ENROLL_BAD_TOKEN);
	memcpy(bad, "0000000000000000", 16);
	refused(bad, "c1", now, ENROLL_BAD_TOKEN);
	refused(tok, "other", now, ENROLL_WRONG_CLUSTER);
	refused(tok, "c1", now + 600, ENROLL_TOKEN_EXPIRED);
	refused(tok, "garbage", now, ENROLL_BAD_REQUEST);

	CHECK_EQ(run(tok, "c1", now, &cert, &len), ENROLL_OK);
	check_profile(cert, len, "c1");
	file = load("nssdb/cluster-c1.crt", &flen);
	CHECK(file != NULL && flen == len && memcmp(file, cert, len) == 0);
	free(file);
	/* A lost response: the same token and key get the same certificate. */
	CHECK_EQ(run(tok, "c1", now + 10, &again, &len2), ENROLL_OK);
	CHECK(again != NULL && len2 == len && memcmp(again, cert, len) == 0);
	free(again);
	/* Another key with the used token: refused. */
	refused(tok, "c1b", now + 10, ENROLL_TOKEN_USED);
	free(cert);

	/* A withdrawn token. */
	new_token("c1", now, tok2);
	withdraw(tok2);
	refused(tok2, "c1b", now, ENROLL_TOKEN_WITHDRAWN);
}

/* Keys and extensions: the fixed profile. */
static void
test_profile(void)
{
	char tok[TOKEN_TEXT_LEN + 1];
	uint8_t *cert = NULL;
	size_t len = 0, rlen;
	time_t now = time(NULL);
	char *reg;

	new_token("c3", now, tok);
	refused(tok, "weak", now, ENROLL_WEAK_KEY);
	new_token("c5", now, tok);
	refused(tok, "p384", now, ENROLL_WEAK_KEY);
	new_token("c4", now, tok);
	CHECK_EQ(run(tok, "p256", now, &cert, &len), ENROLL_OK);
	check_profile(cert, len, "c4");
	free(cert);
	/* CN=c2 asking for subjectAltName dns:victim: signed, without the SAN. */
	new_token("c2", now, tok);
	CHECK_EQ(run(tok, "san", now, &cert, &len), ENROLL_OK);
	check_profile(cert, len, "c2");
	CHECK(memmem(cert, len, "victim", 6) == NULL);
	free(cert);
	/* Three signed (c1, c4, c2), serials 103.. after the CA's 101 and serial.txt's 102. */
	reg = (char *)load("state/registry", &rlen);
	CHECK(reg != NULL && strstr(reg, "\n67 c1 ") != NULL && strstr(reg, "\n68 c4 ") != NULL &&
	    strstr(reg, "\n69 c2 ") != NULL && strstr(reg, " service 0\n") != NULL);
	free(reg);
	reg = (char *)load("nssdb/serial.txt", &rlen);
	CHECK(reg != NULL && strcmp(reg, "105\n") == 0);
	free(reg);
}

int
main(void)
{
	int rc;

	if (system("command -v certutil > /dev/null 2>&1") != 0) {
		printf("SKIP: NSS certutil not installed\n");
		return (77);
	}
	if (setup() != 0) {
		fprintf(stderr, "setup in %s failed\n", dir);
		return (1);
	}
	if (NSS_InitReadWrite(db) != SECSuccess) {
		fprintf(stderr, "NSS_InitReadWrite(%s) failed\n", db);
		return (1);
	}
	test_flow();
	test_profile();
	NSS_Shutdown();
	rc = check_exit("test_enroll_process");
	sh("rm -rf %s%s", "");
	return (rc);
}
