#!/usr/bin/env python3
"""ECDSA server keys made by the certificate tool.

corosync-qnetd-certutil -i makes an RSA-2048 server key by default; -R
re-keys "QNetd Cert" to ECDSA P-256 under the same CA (same subject, next
serial).  A client whose certificate was signed before the re-key then
connects to the daemon (after SIGHUP and after a restart), sees the
P-256 server certificate and gets its vote, while a client connected
before keeps its session and vote.  -i -k ecdsa -K ecdsa makes a P-256 CA
and server key that the daemon serves.  Bad key types are refused, and a
-R that fails (no CA key) puts the database back as it was."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import shutil
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import qnetd_client as q  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(HERE, "..", "..", BUILD)
CERTUTIL = os.path.join(BUILD, "corosync-qnetd-certutil")
NICK = "QNetd Cert"
failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)


def run(*argv, env=None, ok=True):
    p = subprocess.run(argv, capture_output=True, env=env, timeout=120)
    if ok and p.returncode != 0:
        raise AssertionError("%s: %s %s" % (" ".join(argv), p.stdout, p.stderr))
    return p


class Arbiter:
    """A configuration directory handled by the certificate tool."""

    def __init__(self, top, name):
        self.conf = os.path.join(top, name)
        os.makedirs(self.conf)
        self.db = os.path.join(self.conf, "nssdb")
        self.env = dict(os.environ, QNETD_CONFIG_DIR=self.conf,
                        QNETD_CA_HELPER=os.path.join(BUILD, "corosync-qnetd-ca"))

    def tool(self, *args, ok=True):
        return run("sh", CERTUTIL, *args, env=self.env, ok=ok)

    def key_types(self):
        """{nickname: key type} of the private keys in the database."""
        out = run("certutil", "-K", "-d", self.db, "-f",
                  os.path.join(self.db, "pwdfile.txt")).stdout.decode()
        keys = {}
        for line in out.splitlines():
            m = re.match(r"<\s*\d+>\s+(\S+)\s+\S+\s+[^:]*:(.*)$", line)
            if m:
                keys[m.group(2)] = m.group(1)
        return keys

    def cert_der(self, nick):
        return run("certutil", "-L", "-d", self.db, "-n", nick, "-r").stdout

    def client(self, top, cluster):
        """A key and a certificate the tool signed (-s), as PEM files."""
        key = os.path.join(top, cluster + ".key")
        csr = os.path.join(top, cluster + ".csr")
        pem = os.path.join(top, cluster + ".pem")
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
            "-out", key)
        run("openssl", "req", "-new", "-key", key, "-outform", "DER", "-out", csr, "-subj", "/CN=" + cluster)
        self.tool("-s", "-c", csr, "-n", cluster)
        run("openssl", "x509", "-inform", "DER", "-in",
            os.path.join(self.db, "cluster-%s.crt" % cluster), "-out", pem)
        ca = os.path.join(top, cluster + "-ca.pem")
        with open(ca, "wb") as f:
            f.write(run("certutil", "-L", "-d", self.db, "-n", "QNet CA", "-a").stdout)
        return types.SimpleNamespace(cert=pem, key=key, ca=ca)


def key_alg(der):
    p = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text"], input=der,
                       capture_output=True, timeout=30)
    return "ecdsa" if b"id-ecPublicKey" in p.stdout else "rsa"


def connect(d, cert, cluster, node):
    c = xu.tls_client(d, cluster, cert, name="%s-%d" % (cluster, node))
    der = c.sock.getpeercert(binary_form=True)
    c.do_init(node_id=node, seq=3)
    c.send(q.node_list(4, q.LIST_INITIAL_CONFIG, (node,)))
    c.recv()
    c.send(q.node_list(5, q.LIST_MEMBERSHIP, (node,), ring=(node, 4)))
    xu.drain(c, 0.5)
    return c, der


def acked(d, cluster):
    rc, out, err = xu.tool(d, "-l", "-c", cluster)
    votes = xu.text_field(out.decode(), "Vote")
    return len(votes) == 1 and votes[0].endswith("(ACK)")


def daemon(db):
    return dm.Daemon(tls="on", cert_required="on", pki=types.SimpleNamespace(nssdb=db),
                     debug=False, settings={"nss_db_dir": db})


def rekey_case(top):
    arb = Arbiter(top, "rekey")
    arb.tool("-i")
    check(arb.key_types() == {"QNet CA": "rsa", NICK: "rsa"},
          "-i makes RSA keys by default: %r" % arb.key_types())
    cert = arb.client(top, "ec")
    cert2 = arb.client(top, "ec2")
    ca_before = arb.cert_der("QNet CA")
    server_before = arb.cert_der(NICK)
    with daemon(arb.db) as d:
        a, der_a = connect(d, cert, "ec", 1)
        check(key_alg(der_a) == "rsa", "served RSA before the re-key")
        check(acked(d, "ec"), "A holds the vote")
        out = arb.tool("-R").stdout.decode()
        check("re-keyed: ecdsa key" in out, "-R says what it did: " + out)
        check(arb.key_types() == {"QNet CA": "rsa", NICK: "ec"},
              "-R: EC server key, CA key unchanged: %r" % arb.key_types())
        check(arb.cert_der("QNet CA") == ca_before, "same CA certificate after -R")
        subj = run("certutil", "-L", "-d", arb.db, "-n", NICK).stdout.decode()
        check('Subject: "CN=Qnetd Server"' in subj and 'Issuer: "CN=QNet CA"' in subj,
              "same subject and issuer")
        d.proc.send_signal(signal.SIGHUP)
        xu.wait_for(lambda: "Server certificate for new TLS connections" in d.log(), 5.0,
                    "reload logged")
        check("ECDSA 256-bit key" in d.log(), "reload logs the key type:\n" + d.log())
        b, der_b = connect(d, cert2, "ec2", 2)
        check(key_alg(der_b) == "ecdsa", "after SIGHUP a new client gets the P-256 key")
        check(der_b != server_before, "a new certificate")
        check(acked(d, "ec2"), "the cluster of the re-keyed server gets its vote")
        a.do_echo(6)
        check(acked(d, "ec"), "A keeps its vote over the reload")
        a.close()
        b.close()
    with daemon(arb.db) as d:
        c, der_c = connect(d, cert, "ec", 1)
        check(key_alg(der_c) == "ecdsa" and der_c == der_b, "after a restart: P-256")
        check(acked(d, "ec"), "vote after the restart")
        c.close()
    out = arb.tool("-R", "-k", "rsa").stdout.decode()
    check(arb.key_types()[NICK] == "rsa", "-R -k rsa goes back to RSA: " + out)


def rollback_case(top):
    """-R on a database without the CA's private key fails and leaves it as it was."""
    arb = Arbiter(top, "nokey")
    arb.tool("-i")
    pwd = os.path.join(arb.db, "pwdfile.txt")
    out = run("certutil", "-K", "-d", arb.db, "-f", pwd).stdout.decode()
    ids = [line.split()[3] for line in out.splitlines() if line.endswith(":QNet CA")]
    check(len(ids) == 1, "CA key id: %r" % out)
    run("certutil", "-F", "-k", ids[0], "-d", arb.db, "-f", pwd)
    before = arb.cert_der(NICK)
    p = arb.tool("-R", ok=False)
    check(p.returncode == 1 and b"the old one is kept" in p.stderr,
          "-R without the CA key fails: %r %r" % (p.returncode, p.stderr))
    check(arb.cert_der(NICK) == before and arb.key_types() == {NICK: "rsa"},
          "the old certificate and key are back: %r" % arb.key_types())


