/*
 * text.h - untrusted bytes made safe for a log line, a hook's
 * environment or a label: printable ASCII only.
 */
#ifndef QNETD_TEXT_H
#define QNETD_TEXT_H

#include <stddef.h>

/*
 * Copy at most dstlen - 1 bytes of src (srclen bytes, NULs allowed) into
 * dst, each byte outside 0x20..0x7e replaced by '?', and NUL-terminate.
 * dstlen must be at least 1.  Returns the number of bytes written
 * (without the NUL).
 */
size_t text_printable(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
