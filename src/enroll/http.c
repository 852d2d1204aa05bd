/*
 * http.c - the request parser of the enrollment service (see http.h).
 *
 * Strict on purpose: a client of this service is curl, openssl s_client
 * or a script written against docs/enroll-protocol.md, never a browser,
 * so anything unusual (bare LF, obs-fold, chunked bodies, duplicate
 * lengths) is refused rather than guessed at.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "enroll/http.h"

/* One line of the head: [p, p + len) without its CRLF. */
struct line {
	const char *p;
	size_t len;
};

static int
bad(struct http_request *req, const char *why)
{
	snprintf(req->why, sizeof(req->why), "%s", why);
	return (-1);
}

/* RFC 9110 tchar. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return (1);
	return (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Offset just past the first CRLFCRLF in buf, or 0 when there is none. */
static size_t
find_head_end(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
		    buf[i + 3] == '\n')
			return (i + 4);
	}
	return (0);
}

static enum http_method
method_of(const char *p, size_t n)
{
	if (n == 3 && memcmp(p, "GET", 3) == 0)
		return (HTTP_GET);
	if (n == 4 && memcmp(p, "HEAD", 4) == 0)
		return (HTTP_HEAD);
	if (n == 4 && memcmp(p, "POST", 4) == 0)
		return (HTTP_POST);
	return (HTTP_OTHER);
}

/* "METHOD SP target SP HTTP/1.x" */
static int
parse_request_line(struct line l, struct http_request *req)
{
	const char *sp1, *sp2, *end = l.p + l.len;
	size_t i, plen;

	sp1 = memchr(l.p, ' ', l.len);
	if (sp1 == NULL || sp1 == l.p)
		return (bad(req, "malformed request line"));
	for (i = 0; l.p + i < sp1; i++) {
		if (!is_tchar((unsigned char)l.p[i]))
			return (bad(req, "malformed method"));
	}
	req->method = method_of(l.p, (size_t)(sp1 - l.p));
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (sp2 == NULL)
		return (bad(req, "malformed request line"));
	plen = (size_t)(sp2 - sp1 - 1);
	if (plen == 0 || sp1[1] != '/')
		return (bad(req, "request target must be an absolute path"));
	if (plen >= sizeof(req->path))
		return (bad(req, "request target too long"));
	for (i = 0; i < plen; i++) {
		unsigned char c = (unsigned char)sp1[1 + i];

		if (c <= 0x20 || c >= 0x7f)
			return (bad(req, "invalid character in request target"));
	}
	memcpy(req->path, sp1 + 1, plen);
	req->path[plen] = '\0';
	if ((size_t)(end - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    (sp2[8] != '0' && sp2[8] != '1'))
		return (bad(req, "unsupported HTTP version"));
	return (0);
}

/* Content-Length: digits only; a repeated header must say the same. */
static int
parse_length(const char *v, size_t n, struct http_request *req)
{
	size_t i, val = 0;

	if (n == 0 || n > 9)
		return (bad(req, "invalid Content-Length"));
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return (bad(req, "invalid Content-Length"));
		val = val * 10 + (size_t)(v[i] - '0');
	}
	if (req->has_length && req->content_length != val)
		return (bad(req, "conflicting Content-Length headers"));
	req->has_length = 1;
	req->content_length = val;
	return (0);
}

/* Authorization: Bearer <token>.  Another scheme is kept as no token. */
static int
parse_auth(const char *v, size_t n, struct http_request *req)
{
	size_t i;

	if (req->bearer[0] != '\0')
		return (bad(req, "repeated Authorization header"));
	if (n < 6 || strncasecmp(v, "Bearer", 6) != 0 || (n > 6 && v[6] != ' '))
		return (0);
	v += 6;
	n -= 6;
	while (n > 0 && *v == ' ') {
		v++;
		n--;
	}
	if (n == 0 || n >= sizeof(req->bearer))
		return (bad(req, "invalid bearer token"));
	for (i = 0; i < n; i++) {
		if (v[i] <= 0x20 || v[i] >= 0x7f)
			return (bad(req, "invalid bearer token"));
	}
	memcpy(req->bearer, v, n);
	req->bearer[n] = '\0';
	return (0);
}

