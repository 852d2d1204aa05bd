#!/usr/bin/env python3
"""SIGHUP reload: the server certificate is renewed in the NSS database
(certutil/pk12util on a private copy), the daemon gets SIGHUP, and a new
client is served the new certificate while a client connected before keeps
its TLS session, its connection and its vote.  The log level comes from
-S log_level_file and follows the file on SIGHUP.  A reload that fails
(certificate gone from the db, bad level word) keeps the old values and
the daemon keeps serving."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import qnetd_client as q  # noqa: E402

failures = []
NICK = "QNetd Cert"


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)


def run(*argv):
    p = subprocess.run(argv, capture_output=True)
    if p.returncode != 0:
        raise AssertionError("%s: %s %s" % (" ".join(argv), p.stdout, p.stderr))
    return p.stdout


def renew(pki, db, tmp, tag):
    """A new key and certificate for CN=Qnetd Server, in place of the old one."""
    key, csr, crt, p12 = (os.path.join(tmp, tag + ext) for ext in (".key", ".csr", ".pem",
                                                                   ".p12"))
    ext = os.path.join(tmp, tag + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
        "-out", key)
    run("openssl", "req", "-new", "-key", key, "-out", csr, "-subj", "/CN=Qnetd Server")
    run("openssl", "x509", "-req", "-in", csr, "-CA", pki.ca_cert, "-CAkey", pki.ca_key,
        "-set_serial", str(int(time.time() * 1000) % 10**9), "-days", "30", "-sha256",
        "-extfile", ext, "-out", crt)
    run("openssl", "pkcs12", "-export", "-in", crt, "-inkey", key, "-name", NICK,
        "-passout", "pass:", "-out", p12)
    run("certutil", "-D", "-d", db, "-n", NICK)
    run("pk12util", "-i", p12, "-d", db, "-W", "", "-K", "")
    der = run("openssl", "x509", "-in", crt, "-outform", "DER")
    return der


def connect(d, pki, cluster, node):
    c = xu.tls_client(d, cluster, pki.client(cluster), name="%s-%d" % (cluster, node))
    der = c.sock.getpeercert(binary_form=True)
    c.do_init(node_id=node, seq=3)
    return c, der


def vote_of(d, cluster):
    rc, out, err = xu.tool(d, "-l", "-c", cluster)
    return xu.text_field(out.decode(), "Vote")


def hup(d, log_mark):
    d.proc.send_signal(signal.SIGHUP)
    xu.wait_for(lambda: d.log().count("SIGHUP received: reloading") >= log_mark, 5.0,
                "reload logged")
    time.sleep(0.2)


def main():
    xu.require()
    pki = xu.need_pki()
    tmp = tempfile.mkdtemp(prefix="qnetd-reload-")
    try:
        db = os.path.join(tmp, "nssdb")
        shutil.copytree(pki.nssdb, db)
        level = os.path.join(tmp, "log_level")
        with open(level, "w") as f:
            f.write("info\n")
        d = dm.Daemon(tls="on", cert_required="on", pki=pki, debug=False,
                      settings={"nss_db_dir": db, "log_level_file": level})
        with d:
            old_der = run("openssl", "x509", "-in", pki.server_cert, "-outform", "DER")
            a, der_a = connect(d, pki, "rl", 1)
            check(der_a == old_der, "first client gets the original certificate")
            a.send(q.node_list(4, q.LIST_INITIAL_CONFIG, (1,)))
            a.recv()
            a.send(q.node_list(5, q.LIST_MEMBERSHIP, (1,), ring=(1, 4)))
            xu.drain(a, 0.5)
            votes_before = vote_of(d, "rl")
            check(len(votes_before) == 1 and votes_before[0].endswith("(ACK)"),
                  "A holds the vote: %r" % votes_before)
            check("debug" not in d.log(), "level info: no debug lines before the reload")

            new_der = renew(pki, db, tmp, "renewed")
            check(new_der != old_der, "renewed certificate differs")
            with open(level, "w") as f:
                f.write("debug\n")
            hup(d, 1)
            log = d.log()
            check("Server certificate for new TLS connections" in log, "reload logged:\n" + log)
            b, der_b = connect(d, pki, "rl2", 2)
            check(der_b == new_der, "new client gets the renewed certificate")
            check("debug" in d.log(), "level debug after the reload")
            # A: same connection, same TLS session, vote kept
            a.do_echo(6)
            check(a.sock.getpeercert(binary_form=True) == old_der, "A keeps its session")
            check(vote_of(d, "rl") == votes_before,
                  "A keeps its vote after the reload: %r" % vote_of(d, "rl"))
            b.close()

            # failed reload: certificate gone, bad level word -> old values stay
            run("certutil", "-D", "-d", db, "-n", NICK)
            with open(level, "w") as f:
                f.write("loud\n")
            hup(d, 2)
            log = d.log()
            check("keeping the old" in log and "unknown level 'loud'" in log,
                  "failed reload logged")
            c, der_c = connect(d, pki, "rl3", 3)
            check(der_c == new_der, "failed reload keeps serving the renewed certificate")
            c.do_echo(4)
            c.close()
            a.do_echo(7)
            rc, out, err = xu.tool(d, "-k")
            check(rc == 0, "healthy after a failed reload")
            a.close()
    finally:
        shutil.rmtree(tmp, True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
