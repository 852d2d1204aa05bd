/*
 * ca_cmd_serial.c - "serial-next": takes the next certificate serial
 * under the CA lock and prints it, for the certificates the certificate
 * tool still makes with NSS certutil (the server certificate of -R).
 * Under the lock, so that a concurrent -s or enrollment never issues the
 * same number.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ca_cmd.h"
#include "enroll/ca_lock.h"

int
ca_cmd_serial_next(const struct ca_tool *t, int argc, char **argv)
{
	struct state_file_tmp tmp;
	unsigned long serial;
	int fd, rc = 1;

	(void)argv;
	if (argc != 0)
		return (2);
	fd = ca_tool_lock(t);
	if (fd < 0)
		return (1);
	if (ca_serial_next(t->nssdb_dir, &serial, &tmp) != 0) {
		fprintf(stderr, "Can't read %s/%s: %s\n", t->nssdb_dir, CA_SERIAL_FILE,
		    strerror(errno));
		goto out;
	}
	if (state_file_commit(&tmp) != 0) {
		state_file_discard(&tmp);
		fprintf(stderr, "Can't write %s/%s: %s\n", t->nssdb_dir, CA_SERIAL_FILE,
		    strerror(errno));
		goto out;
	}
	printf("%lu\n", serial);
	rc = 0;
out:
	ca_lock_release(fd);
	return (rc);
}
