#!/usr/bin/env python3
"""Identity conflicts: two connections of one cluster name presenting
client certificates with different fingerprints, and a node id refused as
duplicate again and again, are each logged once per conflict_log_interval
with both peers, counted in the metrics, and listed in the JSON status
(with both certificate fingerprints).  A client that repeats INIT (with
another node id) gets upstream's error 17 but is no conflict with itself:
nothing logged, counted or recorded."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import pki as pkimod  # noqa: E402
import qnetd_client as q  # noqa: E402

failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)


def second_cert(pki, cluster, tmp):
    """Another certificate with CN=cluster from the same CA (a second cluster
    that picked the same name)."""
    cert = os.path.join(tmp, "other.pem")
    key = os.path.join(tmp, "other.key")
    pki._leaf(cert, key, cluster, pki.ca_cert, pki.ca_key, "clientAuth")
    return pkimod.ClientCert(cert, key, pki.ca_cert)


def sha256_of(pem):
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return hashlib.sha256(der).hexdigest()


def conflicts(d):
    rc, out, err = xu.tool(d, "-j", "-s")
    return json.loads(out)["daemon"]["identity_conflicts"]


def main():
    xu.require()
    pki = xu.need_pki()
    tmp = tempfile.mkdtemp(prefix="qnetd-ident-")
    mport = dm.free_port()
    try:
        first = pki.client("shared")
        other = second_cert(pki, "shared", tmp)
        d = dm.Daemon(tls="on", cert_required="on", pki=pki,
                      settings={"metrics_address": "127.0.0.1:%d" % mport})
        with d:
            a = xu.tls_client(d, "shared", first, name="a")
            a.do_init(node_id=1, seq=3)
            check(conflicts(d) == [], "no conflict with one client")
            b = xu.tls_client(d, "shared", other, name="b")
            b.do_init(node_id=2, seq=3)
            c = xu.tls_client(d, "shared", other, name="c")
            c.do_init(node_id=3, seq=3)
            cf = conflicts(d)
            check(len(cf) == 1 and cf[0]["kind"] == "certificate" and cf[0]["count"] == 2,
                  "one certificate conflict record, seen twice: %r" % cf)
            if cf:
                check(cf[0]["first_certificate_sha256"] == sha256_of(first.cert) and
                      cf[0]["second_certificate_sha256"] == sha256_of(other.cert),
                      "both fingerprints: %r" % cf[0])
                check(cf[0]["first_peer"] == "127.0.0.1:%d" % a.sock.getsockname()[1],
                      "first peer named")
            log = d.log()
            check(log.count("Identity conflict: cluster shared has clients with different "
                            "certificates") == 1, "logged once per interval:\n" + log)
            rc, out, err = xu.tool(d, "-j", "-l")
            cls = json.loads(out)["clusters"][0]["clients"]
            fps = sorted(cl["tls"]["client_certificate_sha256"] for cl in cls)
            check(fps == sorted([sha256_of(first.cert)] + [sha256_of(other.cert)] * 2),
                  "per-client fingerprints: %r" % fps)
            check(all(cl["tls"]["protocol"] in ("TLS1.2", "TLS1.3") and cl["tls"]["cipher"]
                      for cl in cls), "TLS protocol and cipher shown: %r" %
                  [cl["tls"] for cl in cls])
            # duplicate node id, three times: one log line, count 3
            for i in range(3):
                dup = xu.tls_client(d, "shared", first, name="dup%d" % i)
                dup.do_init(node_id=1, seq=3, error=q.E_DUPLICATE_NODE_ID)
                dup.close()
            cf = [x for x in conflicts(d) if x["kind"] == "duplicate_node_id"]
            check(len(cf) == 1 and cf[0]["count"] == 3 and cf[0]["node_id"] == 1 and
                  cf[0]["cluster"] == "shared", "duplicate node id record: %r" % cf)
            check(d.log().count("Identity conflict: cluster shared node 1 is connected from") == 1,
                  "duplicate logged once")
            # a repeats INIT with another node id: 17 on the wire, no conflict reported
            a.do_init(node_id=5, seq=4, error=q.E_DUPLICATE_NODE_ID)
            a.do_init(node_id=1, seq=5, error=q.E_DUPLICATE_NODE_ID)
            cf = [x for x in conflicts(d) if x["kind"] == "duplicate_node_id"]
            check(len(cf) == 1 and cf[0]["count"] == 3,
                  "a repeated INIT is no conflict: %r" % cf)
            check("connected from ?" not in d.log(), "no conflict with an unknown peer")
            m = xu.parse_metrics(xu.curl("http://127.0.0.1:%d/metrics" % mport)[1])
            # each duplicate-id client showed `first` while b and c hold `other`: 2 + 3
            check(m.get("qnetd_identity_conflicts_certificate_total") == 5 and
                  m.get("qnetd_identity_conflicts_node_id_total") == 3,
                  "conflicts counted: %r" % {k: v for k, v in m.items() if "conflict" in k})
            for x in (a, b, c):
                x.close()
    finally:
        shutil.rmtree(tmp, True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
