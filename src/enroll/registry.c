/*
 * registry.c - the registry of signed certificates: load, import from
 * the certificate files already on disk, save.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll/registry.h"

static int
registry_path(const char *state_dir, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", state_dir, REGISTRY_FILE) >= size) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

int
registry_add(struct registry *r, const struct registry_rec *rec)
{
	struct registry_rec *grown;
	size_t cap;

	if (r->n >= REGISTRY_MAX) {
		errno = ENOSPC;
		return (-1);
	}
	if (r->n == r->cap) {
		cap = r->cap ? 2 * r->cap : 16;
		grown = realloc(r->recs, cap * sizeof(*grown));
		if (grown == NULL)
			return (-1);
		r->recs = grown;
		r->cap = cap;
	}
	r->recs[r->n++] = *rec;
	return (0);
}

static int
hex_ok(const char *s, size_t min, size_t max)
{
	size_t i, n = strlen(s);

	if (n < min || n > max)
		return (0);
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return (0);
	}
	return (1);
}

int
registry_rec_parse(const char *line, struct registry_rec *rec)
{
	char serial[64], cluster[TOKEN_CLUSTER_MAX + 2], sha[80], path[32];
	int64_t not_after, issued_at, revoked_at;
	int end = 0;

	if (sscanf(line, "%63s %256s %79s %" SCNd64 " %" SCNd64 " %31s %" SCNd64 " %n", serial,
	        cluster, sha, &not_after, &issued_at, path, &revoked_at, &end) != 7 ||
	    line[end] != '\0')
		return (0);
	if (!hex_ok(serial, 1, CERT_SERIAL_HEX_MAX - 2) || !token_cluster_name_ok(cluster) ||
	    !hex_ok(sha, DIGEST_SHA256_HEX_LEN, DIGEST_SHA256_HEX_LEN) || revoked_at < 0)
		return (0);
	if (strcmp(path, "certutil") != 0 && strcmp(path, "service") != 0 &&
	    strcmp(path, "import") != 0)
		return (0);
	memset(rec, 0, sizeof(*rec));
	strcpy(rec->serial, serial);
	strcpy(rec->cluster, cluster);
	strcpy(rec->sha256, sha);
	rec->not_after = not_after;
	rec->issued_at = issued_at;
	strcpy(rec->path, path);
	rec->revoked_at = revoked_at;
	return (1);
}

/* One cluster-NAME.crt into the registry; unreadable files are skipped. */
static int
import_one(struct registry *r, const char *nssdb_dir, const char *file)
{
	char path[4096], *der;
	struct registry_rec rec;
	struct cert_info info;
	size_t len, nlen = strlen(file);
	int ok;

	memset(&rec, 0, sizeof(rec));
	if (nlen <= 12 || nlen - 12 > TOKEN_CLUSTER_MAX)
		return (0);
	memcpy(rec.cluster, file + 8, nlen - 12);
	if (!token_cluster_name_ok(rec.cluster))
		return (0);
	snprintf(path, sizeof(path), "%s/%s", nssdb_dir, file);
	if (state_file_read(path, 65536, &der, &len) != 0)
		return (0);
	ok = cert_info_from_der((const uint8_t *)der, len, &info) == 0;
	free(der);
	if (!ok)
		return (0);
	strcpy(rec.serial, info.serial);
	strcpy(rec.sha256, info.sha256);
	rec.not_after = info.not_after;
	rec.issued_at = info.not_before;
	strcpy(rec.path, "import");
	return (registry_add(r, &rec));
}

static int
import_dir(struct registry *r, const char *nssdb_dir)
{
	struct dirent *de;
	DIR *d;
	size_t n;
	int rc = 0;

	d = opendir(nssdb_dir);
	if (d == NULL)
		return (errno == ENOENT ? 0 : -1);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (strncmp(de->d_name, "cluster-", 8) == 0 && n > 12 &&
		    strcmp(de->d_name + n - 4, ".crt") == 0)
			rc = import_one(r, nssdb_dir, de->d_name);
	}
	closedir(d);
	return (rc);
}

int
registry_load(const char *state_dir, const char *nssdb_dir, struct registry *r)
{
	char path[4096], *data, *line, *save = NULL;
	struct registry_rec rec;
	size_t len;

	memset(r, 0, sizeof(*r));
	if (registry_path(state_dir, path, sizeof(path)) != 0)
		return (-1);
	if (state_file_read(path, STATE_FILE_MAX * 8, &data, &len) != 0) {
		if (errno != ENOENT)
			return (-1);
		r->imported = 1;
		if (import_dir(r, nssdb_dir) == 0)
			return (0);
		registry_free(r);
		return (-1);
	}
	for (line = strtok_r(data, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (!registry_rec_parse(line, &rec)) {
			r->bad++;
			continue;
		}
		if (registry_add(r, &rec) != 0) {
			free(data);
			registry_free(r);
			return (-1);
		}
	}
	free(data);
	return (0);
}

size_t
registry_count_valid(const struct registry *r, const char *cluster)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++) {
		if (r->recs[i].revoked_at == 0 && strcmp(r->recs[i].cluster, cluster) == 0)
			n++;
	}
	return (n);
}

struct registry_rec *
registry_find_serial(struct registry *r, const char *serial)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->recs[i].serial, serial) == 0)
			return (&r->recs[i]);
	}
	return (NULL);
}

int
registry_prepare(const struct registry *r, const char *state_dir, struct state_file_tmp *t)
{
	char path[4096];
	char *buf;
	size_t i, used, size = 128 + r->n * 512;
	const struct registry_rec *e;
	int n, rc;

	if (registry_path(state_dir, path, sizeof(path)) != 0)
		return (-1);
	buf = malloc(size);
	if (buf == NULL)
		return (-1);
	used = (size_t)snprintf(buf, size,
	    "# serial cluster sha256 not_after issued_at path revoked_at\n");
	for (i = 0; i < r->n; i++) {
		e = &r->recs[i];
		n = snprintf(buf + used, size - used,
		    "%s %s %s %" PRId64 " %" PRId64 " %s %" PRId64 "\n", e->serial, e->cluster,
		    e->sha256, e->not_after, e->issued_at, e->path, e->revoked_at);
		if (n < 0 || (size_t)n >= size - used) {
			free(buf);
			errno = EINVAL;
			return (-1);
		}
		used += (size_t)n;
	}
	rc = state_file_prepare(t, path, buf, used, 0600, 0);
	free(buf);
	return (rc);
}

void
registry_free(struct registry *r)
{
	free(r->recs);
	memset(r, 0, sizeof(*r));
}
