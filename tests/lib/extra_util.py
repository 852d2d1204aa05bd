"""Helpers for the tests of the additions (tests/blackbox/test_extra_*.py):
our tool, metric scraping with curl, cluster state built with the protocol
client, and a renderer of the JSON status into corosync-qnetd-tool's text
(so the two outputs of one state can be compared byte for byte)."""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemon as dm  # noqa: E402
import qnetd_client as q  # noqa: E402

TOP = dm.TOP


def our_tool():
    build = os.environ.get("BUILD", "build")
    if not os.path.isabs(build):
        build = os.path.join(TOP, build)
    return os.environ.get("OUR_TOOL") or os.path.join(build, "corosync-qnetd-tool")


def tool(d_or_sock, *args, timeout=10.0):
    sock = d_or_sock if isinstance(d_or_sock, str) else d_or_sock.sock_path
    p = subprocess.run([our_tool(), *args, "-p", sock], capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def require():
    dm.require_bin()
    if not os.access(our_tool(), os.X_OK):
        dm.skip("tool %s not built" % our_tool())
    if os.path.realpath(dm.qnetd_bin()).startswith("/usr/"):
        dm.skip("the additions are ours; QNETD_BIN is Debian's daemon")


def curl(url, unix_socket=None, timeout=5):
    if shutil.which("curl") is None:
        dm.skip("curl not installed (apt-get install curl)")
    argv = ["curl", "-s", "-S", "--max-time", str(timeout), "-o", "-", "-w",
            "\n%{http_code}"]
    if unix_socket:
        argv += ["--unix-socket", unix_socket]
    p = subprocess.run(argv + [url], capture_output=True, timeout=timeout + 5)
    if p.returncode != 0:
        raise AssertionError("curl %s failed: %s" % (url, p.stderr.decode(errors="replace")))
    body, _, code = p.stdout.decode().rpartition("\n")
    return int(code), body


def parse_metrics(text):
    """{'name{labels}': float} for every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, val = line.rpartition(" ")
        out[key] = float(val)
    return out


def wait_for(pred, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


# ---------------------------------------------------------------- text rendering

def _nodes(nl):
    return ", ".join("%d" % n["node_id"] + (" (%d)" % n["data_center_id"]
                                              if n["data_center_id"] else "") for n in nl)


def render_list(doc, verbose):
    """The text of `corosync-qnetd-tool -l [-v]` for the clusters of doc."""
    out = []
    tb_text = {"lowest": "Node with lowest node ID", "highest": "Node with highest node ID"}
    for cl in doc["clusters"]:
        out.append('Cluster "%s":' % cl["name"])
        if cl["clients"]:
            out.append("    Algorithm:\t\t%s%s" % (cl["algorithm_text"],
                                                  " (KAP Tie-breaker)" if cl["kap_tie_breaker"] else ""))
            tb = cl["tie_breaker"]
            out.append("    Tie-breaker:\t%s" % (tb_text.get(tb["mode"]) or
                                                 "Node with node ID %d" % tb["node_id"]))
        for c in cl["clients"]:
            out.append("    Node ID %d:" % c["node_id"])
            out.append("        Client address:\t\t%s" % c["address"])
            if verbose:
                out.append("        HB interval:\t\t%dms" % c["heartbeat_interval_ms"])
            if c["config_version"] is not None:
                out.append("        Configuration version:\t%d" % c["config_version"])
            if c["configured_node_list"]:
                out.append("        Configured node list:\t" + _nodes(c["configured_node_list"]))
            if verbose:
                out.append("        Ring ID:\t\t%s" % c["ring_id"]["text"])
            if c["membership_node_list"]:
                out.append("        Membership node list:\t" + _nodes(c["membership_node_list"]))
            h = c["heuristics"]
            if verbose:
                out.append("        Heuristics:\t\t%s (membership: %s, regular: %s)" % (
                    h["last"], h["membership"], h["regular"]))
            elif h["last"] != "Undefined":
                out.append("        Heuristics:\t\t%s" % h["last"])
            if verbose:
                t = c["tls"]
                out.append("        TLS active:\t\t%s%s" % (
                    "Yes" if t["active"] else "No",
                    " (client certificate verified)" if t["client_certificate_verified"] else ""))
            if c["vote"] is not None:
                out.append("        Vote:\t\t\t%s%s" % (c["vote"], " (%s)" % c["last_ack_nack_vote"]
                                                       if c["last_ack_nack_vote"] else ""))
    return "".join(line + "\n" for line in out)


def render_status(doc, verbose):
    """The text of `corosync-qnetd-tool -s [-v]` from doc["daemon"]."""
    d = doc["daemon"]
    tls = {"off": "Unsupported", "on": "Supported", "required": "Required"}[d["tls"]]
    out = ["QNetd address:\t\t\t%s" % d["address"],
           "TLS:\t\t\t\t%s%s" % (tls, " (client certificate required)"
                                 if d["tls_client_certificate_required"] else ""),
           "Connected clients:\t\t%d" % d["connected_clients"],
           "Connected clusters:\t\t%d" % d["connected_clusters"]]
    if verbose:
        lim = d["limits"]
        if lim["max_clients"] is not None:
            out.append("Maximum allowed clients:\t%d" % lim["max_clients"])
        out.append("Maximum send/receive size:\t%d/%d bytes" % (
            lim["max_client_send_size"], lim["max_client_receive_size"]))
    return "".join(line + "\n" for line in out)


# ---------------------------------------------------------------- state

def ffsplit_pair(d, cluster, nodes=(1, 2), heuristics=None, ring=(1, 4)):
    """Clients of an ffsplit cluster, each with config + membership of all nodes.
    Returns the clients (kept open by the caller)."""
    clients = []
    for n in nodes:
        c = q.Client(d.host, d.port, name="%s-%d" % (cluster, n))
        c.handshake(cluster, n, ring=ring)
        c.send(q.node_list(3, q.LIST_INITIAL_CONFIG, nodes, config_version=1))
        c.recv()
        clients.append(c)
    for c in clients:
        c.send(q.node_list(4, q.LIST_MEMBERSHIP, nodes, ring=ring, heuristics=heuristics))
    return clients


def drain(c, seconds=0.3):
    """Read and answer whatever arrives (VOTE_INFO gets its reply)."""
    got = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return got
        try:
            m = c.recv(timeout=left)
        except q.Timeout:
            return got
        got.append(m)
        if m.type == q.MSG_VOTE_INFO:
            c.send(q.vote_info_reply(m.seq))


def votes_of(m):
    v = m.get(q.OPT_VOTE)
    return v[0] if v else None


def text_field(text, field):
    return re.findall(r"%s:\t+(.*)" % re.escape(field), text)


def tls_client(d, cluster, cert, name="tls", handshake=True):
    """PREINIT then STARTTLS with cert (a pki.ClientCert, or None for none)."""
    c = q.Client(d.host, d.port, name=name)
    mode = {"off": q.TLS_UNSUPPORTED, "on": q.TLS_SUPPORTED, "req": q.TLS_REQUIRED}[d.tls]
    c.do_preinit(cluster, tls=mode, cert_required=0 if d.cert_required == "off" else 1)
    if cert is None:
        c.starttls(2, None, None, None, handshake=handshake)
    else:
        c.starttls(2, cert.cert, cert.key, cert.ca, handshake=handshake)
    return c


def need_pki():
    import pki
    missing = pki.have_tools()
    if missing:
        dm.skip("%s not installed" % missing)
    return pki.get()
