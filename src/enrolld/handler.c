/*
 * handler.c - routes a request to its answer (see handler.h).
 *
 * Log lines never hold a token's secret: only its id, the part before
 * the dot, which names the token in corosync-qnetd-certutil's list.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cert.h>
#include <secasn1.h>

#include "base/log.h"
#include "enroll/enroll.h"
#include "enroll/pem.h"
#include "enroll/ratelimit.h"
#include "extras/event_hook.h"
#include "handler.h"
#include "net/loop.h"
#include "svc_tls.h"

#define RL_SLOTS 1024
#define MAX_CSR_DER 8192

static struct {
	const struct enrolld_config *cfg;
	char *join_script;
	size_t join_len;
	struct ratelimit *rl;
} h;

static int
read_join_script(const char *path)
{
	struct stat sb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), res = -1;

	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > ENROLLD_MAX_JOIN_SCRIPT) {
		log_msg(LOG_WARNING,
		    "Can't load the join script %s (%s): GET /v1/join.sh answers 404", path,
		    fd < 0 ? strerror(errno) : "not a regular file of at most 256 KiB");
		goto out;
	}
	h.join_script = malloc((size_t)sb.st_size + 1);
	if (h.join_script == NULL)
		goto out;
	n = read(fd, h.join_script, (size_t)sb.st_size);
	if (n != sb.st_size) {
		log_msg(LOG_WARNING, "Short read of the join script %s", path);
		free(h.join_script);
		h.join_script = NULL;
		goto out;
	}
	h.join_len = (size_t)n;
	res = 0;
out:
	if (fd >= 0)
		close(fd);
	return (res);
}

int
handler_init(const struct enrolld_config *cfg)
{
	h.cfg = cfg;
	if (cfg->join_script != NULL && cfg->join_script[0] != '\0')
		(void)read_join_script(cfg->join_script);
	h.rl = ratelimit_new(RL_SLOTS, cfg->max_failures, cfg->failure_window_ms);
	if (h.rl == NULL) {
		log_msg(LOG_CRIT, "Out of memory");
		return (-1);
	}
	return (0);
}

void
handler_reload(void)
{
	free(h.join_script);
	h.join_script = NULL;
	h.join_len = 0;
	if (h.cfg->join_script != NULL && h.cfg->join_script[0] != '\0' &&
	    read_join_script(h.cfg->join_script) == 0)
		log_msg(LOG_INFO, "Join script %s loaded again (%zu bytes)", h.cfg->join_script,
		    h.join_len);
}

void
handler_fini(void)
{
	ratelimit_free(h.rl);
	free(h.join_script);
	memset(&h, 0, sizeof(h));
}

void
handler_response_free(struct handler_response *res)
{
	free(res->body);
	res->body = NULL;
}

/* One line of text: why, then "\n". */
static void
set_text(struct handler_response *res, int status, const char *why)
{
	size_t n = strlen(why);

	res->status = status;
	res->content_type = "text/plain; charset=utf-8";
	res->body = malloc(n + 2);
	res->body_len = 0;
	if (res->body == NULL)
		return;
	memcpy(res->body, why, n);
	res->body[n] = '\n';
	res->body[n + 1] = '\0';
	res->body_len = n + 1;
}

static void
set_copy(struct handler_response *res, const char *ctype, const char *data, size_t len)
{
	res->status = 200;
	res->content_type = ctype;
	res->body = malloc(len + 1);
	res->body_len = 0;
	if (res->body == NULL) {
		set_text(res, 500, "out of memory");
		return;
	}
	memcpy(res->body, data, len);
	res->body[len] = '\0';
	res->body_len = len;
}

static void
emit_event(const char *peer, const char *cluster, const char *result, int status,
    const char *reason, const char *token_id)
{
	char code[8];
	struct event_hook_var vars[] = {
		{ "QNETD_CLIENT_ADDRESS", peer },
		{ "QNETD_CLUSTER", cluster },
		{ "QNETD_RESULT", result },
		{ "QNETD_HTTP_STATUS", code },
		{ "QNETD_REASON", reason },
		{ "QNETD_TOKEN_ID", token_id },
	};

	snprintf(code, sizeof(code), "%d", status);
	event_hook_emit("enroll", vars, sizeof(vars) / sizeof(vars[0]));
}

void
handler_tls_failed(const char *peer, const char *peer_addr, const char *why, int timed_out)
{
	if (timed_out)
		enrolld_stats.timeouts++;
	else
		enrolld_stats.tls_failed++;
	ratelimit_fail(h.rl, peer_addr, loop_now_ms());
	log_msg(LOG_WARNING, "Enroll %s: TLS handshake failed: %s", peer, why);
}

