/*
 * test_enroll_http.c - the enrollment service's pure parts: the HTTP
 * request parser (every outcome, byte-at-a-time arrival, limits), PEM
 * decode/encode and the per-peer failure limiter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "enroll/http.h"
#include "enroll/pem.h"
#include "enroll/ratelimit.h"

static enum http_parse
parse(const char *s, size_t max_body, struct http_request *req)
{
	return (http_parse_request((const uint8_t *)s, strlen(s), max_body, req));
}

static void
test_get(void)
{
	struct http_request r;

	CHECK_EQ(parse("GET /v1/ca.crt HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n", 100, &r),
	    HTTP_DONE);
	CHECK_EQ(r.method, HTTP_GET);
	CHECK(strcmp(r.path, "/v1/ca.crt") == 0);
	CHECK_EQ(r.body_len, 0);
	CHECK(r.bearer[0] == '\0');
	CHECK_EQ(parse("GET / HTTP/1.0\r\n\r\n", 100, &r), HTTP_DONE);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n", 100, &r), HTTP_NEED_MORE);
	CHECK_EQ(parse("", 100, &r), HTTP_NEED_MORE);
}

static void
test_post(void)
{
	const char *req = "POST /v1/enroll HTTP/1.1\r\n"
	                  "authorization:   bearer abc.DEF-_x  \r\n"
	                  "Content-Length: 5\r\n\r\nhello";
	struct http_request r;
	size_t i, n = strlen(req);

	CHECK_EQ(parse(req, 100, &r), HTTP_DONE);
	CHECK_EQ(r.method, HTTP_POST);
	CHECK(strcmp(r.bearer, "abc.DEF-_x") == 0);
	CHECK_MEM(r.body, r.body_len, "hello", 5);
	/* every prefix is incomplete, never an error */
	for (i = 0; i < n; i++)
		CHECK_EQ(http_parse_request((const uint8_t *)req, i, 100, &r), HTTP_NEED_MORE);
	CHECK_EQ(parse(req, 4, &r), HTTP_TOO_LARGE);
	CHECK_EQ(parse("POST /v1/enroll HTTP/1.1\r\n\r\n", 100, &r), HTTP_LENGTH_NEEDED);
	CHECK_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 100,
	             &r),
	    HTTP_DONE);
	CHECK_EQ(parse("POST / HTTP/1.1\r\nAuthorization: Basic eA==\r\n\r\n", 100, &r),
	    HTTP_LENGTH_NEEDED);
	CHECK(r.bearer[0] == '\0');
}

static void
test_bad(void)
{
	static const char *const bad[] = {
		"GET /\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET x HTTP/1.1\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1 \r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
		"GET /\x01 HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\n: v\r\n\r\n",
		"GET / HTTP/1.1\r\nA b: v\r\n\r\n",
		"GET / HTTP/1.1\r\nA: v\x01\r\n\r\n",
		"GET / HTTP/1.1\r\nA: v\r\n folded\r\n\r\n",
		"GET / HTTP/1.1\nA: v\r\n\r\n",
		"GET / HTTP/1.1\r\nA: v\rB: w\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 9999999999\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nAuthorization: Bearer \r\n\r\n",
		"POST / HTTP/1.1\r\nAuthorization: Bearer a b\r\n\r\n",
		"POST / HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer a\r\n\r\n",
		"\r\n\r\n",
		NULL,
	};
	struct http_request r;
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		enum http_parse res = parse(bad[i], 100, &r);

		if (res != HTTP_BAD)
			fprintf(stderr, "case %zu: %d\n", i, (int)res);
		CHECK_EQ(res, HTTP_BAD);
		CHECK(r.why[0] != '\0');
	}
}

static void
test_limits(void)
{
	struct http_request r;
	char *big = malloc(HTTP_MAX_HEAD + 64), path[HTTP_MAX_PATH + 32];
	size_t n;

	/* a head that never ends is refused once it reaches the limit */
	memset(big, 'a', HTTP_MAX_HEAD + 64);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	CHECK_EQ(http_parse_request((uint8_t *)big, HTTP_MAX_HEAD - 1, 100, &r), HTTP_NEED_MORE);
	CHECK_EQ(http_parse_request((uint8_t *)big, HTTP_MAX_HEAD, 100, &r), HTTP_TOO_LARGE);
	/* a head that ends just past the limit too */
	memcpy(big + HTTP_MAX_HEAD - 2, "\r\n\r\n", 4);
	CHECK_EQ(http_parse_request((uint8_t *)big, HTTP_MAX_HEAD + 2, 100, &r), HTTP_TOO_LARGE);
	free(big);
	n = (size_t)snprintf(path, sizeof(path), "GET /%0*d HTTP/1.1\r\n\r\n", HTTP_MAX_PATH, 0);
	CHECK_EQ(http_parse_request((uint8_t *)path, n, 100, &r), HTTP_BAD);
	CHECK(http_status_text(413) != NULL && strcmp(http_status_text(404), "Not Found") == 0);
}

