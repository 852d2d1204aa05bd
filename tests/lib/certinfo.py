"""Facts of an X.509 certificate for the tests, from its DER, without any
module beyond the standard library: SHA-256 of the certificate and of the
DER issuer Name, the serial as the revoked file writes it (lower-case hex,
leading zero bytes stripped, "0" for zero), and the not-after time.
"""

import calendar
import hashlib
import subprocess
import time


def _tlv(der, off):
    """(tag, start of content, end of content) of the DER element at off."""
    tag = der[off]
    n = der[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(der[off:off + k], "big")
        off += k
    return tag, off, off + n


def _time(tag, raw):
    text = raw.decode()
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ
        year = int(text[:2])
        text = ("19" if year >= 50 else "20") + text
    return calendar.timegm(time.strptime(text, "%Y%m%d%H%M%SZ"))


class CertInfo:
    def __init__(self, der):
        self.der = der
        self.sha256 = hashlib.sha256(der).hexdigest()
        _, c0, _ = _tlv(der, 0)           # Certificate
        _, t0, _ = _tlv(der, c0)          # TBSCertificate
        tag, s, e = _tlv(der, t0)
        if tag == 0xa0:                   # [0] version
            tag, s, e = _tlv(der, e)
        serial = der[s:e].lstrip(b"\0")
        self.serial = serial.hex() if serial else "0"
        _, s, e = _tlv(der, e)            # signature algorithm
        _, s, e = _tlv(der, e)            # issuer Name
        start = self._start_of(der, e, s)
        self.issuer_sha256 = hashlib.sha256(der[start:e]).hexdigest()
        _, v0, _ = _tlv(der, e)           # Validity
        _, s1, e1 = _tlv(der, v0)         # notBefore
        tag, s2, e2 = _tlv(der, e1)       # notAfter
        self.not_after = _time(tag, der[s2:e2])

    @staticmethod
    def _start_of(der, end, content_start):
        """Start of the element whose content is [content_start, end)."""
        for hdr in range(2, 7):
            start = content_start - hdr
            if start >= 0 and _tlv(der, start)[1:] == (content_start, end):
                return start
        raise ValueError("bad DER")

    def revoked_line(self, cluster):
        return "%s %s %s\n" % (self.issuer_sha256, self.serial, cluster)


def of_pem(path):
    der = subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return CertInfo(der)


def of_file(path):
    """A certificate file in DER (what certutil -C writes) or PEM."""
    with open(path, "rb") as f:
        data = f.read()
    if data.lstrip().startswith(b"-----BEGIN"):
        return of_pem(path)
    return CertInfo(data)


if __name__ == "__main__":
    # certinfo.py CERT CLUSTER: the line of <state_dir>/revoked for CERT
    import sys
    sys.stdout.write(of_file(sys.argv[1]).revoked_line(sys.argv[2]))
