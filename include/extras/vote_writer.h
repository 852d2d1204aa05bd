/*
 * vote_writer.h - the thread that does the vote memory's disk work
 * (write, fsync, rename, stamp), so that the event loop never waits on a
 * disk: a loaded disk can take seconds to fsync, and every client would
 * wait as long.  One writer per process, one file.  Only the calls below
 * cross threads; the thread never logs (libqb) and never touches the
 * store: errors come back through vote_writer_take_error().
 */
#ifndef QNETD_VOTE_WRITER_H
#define QNETD_VOTE_WRITER_H

#include <stddef.h>
#include <stdint.h>

/* Start the thread for the file at path (copied).  0, or -1 (no thread). */
int vote_writer_start(const char *path);

/*
 * Write buf (ownership passes; from vote_memory_format) as the whole
 * file.  A content still waiting is replaced: the newest wins.
 */
void vote_writer_post(char *buf, size_t len);

/* Refresh the stamp in place (no fsync), unless a content waits anyway. */
void vote_writer_stamp(uint64_t now_wall_ms);

/*
 * 0, or the errno of the last failed operation since the previous call
 * with *content set when it was a content write (the store must be marked
 * dirty again) rather than a stamp.
 */
int vote_writer_take_error(int *content);

/*
 * Clean stop: write buf if not NULL, else refresh the stamp, both with
 * fsync; then end and join the thread.  The errno of that last step, or 0.
 */
int vote_writer_stop(char *buf, size_t len, uint64_t now_wall_ms);

#endif
