"""Throw-away PKI for the black-box tests.

Builds, with openssl and NSS's certutil/pk12util:

* an NSS database for the daemon holding the CA "QNet CA" (trusted for
  client auth) and the server certificate "QNetd Cert" (CN=Qnetd Server)
  with its key, the layout corosync-qnetd-certutil produces;
* PEM client certificates and keys: one per cluster name (CN=<cluster>,
  signed by the CA), one signed by an unrelated CA, one with a wrong CN.

The result is cached in one directory per test run: $QNETD_TEST_PKI_DIR if
set (shared by several test scripts, never removed), else a private temp
dir removed at interpreter exit.
"""

import atexit
import fcntl
import os
import shutil
import subprocess
import tempfile

SERVER_CN = "Qnetd Server"
SERVER_NICK = "QNetd Cert"
CA_NICK = "QNet CA"


class PKIError(Exception):
    pass


def have_tools():
    """Return None if every tool is present, else the name of a missing one."""
    for tool in ("openssl", "certutil", "pk12util"):
        if shutil.which(tool) is None:
            return tool
    return None


def _run(argv, cwd=None, stdin=None):
    proc = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True)
    if proc.returncode != 0:
        raise PKIError("%s failed (%d): %s %s" % (
            " ".join(argv), proc.returncode,
            proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace")))
    return proc.stdout


class ClientCert:
    def __init__(self, cert, key, ca):
        self.cert = cert
        self.key = key
        self.ca = ca

    def __repr__(self):
        return "ClientCert(%s)" % self.cert


class PKI:
    """Everything lives under self.dir; generated lazily, once."""

    def __init__(self, directory, days=3650, ca_days=None):
        # days: validity of the certificates made, ca_days of the CAs (default: days);
        # short ones test the expiry warnings
        self.days = days
        self.ca_days = ca_days or days
        self.dir = directory
        self.nssdb = os.path.join(directory, "nssdb")
        self.ca_cert = os.path.join(directory, "ca.pem")
        self.ca_key = os.path.join(directory, "ca.key")
        self.bad_ca_cert = os.path.join(directory, "badca.pem")
        self.bad_ca_key = os.path.join(directory, "badca.key")
        self.server_cert = os.path.join(directory, "server.pem")
        self.server_key = os.path.join(directory, "server.key")

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _serial(self):
        with open(self._path("serial.lock"), "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            text = f.read().strip()
            n = int(text) + 1 if text else 2
            f.seek(0)
            f.truncate()
            f.write("%d\n" % n)
        return n

    def _key(self, path):
        _run(["openssl", "genpkey", "-algorithm", "RSA",
              "-pkeyopt", "rsa_keygen_bits:2048", "-out", path])

    def _ca(self, cert, key, cn):
        self._key(key)
        _run(["openssl", "req", "-new", "-x509", "-key", key, "-out", cert,
              "-days", str(self.ca_days), "-subj", "/CN=%s" % cn, "-sha256",
              "-set_serial", "1", "-addext",
              "basicConstraints=critical,CA:TRUE", "-addext",
              "keyUsage=critical,keyCertSign,cRLSign"])

    def _leaf(self, cert, key, cn, ca_cert, ca_key, usage):
        self._key(key)
        csr = cert + ".csr"
        ext = cert + ".ext"
        _run(["openssl", "req", "-new", "-key", key, "-out", csr,
              "-subj", "/CN=%s" % cn])
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=%s\n" % usage)
        _run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert,
              "-CAkey", ca_key, "-set_serial", str(self._serial()),
              "-days", str(self.days), "-sha256", "-extfile", ext, "-out", cert])
        os.unlink(csr)
        os.unlink(ext)

    def _expired_leaf(self, cert, key, cn, ca_cert, ca_key):
        """A client certificate from the trusted CA whose validity ended in
        2021 (`openssl x509 -req` cannot backdate, `openssl ca` can)."""
        self._key(key)
        work = cert + ".ca"
        os.mkdir(work)
        csr = os.path.join(work, "req.csr")
        ext = os.path.join(work, "ext")
        cfg = os.path.join(work, "ca.cnf")
        open(os.path.join(work, "index.txt"), "w").close()
        with open(os.path.join(work, "serial"), "w") as f:
            f.write("%04X\n" % self._serial())
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=clientAuth\n")
        with open(cfg, "w") as f:
            f.write("[ca]\ndefault_ca = d\n[d]\ndir = %s\n"
                    "database = $dir/index.txt\nnew_certs_dir = $dir\n"
                    "serial = $dir/serial\n"
                    "default_md = sha256\npolicy = p\n[p]\n"
                    "commonName = supplied\n" % work)
        _run(["openssl", "req", "-new", "-key", key, "-out", csr,
              "-subj", "/CN=%s" % cn])
        _run(["openssl", "ca", "-batch", "-config", cfg, "-in", csr,
              "-cert", ca_cert, "-keyfile", ca_key, "-out", cert,
              "-startdate", "20200101000000Z", "-enddate", "20210101000000Z",
              "-notext", "-extfile", ext])
        for name in os.listdir(work):
            os.unlink(os.path.join(work, name))
        os.rmdir(work)

    def _build_base(self):
        self._ca(self.ca_cert, self.ca_key, CA_NICK)
        self._ca(self.bad_ca_cert, self.bad_ca_key, "Untrusted CA")
        self._leaf(self.server_cert, self.server_key, SERVER_CN,
                   self.ca_cert, self.ca_key, "serverAuth")
        os.mkdir(self.nssdb)
        pwfile = self._path("pwfile")
        with open(pwfile, "w") as f:
            f.write("\n")
        _run(["certutil", "-N", "-d", self.nssdb, "-f", pwfile])
        _run(["certutil", "-A", "-d", self.nssdb, "-n", CA_NICK,
              "-t", "CT,C,C", "-i", self.ca_cert])
        p12 = self._path("server.p12")
        _run(["openssl", "pkcs12", "-export", "-in", self.server_cert,
              "-inkey", self.server_key, "-name", SERVER_NICK,
              "-passout", "pass:", "-out", p12])
        _run(["pk12util", "-i", p12, "-d", self.nssdb, "-W", "",
              "-k", pwfile])
        # pk12util imports the issuer too when present; make sure the
        # server certificate ended up under the nickname the daemon loads.
        _run(["certutil", "-L", "-d", self.nssdb, "-n", SERVER_NICK])

    def ensure(self):
        """Build the base PKI (CA, NSS db) once; safe across processes."""
        os.makedirs(self.dir, exist_ok=True)
        with open(self._path("build.lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.exists(self._path("base.done")):
                self._build_base()
                open(self._path("base.done"), "w").close()
        return self

    def client(self, cluster, kind="good"):
        """Client certificate for `cluster`.

        kind: "good"      CN=<cluster>, signed by the trusted CA
              "untrusted" CN=<cluster>, signed by an unrelated CA
              "wrongcn"   CN=wrong-<cluster>, signed by the trusted CA
              "expired"   CN=<cluster>, trusted CA, valid 2020-2021 only
        """
        self.ensure()
        if kind == "good":
            cn, ca, cakey = cluster, self.ca_cert, self.ca_key
        elif kind == "untrusted":
            cn, ca, cakey = cluster, self.bad_ca_cert, self.bad_ca_key
        elif kind == "wrongcn":
            cn, ca, cakey = "wrong-" + cluster, self.ca_cert, self.ca_key
        elif kind == "expired":
            cn, ca, cakey = cluster, self.ca_cert, self.ca_key
        else:
            raise ValueError(kind)
        safe = "".join(ch if ch.isalnum() else "_" for ch in cluster)
        cert = self._path("client-%s-%s.pem" % (kind, safe))
        key = self._path("client-%s-%s.key" % (kind, safe))
        with open(self._path("build.lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.exists(cert):
                tmp = cert + ".tmp"
                if kind == "expired":
                    self._expired_leaf(tmp, key, cn, ca, cakey)
                else:
                    self._leaf(tmp, key, cn, ca, cakey, "clientAuth")
                os.rename(tmp, cert)
        return ClientCert(cert, key, self.ca_cert)


_cached = None


def get():
    """The PKI of this test run (see module doc)."""
    global _cached
    if _cached is not None:
        return _cached
    shared = os.environ.get("QNETD_TEST_PKI_DIR")
    if shared:
        directory = shared
    else:
        directory = tempfile.mkdtemp(prefix="qnetd-bb-pki-")
        atexit.register(shutil.rmtree, directory, True)
    _cached = PKI(directory).ensure()
    return _cached