/* "name: OWS value OWS" */
static int
parse_header(struct line l, struct http_request *req)
{
	const char *colon = memchr(l.p, ':', l.len), *v, *end = l.p + l.len;
	size_t i, nlen;

	if (colon == NULL || colon == l.p)
		return (bad(req, "malformed header line"));
	nlen = (size_t)(colon - l.p);
	for (i = 0; i < nlen; i++) {
		if (!is_tchar((unsigned char)l.p[i]))
			return (bad(req, "malformed header name"));
	}
	for (v = colon + 1; v < end; v++) {
		if ((unsigned char)*v < 0x20 && *v != '\t')
			return (bad(req, "control character in header value"));
		if (*v == 0x7f)
			return (bad(req, "control character in header value"));
	}
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (nlen == 14 && strncasecmp(l.p, "Content-Length", 14) == 0)
		return (parse_length(v, (size_t)(end - v), req));
	if (nlen == 13 && strncasecmp(l.p, "Authorization", 13) == 0)
		return (parse_auth(v, (size_t)(end - v), req));
	if (nlen == 17 && strncasecmp(l.p, "Transfer-Encoding", 17) == 0)
		return (bad(req, "Transfer-Encoding is not supported; send Content-Length"));
	return (0);
}

/* Splits the head [buf, buf + head_len - 2) into CRLF lines and parses them. */
static int
parse_head(const uint8_t *buf, size_t head_len, struct http_request *req)
{
	const char *p = (const char *)buf, *end = p + head_len - 2;
	unsigned n = 0;

	while (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		struct line l;

		/* cr < end, so cr[1] is still inside the head (end[0..1] is CRLF) */
		if (cr == NULL || cr[1] != '\n')
			return (bad(req, "line not ended by CRLF"));
		l.p = p;
		l.len = (size_t)(cr - p);
		if (memchr(l.p, '\n', l.len) != NULL)
			return (bad(req, "bare LF in head"));
		if (n > 0 && l.len > 0 && (l.p[0] == ' ' || l.p[0] == '\t'))
			return (bad(req, "obsolete line folding"));
		if (n == 0 ? parse_request_line(l, req) != 0 : parse_header(l, req) != 0)
			return (-1);
		if (++n > HTTP_MAX_HEADERS + 1)
			return (bad(req, "too many header lines"));
		p = cr + 2;
	}
	return (n == 0 ? bad(req, "empty request") : 0);
}

enum http_parse
http_parse_request(const uint8_t *buf, size_t len, size_t max_body, struct http_request *req)
{
	size_t head_len;

	memset(req, 0, sizeof(*req));
	head_len = find_head_end(buf, len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD);
	if (head_len == 0) {
		if (len >= HTTP_MAX_HEAD) {
			bad(req, "request head too large");
			return (HTTP_TOO_LARGE);
		}
		return (HTTP_NEED_MORE);
	}
	if (parse_head(buf, head_len, req) != 0)
		return (HTTP_BAD);
	req->head_len = head_len;
	if (!req->has_length) {
		if (req->method == HTTP_POST) {
			bad(req, "POST without Content-Length");
			return (HTTP_LENGTH_NEEDED);
		}
		req->body = buf + head_len;
		return (HTTP_DONE);
	}
	if (req->content_length > max_body) {
		bad(req, "request body too large");
		return (HTTP_TOO_LARGE);
	}
	if (len - head_len < req->content_length)
		return (HTTP_NEED_MORE);
	req->body = buf + head_len;
	req->body_len = req->content_length;
	return (HTTP_DONE);
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 200:
		return ("OK");
	case 400:
		return ("Bad Request");
	case 401:
		return ("Unauthorized");
	case 403:
		return ("Forbidden");
	case 404:
		return ("Not Found");
	case 405:
		return ("Method Not Allowed");
	case 408:
		return ("Request Timeout");
	case 410:
		return ("Gone");
	case 411:
		return ("Length Required");
	case 413:
		return ("Content Too Large");
	case 429:
		return ("Too Many Requests");
	case 503:
		return ("Service Unavailable");
	default:
		return ("Internal Server Error");
	}
}
