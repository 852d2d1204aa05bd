#!/usr/bin/env python3
"""Certificate expiry (issue 12 item 7): the not-after of the CA, of the
server certificate and of each connected cluster's certificate in the
metrics and the JSON status (values equal to the certificates' own), the
cluster's serial, SHA-256 and last_seen; corosync-qnetd-tool -k and
/healthz warn within 30 days of any of them expiring, with exit code 0 and
HTTP 200 all the same.  The certificates of a private PKI are made with a
short validity (CA 20 days, the others 10); the shared long-lived PKI
gives no warning.  Exit 0/1/77."""

import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import certinfo  # noqa: E402
import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import minischema  # noqa: E402
import pki as pkimod  # noqa: E402
import qnetd_client as q  # noqa: E402

SCHEMA = json.load(open(os.path.join(dm.TOP, "docs", "qnetd-status.schema.json")))
failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)
    return cond


def get_json(d):
    rc, out, err = xu.tool(d, "-j")
    check(rc == 0, "tool -j: rc %d %r" % (rc, err))
    doc = json.loads(out.decode())
    errs = minischema.validate(doc, SCHEMA)
    check(not errs, "schema errors: %s" % errs[:5])
    try:
        import jsonschema
        jsonschema.validate(doc, SCHEMA)
    except ImportError:
        pass
    except Exception as e:  # noqa: BLE001 - jsonschema's errors
        check(False, "jsonschema: %s" % str(e).splitlines()[0])
    return doc


def connect(d, p, cluster, node):
    c = xu.tls_client(d, cluster, p.client(cluster), name="%s-%d" % (cluster, node))
    c.do_init(node_id=node, seq=3)
    return c


def short_case(tmp):
    p = pkimod.PKI(os.path.join(tmp, "pki"), days=10, ca_days=20).ensure()
    ca = certinfo.of_pem(p.ca_cert)
    server = certinfo.of_pem(p.server_cert)
    client = certinfo.of_pem(p.client("exa").cert)
    check(ca.not_after != server.not_after, "CA and server expire at different times")
    mport = dm.free_port()
    with dm.Daemon(tls="on", cert_required="on", pki=p,
                   settings={"metrics_address": "127.0.0.1:%d" % mport}) as d:
        t0 = int(time.time())
        a = connect(d, p, "exa", 1)
        b = connect(d, p, "exb", 1)
        t1 = int(time.time()) + 1
        code, body = xu.curl("http://127.0.0.1:%d/metrics" % mport)
        m = xu.parse_metrics(body)
        check(m.get('qnetd_certificate_expiry_timestamp_seconds{certificate="ca"}') ==
              ca.not_after, "CA not-after metric")
        check(m.get('qnetd_certificate_expiry_timestamp_seconds{certificate="server"}') ==
              server.not_after, "server not-after metric")
        check(m.get('qnetd_cluster_certificate_expiry_timestamp_seconds{cluster="exa"}') ==
              client.not_after, "cluster not-after metric: %r" % body)

        doc = get_json(d)
        check(doc["certificates"] == {"ca": {"not_after": ca.not_after},
                                      "server": {"not_after": server.not_after}},
              "JSON certificates: %r" % doc.get("certificates"))
        cl = [c for c in doc["clusters"] if c["name"] == "exa"][0]
        cert = cl.get("certificate", {})
        check(cert.get("serial") == client.serial and cert.get("sha256") == client.sha256 and
              cert.get("not_after") == client.not_after, "JSON cluster certificate: %r" % cert)
        check(t0 <= cert.get("last_seen", 0) <= t1, "last_seen %r in [%d, %d]" %
              (cert.get("last_seen"), t0, t1))
        warns = doc["warnings"]
        check(len(warns) == 4, "4 warnings (CA, server, exa, exb): %r" % warns)
        # whole days left: 9 or, within the second the certificate was made, 10
        def has(pattern):
            return any(re.match(pattern, w) for w in warns)
        check(has(r"the CA certificate expires in (19|20) day\(s\), on 20") and
              has(r"the server certificate expires in (9|10) day\(s\), on 20") and
              has(r"the certificate of cluster exa \(serial %s\) expires in (9|10) day\(s\)"
                  % client.serial), "warning texts: %r" % warns)

        rc, out, err = xu.tool(d, "-k")
        lines = out.decode().splitlines()
        check(rc == 0 and lines[0].startswith("healthy: ") and
              ["warning: " + w for w in warns] == lines[1:],
              "-k: rc 0, healthy, then the warnings: %d %r %r" % (rc, out, err))
        code, body = xu.curl("http://127.0.0.1:%d/healthz" % mport)
        check(code == 200 and body.startswith("healthy: ") and
              body.count("warning: ") == 4, "/healthz 200 with warnings: %d %r" % (code, body))

        # the cluster's warning goes with its clients
        b.close()
        xu.wait_for(lambda: len(get_json(d)["warnings"]) == 3, 5.0, "exb gone")

        # bounded: 16 warnings, then one that counts the rest
        many = [connect(d, p, "exm%02d" % i, 1) for i in range(17)]
        warns = get_json(d)["warnings"]
        check(len(warns) == 17 and warns[-1].startswith("4 more certificate(s) expire within "
                                                        "30 days"), "capped: %r" % warns[-3:])
        rc, out, err = xu.tool(d, "-k")
        check(rc == 0 and out.decode().count("warning: ") == 17, "-k capped: %r" % out[-200:])
        for c in many:
            c.close()
        a.close()


def long_case():
    p = xu.need_pki()
    mport = dm.free_port()
    with dm.Daemon(tls="on", cert_required="on", pki=p,
                   settings={"metrics_address": "127.0.0.1:%d" % mport}) as d:
        c = connect(d, p, "exl", 1)
        doc = get_json(d)
        check(doc["warnings"] == [], "long-lived: no warning: %r" % doc["warnings"])
        check(doc["certificates"]["ca"]["not_after"] == certinfo.of_pem(p.ca_cert).not_after,
              "long-lived CA not-after")
        rc, out, err = xu.tool(d, "-k")
        check(rc == 0 and b"warning" not in out + err, "-k without warnings: %r" % out)
        code, body = xu.curl("http://127.0.0.1:%d/healthz" % mport)
        check(code == 200 and "warning" not in body, "/healthz without warnings")
        c.close()
    # without TLS: unknown not-after, no certificate per cluster
    with dm.Daemon(tls="off") as d:
        c = q.Client(d.host, d.port, name="plain")
        c.handshake("exp", 1)
        doc = get_json(d)
        check(doc["certificates"] == {"ca": {"not_after": None}, "server": {"not_after": None}},
              "TLS off: not-after null: %r" % doc["certificates"])
        check("certificate" not in doc["clusters"][0], "TLS off: no cluster certificate")
        c.close()


def main():
    xu.require()
    xu.need_pki()
    tmp = tempfile.mkdtemp(prefix="qnetd-expiry-")
    try:
        short_case(tmp)
        long_case()
    finally:
        shutil.rmtree(tmp, True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