void
handler_refuse(const char *peer, const char *peer_addr, int status, const char *why,
    struct handler_response *res)
{
	if (status == 408)
		enrolld_stats.timeouts++;
	else
		enrolld_stats.bad_http++;
	ratelimit_fail(h.rl, peer_addr, loop_now_ms());
	log_msg(LOG_WARNING, "Enroll %s: refused: %d %s: %s", peer, status,
	    http_status_text(status), why);
	set_text(res, status, why);
}

static int
status_of(enum enroll_result r)
{
	switch (r) {
	case ENROLL_OK:
		return (200);
	case ENROLL_BAD_TOKEN:
		return (401);
	case ENROLL_TOKEN_WITHDRAWN:
	case ENROLL_TOKEN_USED:
		return (403);
	case ENROLL_TOKEN_EXPIRED:
		return (410);
	case ENROLL_WRONG_CLUSTER:
	case ENROLL_BAD_REQUEST:
	case ENROLL_WEAK_KEY:
		return (400);
	case ENROLL_INTERNAL:
	default:
		return (500);
	}
}

/* s reduced to at most outlen - 1 printable ASCII bytes, others as '?'. */
static void
printable(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < n && i + 1 < outlen && s[i] != '\0'; i++)
		out[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

/* The CN of a PKCS#10 request's subject, for the log; "?" without one. */
static void
csr_cn(const uint8_t *der, size_t len, char *out, size_t outlen)
{
	PLArenaPool *arena = PORT_NewArena(2048);
	SECItem item = { siBuffer, (unsigned char *)(uintptr_t)der, (unsigned)len };
	CERTSignedData sd;
	CERTCertificateRequest req;
	char *cn = NULL;

	snprintf(out, outlen, "?");
	if (arena == NULL)
		return;
	memset(&sd, 0, sizeof(sd));
	memset(&req, 0, sizeof(req));
	if (SEC_QuickDERDecodeItem(arena, &sd, SEC_ASN1_GET(CERT_SignedDataTemplate), &item) ==
	        SECSuccess &&
	    SEC_QuickDERDecodeItem(arena, &req, SEC_ASN1_GET(CERT_CertificateRequestTemplate),
	        &sd.data) == SECSuccess)
		cn = CERT_GetCommonName(&req.subject);
	if (cn != NULL) {
		printable(cn, strlen(cn), out, outlen);
		PORT_Free(cn);
	}
	PORT_FreeArena(arena, PR_FALSE);
}

/* CN and serial of the certificate issued, for the log and the hook. */
static void
cert_info(const uint8_t *der, size_t len, char *cn_out, size_t cnlen, char *serial_out,
    size_t serlen)
{
	SECItem item = { siBuffer, (unsigned char *)(uintptr_t)der, (unsigned)len };
	CERTCertificate *c =
	    CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &item, NULL, PR_FALSE, PR_TRUE);
	char *cn, *serial;

	snprintf(cn_out, cnlen, "?");
	snprintf(serial_out, serlen, "?");
	if (c == NULL)
		return;
	cn = CERT_GetCommonName(&c->subject);
	if (cn != NULL) {
		printable(cn, strlen(cn), cn_out, cnlen);
		PORT_Free(cn);
	}
	serial = CERT_Hexify(&c->serialNumber, 0);
	if (serial != NULL) {
		printable(serial, strlen(serial), serial_out, serlen);
		PORT_Free(serial);
	}
	CERT_DestroyCertificate(c);
}

/*
 * The request in DER: the body itself (DER starts with a SEQUENCE,
 * 0x30), or the first PEM block of a request.  0, or -1 when neither.
 */
static int
request_der(const struct http_request *req, uint8_t *buf, size_t cap, const uint8_t **der,
    size_t *len)
{
	static const char *const labels[] = { "NEW CERTIFICATE REQUEST", "CERTIFICATE REQUEST",
		NULL };

	if (req->body_len > 0 && req->body[0] == 0x30) {
		*der = req->body;
		*len = req->body_len;
		return (req->body_len <= cap ? 0 : -1);
	}
	if (pem_decode(req->body, req->body_len, labels, buf, cap, len) != 0)
		return (-1);
	*der = buf;
	return (0);
}

static void
enroll_ok(const char *peer, const char *token_id, const uint8_t *cert, size_t cert_len,
    struct handler_response *res)
{
	char cn[128], serial[80];

	res->status = 200;
	res->content_type = "application/x-pem-file";
	res->body = pem_encode("CERTIFICATE", cert, cert_len);
	if (res->body == NULL) {
		set_text(res, 500, "out of memory");
		return;
	}
	res->body_len = strlen(res->body);
	cert_info(cert, cert_len, cn, sizeof(cn), serial, sizeof(serial));
	enrolld_stats.enrolled++;
	log_msg(LOG_NOTICE, "Enroll %s: 200 certificate for cluster %s, serial %s (token %s)", peer,
	    cn, serial, token_id);
	emit_event(peer, cn, "ok", 200, "certificate issued", token_id);
}

