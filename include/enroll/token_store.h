/*
 * token_store.h - the tokens file of the state directory, one token_rec
 * per line.  Read and written only under the CA lock (ca_lock.h).
 */
#ifndef QNETD_ENROLL_TOKEN_STORE_H
#define QNETD_ENROLL_TOKEN_STORE_H

#include <stddef.h>
#include <time.h>

#include "enroll/state_file.h"
#include "enroll/token.h"

#define TOKEN_STORE_FILE "tokens"
/* Most tokens kept: a file an attacker cannot make the tool choke on. */
#define TOKEN_STORE_MAX 10000

struct token_store {
	struct token_rec *recs;
	size_t n;
	size_t cap;
	size_t bad; /* malformed lines skipped on load (and dropped on save) */
};

/* Loads <state_dir>/tokens; a missing file is an empty store.  0 or -1 (errno). */
int token_store_load(const char *state_dir, struct token_store *s);

/* The record with this id, or NULL. */
struct token_rec *token_store_find(struct token_store *s, const char *id);

/* Adds a copy of rec.  0, or -1 when full or out of memory. */
int token_store_add(struct token_store *s, const struct token_rec *rec);

/* Keep records of expired tokens this long (seconds) for the logs and -T, then drop them. */
#define TOKEN_STORE_KEEP_EXPIRED (7 * 24 * 60 * 60)

/* Drops tokens that expired more than TOKEN_STORE_KEEP_EXPIRED before now.  The number dropped. */
size_t token_store_prune(struct token_store *s, time_t now);

/* Writes the whole store to a temporary file for state_file_commit().  0 or -1. */
int token_store_prepare(const struct token_store *s, const char *state_dir,
    struct state_file_tmp *t);

void token_store_free(struct token_store *s);

#endif
