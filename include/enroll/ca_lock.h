/*
 * ca_lock.h - the one lock of the CA (<state_dir>/ca.lock, flock
 * LOCK_EX) shared by corosync-qnetd-certutil -s and the enrollment
 * service, and the serial numbers allocated under it (serial.txt in the
 * NSS database directory: the last serial issued, in decimal, as
 * corosync-qnetd-certutil has always kept it).
 */
#ifndef QNETD_ENROLL_CA_LOCK_H
#define QNETD_ENROLL_CA_LOCK_H

#include "enroll/state_file.h"

#define CA_LOCK_FILE "ca.lock"
#define CA_SERIAL_FILE "serial.txt"

/*
 * Creates state_dir when missing, opens <state_dir>/ca.lock and waits for
 * the exclusive lock.  The descriptor, or -1 with errno.
 */
int ca_lock_acquire(const char *state_dir);

/* Releases the lock (closes fd); -1 is ignored. */
void ca_lock_release(int fd);

/*
 * Under the lock: the next serial (last + 1; 101 when serial.txt is
 * missing, as -i starts from 100) into *serial and serial.txt's new
 * content prepared in t (mode and owner of the old file kept).  0, or -1
 * when the file is unreadable or not a decimal number.
 */
int ca_serial_next(const char *nssdb_dir, unsigned long *serial, struct state_file_tmp *t);

#endif
