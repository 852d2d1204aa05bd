/*
 * test_revoked.c - the revoked-certificate list: parsing (good, bad and
 * hostile lines), serial normalisation, lookup, the file loader's limits.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "enroll/revoked.h"

#define ISS_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ISS_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct warns {
	size_t n;
	size_t last_line;
};

static void
warn_cb(void *arg, size_t line, const char *why)
{
	struct warns *w = arg;

	CHECK(why != NULL && why[0] != '\0');
	w->n++;
	w->last_line = line;
}

static void
fill(uint8_t iss[32], uint8_t v)
{
	memset(iss, v, 32);
}

static struct revoked_list *
parse(const char *text, struct warns *w)
{
	memset(w, 0, sizeof(*w));
	return (revoked_parse(text, strlen(text), warn_cb, w));
}

static void
test_good(void)
{
	static const uint8_t s1[] = { 0x01 }, s1a3[] = { 0x01, 0xa3 };
	static const uint8_t s00ab[] = { 0x00, 0xab }, sab[] = { 0xab };
	uint8_t a[32], b[32];
	struct revoked_list *l;
	struct warns w;
	const char *text = "# comment\n"
	                   "\n"
	                   "   # indented comment\n" ISS_A " 1 alpha\n" ISS_A " 1a3 beta\r\n" ISS_B
	                   " 00AB gamma extra fields ignored\n" ISS_B "\t0\tzero";

	fill(a, 0xaa);
	fill(b, 0xbb);
	l = parse(text, &w);
	CHECK(l != NULL);
	CHECK_EQ(w.n, 0);
	CHECK_EQ(revoked_count(l), 4);
	CHECK(strcmp(revoked_lookup(l, a, s1, 1) ?: "", "alpha") == 0);
	CHECK(strcmp(revoked_lookup(l, a, s1a3, 2) ?: "", "beta") == 0);
	CHECK(strcmp(revoked_lookup(l, b, sab, 1) ?: "", "gamma") == 0);
	CHECK(strcmp(revoked_lookup(l, b, s00ab, 2) ?: "", "gamma") == 0);
	CHECK(strcmp(revoked_lookup(l, b, s00ab, 1) ?: "", "zero") == 0); /* serial 00 */
	CHECK(strcmp(revoked_lookup(l, b, s00ab, 0) ?: "", "zero") == 0);
	/* Same serial, other issuer: not revoked. */
	CHECK(revoked_lookup(l, b, s1, 1) == NULL);
	CHECK(revoked_lookup(l, a, sab, 1) == NULL);
	CHECK(revoked_lookup(l, a, s1a3 + 1, 1) == NULL);
	revoked_free(l);
	CHECK(revoked_lookup(NULL, a, s1, 1) == NULL);
	CHECK_EQ(revoked_count(NULL), 0);
}

static void
test_bad_lines(void)
{
	static const uint8_t s1[] = { 0x01 };
	char longline[REVOKED_MAX_LINE + 200];
	uint8_t a[32];
	struct revoked_list *l;
	struct warns w;
	char *text;
	size_t len;

	fill(a, 0xaa);
	/* Each bad line is skipped, the good ones around it stay. */
	l = parse(
	    "deadbeef 1 short-issuer\n" ISS_A "\n" ISS_A " 1\n" ISS_A " xyz badserial\n" ISS_A
	    " 1 bad\001name\n"
	    "zzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 nonhex\n" ISS_A
	    " 0102030405060708091011121314151617181920212223242526272829303132ff toolong\n" ISS_A
	    " 1 good\n",
	    &w);
	CHECK(l != NULL);
	CHECK_EQ(w.n, 7);
	CHECK_EQ(revoked_count(l), 1);
	CHECK(strcmp(revoked_lookup(l, a, s1, 1) ?: "", "good") == 0);
	revoked_free(l);

	/* A line over the limit, a NUL byte inside a line. */
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	l = parse(longline, &w);
	CHECK_EQ(w.n, 1);
	CHECK_EQ(revoked_count(l), 0);
	revoked_free(l);
	len = strlen(ISS_A " 1 x\n" ISS_A " 1 y\n");
	text = malloc(len);
	memcpy(text, ISS_A " 1 x\n" ISS_A " 1 y\n", len);
	text[66] = '\0';
	memset(&w, 0, sizeof(w));
	l = revoked_parse(text, len, warn_cb, &w);
	CHECK_EQ(w.n, 1);
	CHECK_EQ(w.last_line, 1);
	CHECK(strcmp(revoked_lookup(l, a, s1, 1) ?: "", "y") == 0);
	revoked_free(l);
	free(text);
	/* A 255-byte name is fine, 256 is not. */
	{
		char buf[64 + 3 + 256 + 2];
		int n = snprintf(buf, sizeof(buf), ISS_A " 1 %0255d\n", 0);

		l = parse(buf, &w);
		CHECK_EQ(w.n, 0);
		CHECK_EQ(revoked_count(l), 1);
		revoked_free(l);
		(void)n;
		snprintf(buf, sizeof(buf), ISS_A " 1 %0256d\n", 0);
		l = parse(buf, &w);
		CHECK_EQ(w.n, 1);
		revoked_free(l);
	}
}