static void
enroll(const char *peer, const char *peer_addr, const struct http_request *req,
    struct handler_response *res)
{
	struct enroll_ctx ctx = { h.cfg->nss_db_dir, h.cfg->state_dir, ENROLLD_CA_NICKNAME,
		time(NULL) };
	char token_id[40], cn[128] = "?", reason[256] = "";
	const char *dot = strchr(req->bearer, '.');
	uint8_t buf[MAX_CSR_DER], *cert = NULL;
	const uint8_t *der;
	size_t der_len, cert_len = 0;
	enum enroll_result r;
	int status;

	/* Only the id: without a dot the whole value may be a secret. */
	if (dot != NULL)
		printable(req->bearer, (size_t)(dot - req->bearer), token_id, sizeof(token_id));
	else
		snprintf(token_id, sizeof(token_id), "(malformed)");
	if (req->bearer[0] == '\0') {
		snprintf(token_id, sizeof(token_id), "-");
		snprintf(reason, sizeof(reason), "missing Authorization: Bearer token");
		r = ENROLL_BAD_TOKEN;
	} else if (request_der(req, buf, sizeof(buf), &der, &der_len) != 0) {
		snprintf(reason, sizeof(reason), "body is not a PKCS#10 request (PEM or DER)");
		r = ENROLL_BAD_REQUEST;
	} else {
		csr_cn(der, der_len, cn, sizeof(cn));
		r = enroll_process(&ctx, req->bearer, der, der_len, &cert, &cert_len, reason,
		    sizeof(reason));
	}
	if (r == ENROLL_OK) {
		enroll_ok(peer, token_id, cert, cert_len, res);
		free(cert);
		return;
	}
	free(cert);
	if (reason[0] == '\0')
		snprintf(reason, sizeof(reason), "%s", enroll_result_str(r));
	status = status_of(r);
	if (r == ENROLL_INTERNAL) {
		enrolld_stats.internal++;
	} else {
		enrolld_stats.refused++;
		ratelimit_fail(h.rl, peer_addr, loop_now_ms());
	}
	log_msg(LOG_WARNING, "Enroll %s: %d %s: %s (token %s, request for cluster %s)", peer,
	    status, enroll_result_str(r), reason, token_id, cn);
	emit_event(peer, cn, enroll_result_str(r), status, reason, token_id);
	set_text(res, status, reason);
}

/* GET of a fixed document, or 405. */
static void
serve(const char *peer, const char *peer_addr, const struct http_request *req, const char *ctype,
    const char *data, size_t len, struct handler_response *res)
{
	if (req->method != HTTP_GET) {
		handler_refuse(peer, peer_addr, 405, "only GET is allowed here", res);
		return;
	}
	if (data == NULL) {
		handler_refuse(peer, peer_addr, 404, "not available on this arbiter", res);
		return;
	}
	enrolld_stats.files++;
	log_msg(LOG_INFO, "Enroll %s: 200 GET %s", peer, req->path);
	set_copy(res, ctype, data, len);
}

void
handler_request(const char *peer, const char *peer_addr, const struct http_request *req,
    struct handler_response *res)
{
	int is_enroll = strcmp(req->path, "/v1/enroll") == 0;
	const char *ca;
	size_t ca_len;

	memset(res, 0, sizeof(*res));
	if (ratelimit_blocked(h.rl, peer_addr, loop_now_ms())) {
		enrolld_stats.rate_limited++;
		log_msg(LOG_WARNING, "Enroll %s: 429 %s %s: too many failures from this address",
		    peer, req->method == HTTP_POST ? "POST" : "GET", req->path);
		if (is_enroll)
			emit_event(peer, NULL, "rate limited", 429,
			    "too many failures from this address", NULL);
		set_text(res, 429, "too many failed attempts from this address; try again later");
		return;
	}
	if (strcmp(req->path, "/v1/ca.crt") == 0) {
		ca = svc_tls_ca_pem(&ca_len);
		serve(peer, peer_addr, req, "application/x-pem-file", ca, ca_len, res);
	} else if (strcmp(req->path, "/v1/join.sh") == 0) {
		serve(peer, peer_addr, req, "text/x-shellscript", h.join_script, h.join_len, res);
	} else if (is_enroll && req->method != HTTP_POST) {
		handler_refuse(peer, peer_addr, 405, "only POST is allowed here", res);
	} else if (is_enroll) {
		enroll(peer, peer_addr, req, res);
	} else {
		handler_refuse(peer, peer_addr, 404, "no such resource", res);
	}
}
