/*
 * expiry.c - warnings for certificates that expire soon (see expiry.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/cluster.h"
#include "extras/events.h"
#include "extras/expiry.h"
#include "net/tls_cert.h"

#define DAY 86400

struct ctx {
	time_t now;
	expiry_warn_fn *fn;
	void *arg;
	size_t given, left_out;
};

/* what: "the CA certificate", ...  Gives a warning when not_after is near or past. */
static void
check(struct ctx *x, const char *what, time_t not_after)
{
	char date[32], text[512];
	struct tm tm;

	if (not_after == 0 || not_after - x->now > (time_t)EXPIRY_WARN_DAYS * DAY)
		return;
	if (x->given == EXPIRY_WARNINGS_MAX) {
		x->left_out++;
		return;
	}
	gmtime_r(&not_after, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (not_after <= x->now)
		snprintf(text, sizeof(text), "%s expired on %s", what, date);
	else
		snprintf(text, sizeof(text), "%s expires in %lld day(s), on %s", what,
		    (long long)((not_after - x->now) / DAY), date);
	x->fn(x->arg, text);
	x->given++;
}

static void
check_cluster(struct ctx *x, const struct qnetd_cluster *cl)
{
	struct events_cert cert;
	char what[400], name[256];
	size_t i, n = cl->name_len < sizeof(name) - 1 ? cl->name_len : sizeof(name) - 1;

	if (events_cluster_certificate(cl, &cert) != 0)
		return;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)cl->name[i];

		name[i] = (ch > 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	name[n] = '\0';
	snprintf(what, sizeof(what), "the certificate of cluster %s (serial %.64s)", name,
	    cert.serial);
	check(x, what, cert.not_after);
}

size_t
expiry_warnings(const struct qnetd_instance *instance, time_t now, expiry_warn_fn *fn, void *arg)
{
	struct ctx x = { now, fn, arg, 0, 0 };
	const struct qnetd_cluster *cl;
	char text[128];

	check(&x, "the CA certificate", tls_cert_ca_not_after());
	check(&x, "the server certificate", tls_cert_server_not_after());
	TAILQ_FOREACH(cl, &instance->clusters.clusters, entries)
		check_cluster(&x, cl);
	if (x.left_out > 0) {
		snprintf(text, sizeof(text),
		    "%zu more certificate(s) expire within %d days (see corosync-qnetd-tool -j)",
		    x.left_out, EXPIRY_WARN_DAYS);
		fn(arg, text);
		x.given++;
	}
	return (x.given);
}

static void
text_cb(void *arg, const char *text)
{
	struct wbuf *out = arg;

	wbuf_put(out, "warning: ", 9);
	wbuf_put(out, text, strlen(text));
	wbuf_put_u8(out, '\n');
}

void
expiry_warnings_text(const struct qnetd_instance *instance, time_t now, struct wbuf *out)
{
	(void)expiry_warnings(instance, now, text_cb, out);
}