static void
test_pem(void)
{
	static const char *const labels[] = { "NEW CERTIFICATE REQUEST", "CERTIFICATE REQUEST",
		NULL };
	uint8_t der[300], out[300];
	size_t i, n, len;

	for (len = 0; len < sizeof(der); len += 37) {
		char *pem;

		for (i = 0; i < len; i++)
			der[i] = (uint8_t)(i * 7 + len);
		pem = pem_encode("CERTIFICATE REQUEST", der, len);
		CHECK(pem != NULL);
		CHECK(strncmp(pem, "-----BEGIN CERTIFICATE REQUEST-----\n", 36) == 0);
		CHECK_EQ(pem_decode((uint8_t *)pem, strlen(pem), labels, out, sizeof(out), &n), 0);
		CHECK_MEM(out, n, der, len);
		if (len > 0)
			CHECK_EQ(pem_decode((uint8_t *)pem, strlen(pem), labels, out, len - 1, &n),
			    -1);
		free(pem);
	}
	{
		static const char wrapped[] =
		    "Subject: x\n-----BEGIN NEW CERTIFICATE REQUEST-----\n"
		    "YWJj\n-----END NEW CERTIFICATE REQUEST-----\ntrailer";

		CHECK_EQ(pem_decode((const uint8_t *)wrapped, strlen(wrapped), labels, out,
		             sizeof(out), &n),
		    0);
	}
	CHECK_MEM(out, n, "abc", 3);
#define BAD_PEM(s) \
	CHECK_EQ(pem_decode((const uint8_t *)(s), strlen(s), labels, out, sizeof(out), &n), -1)
	BAD_PEM("no armour");
	BAD_PEM("-----BEGIN CERTIFICATE REQUEST-----\nYWJj\n");
	BAD_PEM("-----BEGIN CERTIFICATE REQUEST-----\nYW*j\n-----END CERTIFICATE REQUEST-----");
	BAD_PEM("-----BEGIN CERTIFICATE REQUEST-----\nYQ==YQ\n-----END CERTIFICATE REQUEST-----");
	BAD_PEM("-----BEGIN CERTIFICATE REQUEST-----\nY\n-----END CERTIFICATE REQUEST-----");
	BAD_PEM("-----BEGIN CERTIFICATE-----\nYWJj\n-----END CERTIFICATE-----");
}

static void
test_ratelimit(void)
{
	struct ratelimit *rl = ratelimit_new(2, 3, 1000);
	int i;

	CHECK(rl != NULL);
	CHECK(ratelimit_new(0, 3, 1000) == NULL);
	CHECK_EQ(ratelimit_blocked(rl, "10.0.0.1", 0), 0);
	for (i = 0; i < 3; i++)
		ratelimit_fail(rl, "10.0.0.1", 10);
	CHECK_EQ(ratelimit_blocked(rl, "10.0.0.1", 11), 1);
	CHECK_EQ(ratelimit_blocked(rl, "10.0.0.2", 11), 0);
	/* the window ends 1000 ms after the first failure */
	CHECK_EQ(ratelimit_blocked(rl, "10.0.0.1", 1009), 1);
	CHECK_EQ(ratelimit_blocked(rl, "10.0.0.1", 1010), 0);
	ratelimit_fail(rl, "10.0.0.1", 1010);
	CHECK_EQ(ratelimit_blocked(rl, "10.0.0.1", 1011), 0);
	/* table of 2: a third peer takes the oldest window's slot */
	ratelimit_fail(rl, "10.0.0.2", 1020);
	ratelimit_fail(rl, "10.0.0.3", 1030);
	for (i = 0; i < 3; i++)
		ratelimit_fail(rl, "10.0.0.3", 1030);
	CHECK_EQ(ratelimit_blocked(rl, "10.0.0.3", 1031), 1);
	CHECK_EQ(ratelimit_blocked(rl, "10.0.0.1", 1031), 0);
	ratelimit_free(rl);
}

int
main(void)
{
	test_get();
	test_post();
	test_bad();
	test_limits();
	test_pem();
	test_ratelimit();
	return (check_exit("test_enroll_http"));
}