def ecdsa_init_case(top):
    arb = Arbiter(top, "init")
    arb.tool("-i", "-k", "ecdsa", "-K", "ecdsa")
    check(arb.key_types() == {"QNet CA": "ec", NICK: "ec"},
          "-i -k ecdsa -K ecdsa: %r" % arb.key_types())
    cert = arb.client(top, "pc")
    with daemon(arb.db) as d:
        c, der = connect(d, cert, "pc", 1)
        check(key_alg(der) == "ecdsa", "P-256 served")
        check(acked(d, "pc"), "vote under a P-256 CA")
        c.close()
    for args in (("-i", "-k", "dsa"), ("-R", "-k", "ec"), ("-i", "-K", "rsa4096")):
        p = arb.tool(*args, ok=False)
        check(p.returncode == 2 and b"Key type must be rsa or ecdsa" in p.stderr,
              "%r refused: %r" % (args, p.stderr))
    check(arb.key_types() == {"QNet CA": "ec", NICK: "ec"}, "refusals change nothing")


def main():
    xu.require()
    for tool in ("certutil", "openssl"):
        if shutil.which(tool) is None:
            dm.skip("%s not installed" % tool)
    tmp = tempfile.mkdtemp(prefix="qnetd-ecdsa-")
    try:
        rekey_case(tmp)
        ecdsa_init_case(tmp)
        rollback_case(tmp)
    finally:
        shutil.rmtree(tmp, True)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
