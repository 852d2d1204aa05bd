/*
 * revoked.h - the list of revoked client certificates the daemon enforces
 * (docs/admin.md "Revocation"; the file format is fixed by the enrollment
 * contract): one line per certificate,
 *
 *     <sha256hex(DER of the issuer Name)> <serial hex> <cluster>
 *
 * '#' lines and empty lines are ignored, fields after the third are
 * ignored (room for later columns), a malformed line is reported and
 * skipped.  The file is untrusted input: every line is bounded and
 * checked; nothing in it can make the parser read past the buffer.
 *
 * Pure: no NSS, no logging; the caller reports what the warn callback
 * is told.
 */
#ifndef QNETD_REVOKED_H
#define QNETD_REVOKED_H

#include <stddef.h>
#include <stdint.h>

/* Longest line (bytes, without the newline); a longer one is malformed. */
#define REVOKED_MAX_LINE 1024
/* Longest serial number (bytes after stripping leading zero bytes). */
#define REVOKED_MAX_SERIAL 32
/* Longest cluster name in the file. */
#define REVOKED_MAX_CLUSTER 255
/* The daemon reads at most this much of the file. */
#define REVOKED_MAX_FILE (16u * 1024 * 1024)

struct revoked_list;

/* Told about each malformed line: 1-based line number and why (static text). */
typedef void revoked_warn_fn(void *arg, size_t line, const char *why);

/*
 * Parse len bytes of buf (need not be NUL-terminated).  A new list,
 * possibly empty, that the caller frees with revoked_free(); NULL only
 * when memory ran out.  warn (may be NULL) is called once per skipped
 * line.  A last line without a newline is parsed like the others.
 */
struct revoked_list *revoked_parse(const char *buf, size_t len, revoked_warn_fn *warn, void *arg);

/* Number of entries (duplicates included). */
size_t revoked_count(const struct revoked_list *l);

/*
 * Is (issuer, serial) revoked?  issuer: SHA-256 of the DER issuer Name;
 * serial: the DER INTEGER content bytes (leading zero bytes allowed).
 * The cluster name the list gives for it (owned by the list), or NULL.
 * O(log n).  l may be NULL (nothing revoked).
 */
const char *revoked_lookup(const struct revoked_list *l, const uint8_t issuer[32],
    const uint8_t *serial, size_t serial_len);

void revoked_free(struct revoked_list *l);

enum revoked_load_result {
	REVOKED_LOAD_OK,        /* *out holds the file's entries */
	REVOKED_LOAD_MISSING,   /* no file: *out is an empty list (nothing revoked) */
	REVOKED_LOAD_TRUNCATED, /* over max_size: *out holds the lines in the first max_size bytes */
	REVOKED_LOAD_ERROR,     /* not readable, not a regular file, out of memory: see err */
};

/*
 * Read and parse the file at path, at most max_size bytes of it (a last,
 * partial line is dropped when the file is longer).  The file is opened
 * without blocking and must be a regular file.  On OK, MISSING and
 * TRUNCATED *out is a new list (caller frees); on ERROR *out is NULL and
 * err says why.
 */
enum revoked_load_result revoked_load_file(const char *path, size_t max_size, revoked_warn_fn *warn,
    void *arg, struct revoked_list **out, char *err, size_t errlen);

/* Lower-case hex of a serial as the file writes it ("0" for zero); buf >= 2*len+2 bytes. */
void revoked_serial_hex(const uint8_t *serial, size_t len, char *buf, size_t buflen);

#endif
