/*
 * revoked.c - parse and look up the revoked-certificate list (revoked.h).
 *
 * Entries live in one array sorted by (issuer hash, serial) so a lookup
 * is a binary search; cluster names live in one buffer of their own.
 * Serials are kept without leading zero bytes, so "00ab", "ab" and
 * "AB" in the file and a DER serial 00 ab all meet.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enroll/revoked.h"

struct revoked_entry {
	uint8_t issuer[32];
	uint8_t serial_len;
	uint8_t serial[REVOKED_MAX_SERIAL];
	size_t name_off; /* into names */
};

struct revoked_list {
	struct revoked_entry *e;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
};

/* ---- one line ---- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

static int
is_space(char c)
{
	return (c == ' ' || c == '\t');
}

/* The next whitespace-separated field of [*p, end): 0 and its bounds, or -1. */
static int
next_field(const char **p, const char *end, const char **f, size_t *flen)
{
	const char *s = *p;

	while (s < end && is_space(*s))
		s++;
	if (s == end)
		return (-1);
	*f = s;
	while (s < end && !is_space(*s))
		s++;
	*flen = (size_t)(s - *f);
	*p = s;
	return (0);
}

static int
parse_issuer(const char *f, size_t len, uint8_t out[32])
{
	size_t i;

	if (len != 64)
		return (-1);
	for (i = 0; i < 32; i++) {
		int hi = hexval(f[2 * i]), lo = hexval(f[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return (-1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (0);
}

/* Hex digits to bytes without leading zero bytes (zero: length 0). */
static int
parse_serial(const char *f, size_t len, uint8_t *out, uint8_t *outlen)
{
	size_t i, nbytes;

	for (i = 0; i < len; i++)
		if (hexval(f[i]) < 0)
			return (-1);
	while (len > 0 && *f == '0')
		f++, len--;
	nbytes = (len + 1) / 2;
	if (nbytes > REVOKED_MAX_SERIAL)
		return (-1);
	i = 0;
	if (len & 1) /* an odd count: the first byte has one digit */
		out[i++] = (uint8_t)hexval(*f++), len--;
	for (; len > 0; f += 2, len -= 2)
		out[i++] = (uint8_t)(hexval(f[0]) << 4 | hexval(f[1]));
	*outlen = (uint8_t)nbytes;
	return (0);
}

static int
check_cluster(const char *f, size_t len)
{
	size_t i;

	if (len == 0 || len > REVOKED_MAX_CLUSTER)
		return (-1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)f[i];

		if (c < 0x21 || c == 0x7f)
			return (-1);
	}
	return (0);
}

static int
add_name(struct revoked_list *l, const char *f, size_t len, size_t *off)
{
	if (l->names_cap - l->names_len < len + 1) {
		size_t cap = l->names_cap ? l->names_cap * 2 : 4096;
		char *p;

		while (cap - l->names_len < len + 1)
			cap *= 2;
		p = realloc(l->names, cap);
		if (p == NULL)
			return (-1);
		l->names = p;
		l->names_cap = cap;
	}
	memcpy(l->names + l->names_len, f, len);
	l->names[l->names_len + len] = '\0';
	*off = l->names_len;
	l->names_len += len + 1;
	return (0);
}

static int
add_entry(struct revoked_list *l, const struct revoked_entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct revoked_entry *p = realloc(l->e, cap * sizeof(*p));

		if (p == NULL)
			return (-1);
		l->e = p;
		l->cap = cap;
	}
	l->e[l->n++] = *e;
	return (0);
}

enum line_result { LINE_OK, LINE_SKIPPED, LINE_NOMEM };

/* One line of [s, end), no newline.  why: set when skipped. */
static enum line_result
parse_line(struct revoked_list *l, const char *s, const char *end, const char **why)
{
	struct revoked_entry e;
	const char *f, *p = s;
	size_t flen;

	if (end > s && end[-1] == '\r')
		end--;
	if ((size_t)(end - s) > REVOKED_MAX_LINE) {
		*why = "line too long";
		return (LINE_SKIPPED);
	}
	if (memchr(s, '\0', (size_t)(end - s)) != NULL) {
		*why = "NUL byte in line";
		return (LINE_SKIPPED);
	}
	if (next_field(&p, end, &f, &flen) != 0 || *f == '#')
		return (LINE_OK); /* empty or comment */
	memset(&e, 0, sizeof(e));
	if (parse_issuer(f, flen, e.issuer) != 0) {
		*why = "issuer is not 64 hex digits (SHA-256 of the issuer Name)";
		return (LINE_SKIPPED);
	}
	if (next_field(&p, end, &f, &flen) != 0 ||
	    parse_serial(f, flen, e.serial, &e.serial_len) != 0) {
		*why = "missing or bad serial (hex, at most 32 bytes)";
		return (LINE_SKIPPED);
	}
	if (next_field(&p, end, &f, &flen) != 0 || check_cluster(f, flen) != 0) {
		*why = "missing or bad cluster name";
		return (LINE_SKIPPED);
	}
	if (add_name(l, f, flen, &e.name_off) != 0 || add_entry(l, &e) != 0)
		return (LINE_NOMEM);
	return (LINE_OK);
}

/* ---- the list ---- */

static int
entry_cmp_key(const uint8_t issuer[32], const uint8_t *serial, size_t slen,
    const struct revoked_entry *e)
{
	int c = memcmp(issuer, e->issuer, 32);

	if (c != 0)
		return (c);
	if (slen != e->serial_len)
		return (slen < e->serial_len ? -1 : 1);
	return (slen == 0 ? 0 : memcmp(serial, e->serial, slen));
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct revoked_entry *x = a;

	return (entry_cmp_key(x->issuer, x->serial, x->serial_len, b));
}

struct revoked_list *
revoked_parse(const char *buf, size_t len, revoked_warn_fn *warn, void *arg)
{
	struct revoked_list *l = calloc(1, sizeof(*l));
	const char *s = buf, *end = buf + len, *nl, *why;
	size_t line = 0;

	if (l == NULL)
		return (NULL);
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		line++;
		why = NULL;
		switch (parse_line(l, s, nl, &why)) {
		case LINE_OK:
			break;
		case LINE_SKIPPED:
			if (warn != NULL)
				warn(arg, line, why);
			break;
		case LINE_NOMEM:
			revoked_free(l);
			return (NULL);
		}
		s = nl + 1;
	}
	if (l->n > 1)
		qsort(l->e, l->n, sizeof(l->e[0]), entry_cmp);
	return (l);
}

size_t
revoked_count(const struct revoked_list *l)
{
	return (l != NULL ? l->n : 0);
}

const char *
revoked_lookup(const struct revoked_list *l, const uint8_t issuer[32], const uint8_t *serial,
    size_t serial_len)
{
	size_t lo = 0, hi;

	if (l == NULL || l->n == 0)
		return (NULL);
	while (serial_len > 0 && *serial == 0)
		serial++, serial_len--;
	if (serial_len > REVOKED_MAX_SERIAL)
		return (NULL);
	hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = entry_cmp_key(issuer, serial, serial_len, &l->e[mid]);

		if (c == 0)
			return (l->names + l->e[mid].name_off);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

void
revoked_free(struct revoked_list *l)
{
	if (l == NULL)
		return;
	free(l->e);
	free(l->names);
	free(l);
}

void
revoked_serial_hex(const uint8_t *serial, size_t len, char *buf, size_t buflen)
{
	size_t i, o = 0;

	if (buflen == 0)
		return;
	while (len > 0 && *serial == 0)
		serial++, len--;
	if (len == 0) {
		snprintf(buf, buflen, "0");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < len && o + 3 <= buflen; i++, o += 2)
		snprintf(buf + o, buflen - o, "%02x", serial[i]);
}

/* ---- the file ---- */

/* Up to max bytes of fd into a new buffer.  0, or -1 with errno. */
static int
read_bounded(int fd, size_t max, char **out, size_t *outlen)
{
	size_t have = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	if (buf == NULL)
		return (-1);
	for (;;) {
		if (have == cap && cap < max) {
			char *p;

			cap = cap * 2 < max ? cap * 2 : max;
			p = realloc(buf, cap);
			if (p == NULL)
				goto fail;
			buf = p;
		}
		if (have == cap)
			break;
		n = read(fd, buf + have, cap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	*out = buf;
	*outlen = have;
	return (0);
fail:
	free(buf);
	return (-1);
}

enum revoked_load_result
revoked_load_file(const char *path, size_t max_size, revoked_warn_fn *warn, void *arg,
    struct revoked_list **out, char *err, size_t errlen)
{
	enum revoked_load_result res = REVOKED_LOAD_ERROR;
	struct stat st;
	char *buf = NULL, *nl;
	size_t len = 0;
	int fd;

	*out = NULL;
	/* O_NONBLOCK: a FIFO put there must not hang the daemon in open(). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			*out = revoked_parse("", 0, NULL, NULL);
			if (*out != NULL)
				return (REVOKED_LOAD_MISSING);
			errno = ENOMEM;
		}
		snprintf(err, errlen, "can't open %s: %s", path, strerror(errno));
		return (REVOKED_LOAD_ERROR);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		goto out;
	}
	if (read_bounded(fd, max_size + 1, &buf, &len) != 0) {
		snprintf(err, errlen, "can't read %s: %s", path, strerror(errno));
		goto out;
	}
	res = REVOKED_LOAD_OK;
	if (len > max_size) {
		/* Only whole lines of the first max_size bytes. */
		nl = memrchr(buf, '\n', max_size);
		len = nl != NULL ? (size_t)(nl - buf) + 1 : 0;
		res = REVOKED_LOAD_TRUNCATED;
	}
	*out = revoked_parse(buf, len, warn, arg);
	if (*out == NULL) {
		snprintf(err, errlen, "out of memory parsing %s", path);
		res = REVOKED_LOAD_ERROR;
	}
out:
	free(buf);
	close(fd);
	return (res);
}
