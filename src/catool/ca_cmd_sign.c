/*
 * ca_cmd_sign.c - "sign CSR_FILE CLUSTER [strict]": corosync-qnetd-certutil
 * -s.  Signs with the fixed profile (subject CN=CLUSTER, no requested
 * extension copied, RSA >= 2048 or ECDSA P-256), under the CA lock, and
 * records the certificate.  A cluster that already has an unrevoked
 * certificate gets a warning, or with strict a refusal (exit 3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca_cmd.h"
#include "enroll/ca_issue.h"
#include "enroll/ca_lock.h"
#include "enroll/registry.h"

/* The serials of cluster's unrevoked certificates, for the warning. */
static void
valid_serials(const struct registry *reg, const char *cluster, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < reg->n && used < size; i++) {
		if (reg->recs[i].revoked_at == 0 && strcmp(reg->recs[i].cluster, cluster) == 0)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
			    reg->recs[i].serial);
	}
}

/* 0 to go on, 3 when strict refuses. */
static int
check_resign(const struct registry *reg, const char *cluster, int strict)
{
	char serials[256];
	size_t n = registry_count_valid(reg, cluster);

	if (n == 0)
		return (0);
	valid_serials(reg, cluster, serials, sizeof(serials));
	if (strict) {
		fprintf(stderr,
		    "Cluster %s already has an unrevoked certificate (serial %s): not signing "
		    "another one (strict).  Revoke it first with corosync-qnetd-certutil -r %s\n",
		    cluster, serials, cluster);
		return (3);
	}
	fprintf(stderr,
	    "Warning: cluster %s already has an unrevoked certificate (serial %s); signing "
	    "another one.  Two clusters must not share a name; revoke the old certificate with "
	    "corosync-qnetd-certutil -r SERIAL once it is no longer used.\n",
	    cluster, serials);
	return (0);
}

static void
note_request(const struct csr *req, const char *cluster)
{
	char subject[512];

	if (!csr_subject_is(req, cluster)) {
		csr_subject_text(req, subject, sizeof(subject));
		fprintf(stderr, "Warning: the request's subject \"%s\" is replaced by CN=%s\n",
		    subject, cluster);
	}
	if (req->req->attributes != NULL && req->req->attributes[0] != NULL)
		fprintf(stderr,
		    "Warning: the extensions the request asks for are not copied "
		    "into the certificate\n");
}

static int
sign_locked(const struct ca_tool *t, const struct csr *req, const char *csr_file,
    const char *cluster, int strict)
{
	struct ca_issue_ctx ic = { t->nssdb_dir, t->state_dir, t->ca_nickname, t->now, "certutil" };
	struct registry reg;
	struct registry_rec rec;
	uint8_t *der = NULL;
	size_t len;
	char reason[512];
	int rc;

	if (registry_load(t->state_dir, t->nssdb_dir, &reg) != 0) {
		fprintf(stderr, "Can't read the registry in %s: %s\n", t->state_dir,
		    strerror(errno));
		return (1);
	}
	rc = check_resign(&reg, cluster, strict);
	if (rc == 0 &&
	    ca_issue(&ic, req, cluster, &reg, NULL, NULL, &der, &len, &rec, reason,
	        sizeof(reason)) != 0) {
		fprintf(stderr, "Can't sign certificate request %s: %s\n", csr_file, reason);
		rc = 1;
	}
	free(der);
	registry_free(&reg);
	return (rc);
}

int
ca_cmd_sign(const struct ca_tool *t, int argc, char **argv)
{
	char reason[512], *data;
	struct csr req;
	size_t len;
	int fd, rc, strict;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "strict") != 0))
		return (2);
	strict = argc == 3;
	if (!token_cluster_name_ok(argv[1])) {
		fprintf(stderr, "Invalid cluster name %s\n", argv[1]);
		return (2);
	}
	if (state_file_read(argv[0], 2 * CSR_MAX_DER, &data, &len) != 0) {
		fprintf(stderr, "Can't read certificate request %s: %s\n", argv[0],
		    strerror(errno));
		return (1);
	}
	rc = csr_parse((const uint8_t *)data, len, &req, reason, sizeof(reason));
	free(data);
	if (rc != CSR_OK) {
		fprintf(stderr, "Can't sign certificate request %s: %s\n", argv[0], reason);
		return (1);
	}
	note_request(&req, argv[1]);
	fd = ca_tool_lock(t);
	rc = fd < 0 ? 1 : sign_locked(t, &req, argv[0], argv[1], strict);
	ca_lock_release(fd);
	csr_free(&req);
	return (rc);
}
