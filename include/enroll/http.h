/*
 * http.h - a bounded parser for the one HTTP/1.1 request an enrollment
 * connection carries (docs/enroll-protocol.md).  Pure: bytes in, a
 * struct out, no allocation, no globals; the fuzz target and the unit
 * test call it directly.
 *
 * Only what the service needs is understood: the request line, and the
 * Content-Length, Authorization and Transfer-Encoding headers.  Every
 * other header is checked for syntax and skipped.  Line ends are CRLF.
 */
#ifndef QNETD_ENROLL_HTTP_H
#define QNETD_ENROLL_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Header block limit (request line + headers + blank line). */
#define HTTP_MAX_HEAD 8192
#define HTTP_MAX_PATH 128
#define HTTP_MAX_AUTH 256
#define HTTP_MAX_HEADERS 64

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_OTHER };

enum http_parse {
	HTTP_NEED_MORE,     /* no complete request yet; read more */
	HTTP_DONE,          /* req is filled; the body is complete */
	HTTP_BAD,           /* malformed or unsupported: answer 400 */
	HTTP_TOO_LARGE,     /* header block or body over the limit: 413 */
	HTTP_LENGTH_NEEDED, /* POST without Content-Length: 411 */
};

struct http_request {
	enum http_method method;
	char path[HTTP_MAX_PATH];   /* NUL-terminated request target */
	char bearer[HTTP_MAX_AUTH]; /* "Authorization: Bearer X": X, or "" */
	int has_length;
	size_t content_length;
	size_t head_len;     /* bytes up to and including the blank line */
	const uint8_t *body; /* points into the caller's buffer */
	size_t body_len;
	char why[96]; /* for HTTP_BAD / HTTP_TOO_LARGE: what was wrong */
};

/*
 * Parse the len bytes received so far in buf.  The body may be at most
 * max_body bytes.  HTTP_NEED_MORE until the head and the whole body are
 * there; then HTTP_DONE with req filled (body points into buf).  Any
 * other outcome is final and req->why says why.  Bytes after the body
 * (pipelining) are ignored: the service answers one request per
 * connection.
 */
enum http_parse http_parse_request(const uint8_t *buf, size_t len, size_t max_body,
    struct http_request *req);

/* The reason phrase of an HTTP status the service sends ("Not Found"). */
const char *http_status_text(int status);

#endif
