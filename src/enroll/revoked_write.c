/*
 * revoked_write.c - append to the revoked list the daemon reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/revoked_write.h"

/* 1 when text already has a line "<issuer> <serial> ...". */
static int
listed(const char *text, const struct revoked_entry *e)
{
	const char *line = text, *next;
	size_t il = strlen(e->issuer_sha256), sl = strlen(e->serial);

	for (; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			next++;
		if (strncmp(line, e->issuer_sha256, il) == 0 && line[il] == ' ' &&
		    strncmp(line + il + 1, e->serial, sl) == 0 && line[il + 1 + sl] == ' ')
			return (1);
	}
	return (0);
}

int
revoked_prepare(const char *state_dir, const struct revoked_entry *add, size_t n,
    struct state_file_tmp *t)
{
	char path[4096], *old = NULL, *buf;
	size_t i, len = 0, size, used;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, REVOKED_FILE) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (state_file_read(path, STATE_FILE_MAX, &old, &len) != 0) {
		if (errno != ENOENT)
			return (-1);
		old = strdup("# issuer_sha256 serial cluster\n");
		if (old == NULL)
			return (-1);
		len = strlen(old);
	}
	size = len + 2 + n * 400;
	buf = malloc(size);
	if (buf == NULL) {
		free(old);
		return (-1);
	}
	memcpy(buf, old, len);
	used = len;
	if (used > 0 && buf[used - 1] != '\n')
		buf[used++] = '\n';
	for (i = 0; i < n; i++) {
		if (!listed(old, &add[i]))
			used += (size_t)snprintf(buf + used, size - used, "%s %s %s\n",
			    add[i].issuer_sha256, add[i].serial, add[i].cluster);
	}
	rc = state_file_prepare(t, path, buf, used, 0600, 0);
	free(buf);
	free(old);
	return (rc);
}
