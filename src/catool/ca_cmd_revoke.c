/*
 * ca_cmd_revoke.c - "revoke NAME|SERIAL": marks the certificates in the
 * registry and appends them to the revoked list the daemon reads, both
 * in one step under the CA lock.  The CRL for Debian's daemon is written
 * by corosync-qnetd-certutil with crlutil from "crl-script".
 */
#include <errno.h>
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

/* SHA-256 hex of the CA's subject Name: the issuer of every certificate it signed. */
static int
issuer_hash(const struct ca_tool *t, char *out)
{
	CERTCertificate *ca = PK11_FindCertFromNickname(t->ca_nickname, NULL);
	int rc;

	if (ca == NULL) {
		fprintf(stderr, "Can't find \"%s\" in %s\n", t->ca_nickname, t->nssdb_dir);
		return (-1);
	}
	rc = digest_sha256_hex(ca->derSubject.data, ca->derSubject.len, out);
	CERT_DestroyCertificate(ca);
	return (rc);
}

/* 1 when e is what arg names: the cluster, else the serial (hex, "0x" allowed). */
static int
matches(const struct registry_rec *e, const char *arg, int by_name)
{
	if (by_name)
		return (strcmp(e->cluster, arg) == 0);
	if (strncmp(arg, "0x", 2) == 0)
		arg += 2;
	while (arg[0] == '0' && arg[1] != '\0')
		arg++;
	return (strcasecmp(e->serial, arg) == 0);
}

static int
commit(const struct ca_tool *t, struct registry *reg, const struct revoked_entry *add, size_t n)
{
	struct state_file_tmp rtmp, vtmp;

	if (registry_prepare(reg, t->state_dir, &rtmp) != 0)
		goto fail;
	if (revoked_prepare(t->state_dir, add, n, &vtmp) != 0) {
		state_file_discard(&rtmp);
		goto fail;
	}
	if (state_file_commit(&vtmp) != 0) {
		state_file_discard(&rtmp);
		goto fail;
	}
	if (state_file_commit(&rtmp) != 0)
		goto fail;
	return (0);
fail:
	fprintf(stderr, "Can't write the registry and revoked list in %s: %s\n", t->state_dir,
	    strerror(errno));
	return (1);
}

/* 1 when some certificate of the registry, revoked or not, is the cluster's. */
static int
is_cluster(const struct registry *reg, const char *name)
{
	size_t i;

	for (i = 0; i < reg->n; i++) {
		if (strcmp(reg->recs[i].cluster, name) == 0)
			return (1);
	}
	return (0);
}

static int
revoke_locked(const struct ca_tool *t, struct registry *reg, const char *arg, const char *issuer)
{
	struct revoked_entry *add;
	size_t i, n = 0, already = 0;
	int by_name = is_cluster(reg, arg), rc = 1;

	add = calloc(reg->n + 1, sizeof(*add));
	if (add == NULL)
		return (1);
	for (i = 0; i < reg->n; i++) {
		if (!matches(&reg->recs[i], arg, by_name))
			continue;
		if (reg->recs[i].revoked_at != 0) {
			already++;
			continue;
		}
		reg->recs[i].revoked_at = (int64_t)t->now;
		add[n].issuer_sha256 = issuer;
		add[n].serial = reg->recs[i].serial;
		add[n].cluster = reg->recs[i].cluster;
		n++;
	}
	if (n == 0 && already == 0)
		fprintf(stderr, "No certificate of cluster or serial %s in the registry\n", arg);
	else if (n == 0)
		fprintf(stderr, "Certificate %s is already revoked\n", arg);
	else
		rc = commit(t, reg, add, n);
	for (i = 0; rc == 0 && i < n; i++)
		printf("Revoked certificate serial %s of cluster %s\n", add[i].serial,
		    add[i].cluster);
	free(add);
	return (n == 0 && already > 0 ? 0 : rc);
}

int
ca_cmd_revoke(const struct ca_tool *t, int argc, char **argv)
{
	char issuer[DIGEST_SHA256_HEX_LEN + 1];
	struct registry reg;
	int fd, rc;

	if (argc != 1)
		return (2);
	if (issuer_hash(t, issuer) != 0)
		return (1);
	fd = ca_tool_lock(t);
	if (fd < 0)
		return (1);
	if (registry_load(t->state_dir, t->nssdb_dir, &reg) != 0) {
		fprintf(stderr, "Can't read the registry in %s: %s\n", t->state_dir,
		    strerror(errno));
		ca_lock_release(fd);
		return (1);
	}
	rc = revoke_locked(t, &reg, argv[0], issuer);
	registry_free(&reg);
	ca_lock_release(fd);
	return (rc);
}
