/*
 * token_store.c - load and save the tokens file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/token_store.h"

static int
store_path(const char *state_dir, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", state_dir, TOKEN_STORE_FILE) >= size) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

int
token_store_add(struct token_store *s, const struct token_rec *rec)
{
	struct token_rec *grown;
	size_t cap;

	if (s->n >= TOKEN_STORE_MAX) {
		errno = ENOSPC;
		return (-1);
	}
	if (s->n == s->cap) {
		cap = s->cap ? 2 * s->cap : 16;
		grown = realloc(s->recs, cap * sizeof(*grown));
		if (grown == NULL)
			return (-1);
		s->recs = grown;
		s->cap = cap;
	}
	s->recs[s->n++] = *rec;
	return (0);
}

int
token_store_load(const char *state_dir, struct token_store *s)
{
	char path[4096], *data, *line, *save = NULL;
	struct token_rec rec;
	size_t len;

	memset(s, 0, sizeof(*s));
	if (store_path(state_dir, path, sizeof(path)) != 0)
		return (-1);
	if (state_file_read(path, STATE_FILE_MAX, &data, &len) != 0)
		return (errno == ENOENT ? 0 : -1);
	for (line = strtok_r(data, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (!token_rec_parse(line, &rec)) {
			s->bad++;
			continue;
		}
		if (token_store_add(s, &rec) != 0) {
			free(data);
			token_store_free(s);
			return (-1);
		}
	}
	free(data);
	return (0);
}

struct token_rec *
token_store_find(struct token_store *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->recs[i].id, id) == 0)
			return (&s->recs[i]);
	}
	return (NULL);
}

int
token_store_prepare(const struct token_store *s, const char *state_dir, struct state_file_tmp *t)
{
	char path[4096], line[1024];
	char *buf;
	size_t i, used = 0, size = 64 + s->n * sizeof(line);
	int n, rc;

	if (store_path(state_dir, path, sizeof(path)) != 0)
		return (-1);
	buf = malloc(size);
	if (buf == NULL)
		return (-1);
	used = (size_t)snprintf(buf, size, "# id cluster created expires sha256(secret) state\n");
	for (i = 0; i < s->n; i++) {
		n = token_rec_format(&s->recs[i], line, sizeof(line));
		if (n < 0) {
			free(buf);
			errno = EINVAL;
			return (-1);
		}
		memcpy(buf + used, line, (size_t)n);
		used += (size_t)n;
		buf[used++] = '\n';
	}
	rc = state_file_prepare(t, path, buf, used, 0600, 0);
	free(buf);
	return (rc);
}

size_t
token_store_prune(struct token_store *s, time_t now)
{
	size_t i, kept = 0, dropped;

	for (i = 0; i < s->n; i++) {
		if (s->recs[i].expires + TOKEN_STORE_KEEP_EXPIRED >= (int64_t)now)
			s->recs[kept++] = s->recs[i];
	}
	dropped = s->n - kept;
	s->n = kept;
	return (dropped);
}

void
token_store_free(struct token_store *s)
{
	free(s->recs);
	memset(s, 0, sizeof(*s));
}
