/*
 * ca_lock.c - the CA lock and serial allocation.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enroll/ca_lock.h"

int
ca_lock_acquire(const char *state_dir)
{
	char path[4096];
	struct stat st;
	int fd;

	if (state_file_ensure_dir(state_dir) != 0)
		return (-1);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, CA_LOCK_FILE) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return (-1);
	/* Root's -s must not leave a lock file the service (the daemon's user) cannot open. */
	if (geteuid() == 0 && stat(state_dir, &st) == 0 && fchown(fd, st.st_uid, st.st_gid) != 0) {
		close(fd);
		return (-1);
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return (-1);
		}
	}
	return (fd);
}

void
ca_lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The last serial issued; 100 (what -i starts from) when there is no file. */
static int
read_last(const char *path, unsigned long *last)
{
	char *data, *end;
	size_t len;

	if (state_file_read(path, 64, &data, &len) != 0) {
		if (errno != ENOENT)
			return (-1);
		*last = 100;
		return (0);
	}
	errno = 0;
	*last = strtoul(data, &end, 10);
	if (data[0] < '0' || data[0] > '9' || errno != 0 || (*end != '\n' && *end != '\0') ||
	    (*end == '\n' && end[1] != '\0') || *last >= ULONG_MAX - 1) {
		free(data);
		errno = EINVAL;
		return (-1);
	}
	free(data);
	return (0);
}

int
ca_serial_next(const char *nssdb_dir, unsigned long *serial, struct state_file_tmp *t)
{
	char path[4096], text[32];
	unsigned long last;
	int n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", nssdb_dir, CA_SERIAL_FILE) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (read_last(path, &last) != 0)
		return (-1);
	*serial = last + 1;
	n = snprintf(text, sizeof(text), "%lu\n", *serial);
	return (state_file_prepare(t, path, text, (size_t)n, 0660, 1));
}
