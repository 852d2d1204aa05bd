/*
 * state_file.c - bounded reads and atomic replacement of the small files
 * the enrollment keeps (tokens, registry, revoked, serial.txt, cluster
 * certificates).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enroll/state_file.h"

/* The daemon's user: owner of a state directory created by root. */
#define STATE_DIR_USER "coroqnetd"

int
state_file_read(const char *path, size_t max, char **data, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return (-1);
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		goto fail;
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return (0);
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return (-1);
}

/* Owner for a new file in the directory of path: the directory's. */
static void
give_like_dir(int fd, const char *path)
{
	char copy[4096];
	struct stat st;

	if (geteuid() != 0)
		return;
	snprintf(copy, sizeof(copy), "%s", path);
	if (stat(dirname(copy), &st) != 0)
		return;
	if (fchown(fd, st.st_uid, st.st_gid) != 0)
		return;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* Mode and owner of the new file: the old file's, or mode and the directory's owner. */
static int
set_attrs(int fd, const char *path, mode_t mode, int keep_old)
{
	struct stat st;

	if (keep_old && stat(path, &st) == 0) {
		if (geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) != 0)
			return (-1);
		return (fchmod(fd, st.st_mode & 07777));
	}
	give_like_dir(fd, path);
	return (fchmod(fd, mode));
}

int
state_file_prepare(struct state_file_tmp *t, const char *path, const void *data, size_t len,
    mode_t mode, int keep_old)
{
	int fd, saved;

	if ((size_t)snprintf(t->path, sizeof(t->path), "%s", path) >= sizeof(t->path) ||
	    (size_t)snprintf(t->tmp, sizeof(t->tmp), "%s.tmp.XXXXXX", path) >= sizeof(t->tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	fd = mkostemp(t->tmp, O_CLOEXEC);
	if (fd < 0)
		return (-1);
	if (set_attrs(fd, path, mode, keep_old) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return (0);
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(t->tmp);
	errno = saved;
	return (-1);
}

int
state_file_commit(struct state_file_tmp *t)
{
	int saved;

	if (rename(t->tmp, t->path) == 0)
		return (0);
	saved = errno;
	unlink(t->tmp);
	errno = saved;
	return (-1);
}

void
state_file_discard(struct state_file_tmp *t)
{
	unlink(t->tmp);
}

int
state_file_write(const char *path, const void *data, size_t len, mode_t mode, int keep_old)
{
	struct state_file_tmp t;

	if (state_file_prepare(&t, path, data, len, mode, keep_old) != 0)
		return (-1);
	return (state_file_commit(&t));
}

int
state_file_ensure_dir(const char *dir)
{
	struct passwd *pw;

	if (mkdir(dir, 0700) != 0)
		return (errno == EEXIST ? 0 : -1);
	if (geteuid() != 0)
		return (0);
	pw = getpwnam(STATE_DIR_USER);
	if (pw != NULL && chown(dir, pw->pw_uid, pw->pw_gid) != 0)
		return (-1);
	return (0);
}