static void
test_many(void)
{
	size_t n = 20000, i, len = 0;
	char *text = malloc(n * 100);
	uint8_t a[32], s[4];
	struct revoked_list *l;
	struct warns w;

	fill(a, 0xaa);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, ISS_A " %zx c%zu\n", i * 7 + 1, i);
	memset(&w, 0, sizeof(w));
	l = revoked_parse(text, len, warn_cb, &w);
	CHECK_EQ(revoked_count(l), n);
	for (i = 0; i < n; i += 997) {
		size_t v = i * 7 + 1;
		char want[32];

		s[0] = (uint8_t)(v >> 24), s[1] = (uint8_t)(v >> 16);
		s[2] = (uint8_t)(v >> 8), s[3] = (uint8_t)v;
		snprintf(want, sizeof(want), "c%zu", i);
		CHECK(strcmp(revoked_lookup(l, a, s, 4) ?: "", want) == 0);
		s[3] = (uint8_t)(v + 1);
		CHECK(revoked_lookup(l, a, s, 4) == NULL); /* i*7+2 is never listed */
	}
	revoked_free(l);
	free(text);
}

static void
test_serial_hex(void)
{
	static const uint8_t z[] = { 0, 0 }, v[] = { 0, 0x0a, 0xbc };
	char buf[80];

	revoked_serial_hex(z, 2, buf, sizeof(buf));
	CHECK(strcmp(buf, "0") == 0);
	revoked_serial_hex(v, 3, buf, sizeof(buf));
	CHECK(strcmp(buf, "0abc") == 0);
}

static void
test_file(void)
{
	char dir[] = "/tmp/test_revoked.XXXXXX", path[128], err[256];
	struct revoked_list *l = NULL;
	static const uint8_t s1[] = { 1 }, s2[] = { 2 };
	uint8_t a[32];
	struct warns w;
	FILE *f;

	fill(a, 0xaa);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/revoked", dir);
	memset(&w, 0, sizeof(w));
	CHECK_EQ(revoked_load_file(path, 1000, warn_cb, &w, &l, err, sizeof(err)),
	    REVOKED_LOAD_MISSING);
	CHECK(l != NULL && revoked_count(l) == 0);
	revoked_free(l);
	f = fopen(path, "w");
	fprintf(f, ISS_A " 1 one\n" ISS_A " 2 two\n");
	fclose(f);
	CHECK_EQ(revoked_load_file(path, 1000, warn_cb, &w, &l, err, sizeof(err)), REVOKED_LOAD_OK);
	CHECK_EQ(revoked_count(l), 2);
	revoked_free(l);
	/* Over the limit: only whole lines of the first max bytes. */
	CHECK_EQ(revoked_load_file(path, 100, warn_cb, &w, &l, err, sizeof(err)),
	    REVOKED_LOAD_TRUNCATED);
	CHECK_EQ(revoked_count(l), 1);
	CHECK(revoked_lookup(l, a, s1, 1) != NULL);
	CHECK(revoked_lookup(l, a, s2, 1) == NULL);
	CHECK_EQ(w.n, 0);
	revoked_free(l);
	unlink(path);
	/* Not a regular file: an error, never a hang. */
	CHECK_EQ(mkfifo(path, 0600), 0);
	CHECK_EQ(revoked_load_file(path, 1000, warn_cb, &w, &l, err, sizeof(err)),
	    REVOKED_LOAD_ERROR);
	CHECK(l == NULL && strstr(err, "regular") != NULL);
	unlink(path);
	CHECK_EQ(mkdir(path, 0700), 0);
	CHECK_EQ(revoked_load_file(path, 1000, warn_cb, &w, &l, err, sizeof(err)),
	    REVOKED_LOAD_ERROR);
	rmdir(path);
	rmdir(dir);
}

int
main(void)
{
	test_good();
	test_bad_lines();
	test_many();
	test_serial_hex();
	test_file();
	return (check_exit("test_revoked"));
}
