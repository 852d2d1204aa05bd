/*
 * ca_cmd_registry.c - the registry of signed certificates: list it
 * (text or JSON, with when the running daemon last saw each certificate),
 * import the certificates already on disk, revoke, and the crlutil
 * script of the CRL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cert.h>
#include <pk11pub.h>

#include "ca_cmd.h"
#include "enroll/ca_lock.h"
#include "enroll/digest.h"
#include "enroll/registry.h"
#include "enroll/revoked_write.h"

/* Loads the registry under the lock, saving it when it was just imported. */
static int
load_locked(const struct ca_tool *t, struct registry *reg)
{
	struct state_file_tmp tmp;

	if (registry_load(t->state_dir, t->nssdb_dir, reg) != 0) {
		fprintf(stderr, "Can't read the registry in %s: %s\n", t->state_dir,
		    strerror(errno));
		return (1);
	}
	if (reg->imported &&
	    (registry_prepare(reg, t->state_dir, &tmp) != 0 || state_file_commit(&tmp) != 0)) {
		fprintf(stderr, "Can't write %s/%s: %s\n", t->state_dir, REGISTRY_FILE,
		    strerror(errno));
		registry_free(reg);
		return (1);
	}
	return (0);
}

static int
load(const struct ca_tool *t, struct registry *reg)
{
	int fd = ca_tool_lock(t), rc;

	if (fd < 0)
		return (1);
	rc = load_locked(t, reg);
	ca_lock_release(fd);
	return (rc);
}

/*
 * The last_seen of the certificate with this fingerprint in the daemon's
 * status JSON (corosync-qnetd-tool -j): each cluster's flat
 * "certificate": {...} object.  -1 when not there.
 */
static int64_t
last_seen(const char *status, const char *sha256)
{
	const char *p = status, *obj, *close, *s, *ls;

	while (status != NULL && (p = strstr(p, "\"certificate\"")) != NULL) {
		p += 13;
		obj = strchr(p, '{');
		close = obj != NULL ? strchr(obj, '}') : NULL;
		if (close == NULL)
			break;
		s = strstr(obj, sha256);
		ls = strstr(obj, "\"last_seen\"");
		if (s != NULL && s < close && ls != NULL && ls < close) {
			ls = strchr(ls, ':');
			return (ls != NULL && ls < close ? strtoll(ls + 1, NULL, 10) : -1);
		}
		p = close;
	}
	return (-1);
}

static void
list_text(const struct registry *reg, const char *status)
{
	char na[32], ia[32], seen[32], state[40];
	const struct registry_rec *e;
	int64_t ls;
	size_t i;

	printf("%-8s %-20s %-10s %-23s %-23s %-8s %-23s %s\n", "SERIAL", "CLUSTER", "STATE",
	    "ISSUED", "NOT_AFTER", "PATH", "LAST_SEEN", "SHA256");
	for (i = 0; i < reg->n; i++) {
		e = &reg->recs[i];
		ca_tool_time(e->not_after, na, sizeof(na));
		ca_tool_time(e->issued_at, ia, sizeof(ia));
		ls = last_seen(status, e->sha256);
		if (ls >= 0)
			ca_tool_time(ls, seen, sizeof(seen));
		else
			strcpy(seen, "-");
		snprintf(state, sizeof(state), "%s", e->revoked_at ? "revoked" : "valid");
		printf("%-8s %-20s %-10s %-23s %-23s %-8s %-23s %s\n", e->serial, e->cluster, state,
		    ia, na, e->path, seen, e->sha256);
	}
}

static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
list_json(const struct registry *reg, const char *status)
{
	const struct registry_rec *e;
	int64_t ls;
	size_t i;

	printf("{\"certificates\": [");
	for (i = 0; i < reg->n; i++) {
		e = &reg->recs[i];
		printf("%s\n  {\"serial\": \"%s\", \"cluster\": ", i ? "," : "", e->serial);
		json_string(e->cluster);
		printf(", \"sha256\": \"%s\", \"not_after\": %" PRId64 ", \"issued_at\": %" PRId64
		       ", \"path\": \"%s\", \"revoked\": %s, \"revoked_at\": %" PRId64,
		    e->sha256, e->not_after, e->issued_at, e->path,
		    e->revoked_at ? "true" : "false", e->revoked_at);
		ls = last_seen(status, e->sha256);
		if (ls >= 0)
			printf(", \"last_seen\": %" PRId64 "}", ls);
		else
			printf(", \"last_seen\": null}");
	}
	printf("%s]}\n", reg->n ? "\n" : "");
}

/* list text|json [STATUS_JSON_FILE] */
int
ca_cmd_list(const struct ca_tool *t, int argc, char **argv)
{
	struct registry reg;
	char *status = NULL;
	size_t len;
	int json;

	if (argc < 1 || argc > 2 || (strcmp(argv[0], "text") != 0 && strcmp(argv[0], "json") != 0))
		return (2);
	json = strcmp(argv[0], "json") == 0;
	if (argc == 2 && state_file_read(argv[1], STATE_FILE_MAX, &status, &len) != 0)
		status = NULL;
	if (load(t, &reg) != 0) {
		free(status);
		return (1);
	}
	if (json)
		list_json(&reg, status);
	else
		list_text(&reg, status);
	registry_free(&reg);
	free(status);
	return (0);
}

/* import: fill the registry from the cluster-*.crt files when it does not exist yet. */
int
ca_cmd_import(const struct ca_tool *t, int argc, char **argv)
{
	struct registry reg;

	(void)argv;
	if (argc != 0)
		return (2);
	if (load(t, &reg) != 0)
		return (1);
	if (reg.imported)
		printf("Registry created with %zu certificate(s) found in %s\n", reg.n,
		    t->nssdb_dir);
	else
		printf("Registry already exists (%zu certificate(s))\n", reg.n);
	registry_free(&reg);
	return (0);
}

/* crl-script: crlutil -G's script for every revoked certificate (decimal serials). */
int
ca_cmd_crl_script(const struct ca_tool *t, int argc, char **argv)
{
	char when[20];
	struct registry reg;
	struct tm tm;
	time_t rt;
	size_t i;

	(void)argv;
	if (argc != 0 || load(t, &reg) != 0)
		return (argc != 0 ? 2 : 1);
	rt = t->now;
	strftime(when, sizeof(when), "%Y%m%d%H%M%SZ", gmtime_r(&rt, &tm));
	printf("update=%s\n", when);
	for (i = 0; i < reg.n; i++) {
		if (reg.recs[i].revoked_at == 0)
			continue;
		if (strlen(reg.recs[i].serial) > 15) {
			fprintf(stderr, "Serial %s too long for the CRL; skipped\n",
			    reg.recs[i].serial);
			continue;
		}
		rt = (time_t)reg.recs[i].revoked_at;
		strftime(when, sizeof(when), "%Y%m%d%H%M%SZ", gmtime_r(&rt, &tm));
		printf("addcert %llu %s\n", strtoull(reg.recs[i].serial, NULL, 16), when);
	}
	registry_free(&reg);
	return (0);
}
