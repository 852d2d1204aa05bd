#!/usr/bin/env python3
"""The opt-in Prometheus endpoint (-S metrics_address): scraped with curl
over TCP and over a unix socket, its values move as clients connect, a
cluster splits, clients leave, a peer dies (DPD), a client breaks the
protocol, TLS handshakes succeed or fail, and the IPC is used.  The
listener is bounded (unknown paths, other methods, oversized requests,
too many connections, idle connections time out) and never blocks the
daemon: while slow scrapers hold every slot, clients and the tool are
served at once."""

import os
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import qnetd_client as q  # noqa: E402

failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)
    return cond


class Scraper:
    def __init__(self, url, unix_socket=None):
        self.url = url
        self.unix = unix_socket

    def get(self):
        code, body = xu.curl(self.url, self.unix)
        check(code == 200, "GET %s: %d" % (self.url, code))
        return xu.parse_metrics(body)

    def wait(self, key, pred, what):
        last = [None]

        def probe():
            last[0] = self.get().get(key)
            return last[0] is not None and pred(last[0])
        try:
            xu.wait_for(probe, 5.0, what)
        except AssertionError:
            check(False, "%s: %s = %r" % (what, key, last[0]))


def lifecycle(d, s):
    m = s.get()
    check(m.get("qnetd_clients_connected") == 0, "no clients at start")
    check(m.get("qnetd_clusters_connected") == 0, "no clusters at start")
    check('qnetd_build_info{version="3.0.3"}' in m, "build info")
    c1, c2 = xu.ffsplit_pair(d, "mc", (1, 2), ring=(1, 4))
    for c in (c1, c2):
        xu.drain(c)
    s.wait("qnetd_clients_connected", lambda v: v == 2, "two clients")
    m = s.get()
    check(m.get("qnetd_clusters_connected") == 1, "one cluster")
    check(m.get('qnetd_cluster_clients{cluster="mc"}') == 2, "cluster mc has 2 clients")
    check(m.get('qnetd_cluster_votes{cluster="mc",vote="ack"}') == 2, "both ACK")
    check(m.get('qnetd_cluster_partitions_acked{cluster="mc"}') == 1, "one partition holds the vote")
    acks = m.get('qnetd_votes_total{algorithm="ffsplit",result="ack"}', 0)
    check(acks >= 2, "ffsplit ACKs counted: %r" % acks)
    check(m.get("qnetd_connections_accepted_total") == 2, "2 accepted")

    # split: each node sees only itself; the lowest node id keeps the vote
    c1.send(q.node_list(6, q.LIST_MEMBERSHIP, (1,), ring=(1, 8)))
    c2.send(q.node_list(6, q.LIST_MEMBERSHIP, (2,), ring=(2, 8)))
    for c in (c1, c2):
        xu.drain(c, 0.6)
    m = s.get()
    check(m.get('qnetd_cluster_votes{cluster="mc",vote="nack"}') == 1 and
          m.get('qnetd_cluster_votes{cluster="mc",vote="ack"}') == 1,
          "split: one ACK, one NACK: %r" % {k: v for k, v in m.items() if "cluster_votes" in k})
    check(m.get('qnetd_votes_total{algorithm="ffsplit",result="nack"}', 0) >= 1,
          "NACK counted")
    check(m.get('qnetd_cluster_partitions_acked{cluster="mc"}') == 1,
          "split: still one partition holds the vote")

    # leave
    c2.close()
    s.wait("qnetd_clients_connected", lambda v: v == 1, "client 2 gone")
    check(s.get().get('qnetd_cluster_clients{cluster="mc"}') == 1, "mc has 1 client")
    c1.close()
    s.wait("qnetd_clusters_connected", lambda v: v == 0, "cluster gone")
    check('qnetd_cluster_clients{cluster="mc"}' not in s.get(), "no series for a gone cluster")

    # protocol errors by code: ECHO before INIT -> 11
    p = q.Client(d.host, d.port, name="proto")
    p.do_preinit("pe")
    p.send(q.echo_request(9))
    p.expect(q.server_error(q.E_INIT_REQUIRED, 9))
    m = s.get()
    check(m.get('qnetd_protocol_errors_total{code="11",error="%s"}' % _err_text(m, 11)) == 1,
          "protocol error 11 counted: %r" % [k for k in m if "protocol_errors" in k])
    p.close()

    # dead peer detection: heartbeat 1000 ms, silent
    dpd = q.Client(d.host, d.port, name="dpd")
    dpd.handshake("dpdcl", 1, heartbeat=1000)
    s.wait("qnetd_dpd_disconnects_total", lambda v: v == 1, "DPD disconnect counted")
    dpd.close()

    # IPC
    before = s.get().get('qnetd_ipc_requests_total{command="status"}')
    xu.tool(d, "-s")
    check(s.get().get('qnetd_ipc_requests_total{command="status"}') == before + 1,
          "IPC status counted")
    m = s.get()
    check(m.get("qnetd_event_loop_lag_seconds_count", 0) >= 1, "event-loop lag observed")
    check(m.get('qnetd_event_loop_lag_seconds_bucket{le="+Inf"}') ==
          m.get("qnetd_event_loop_lag_seconds_count"), "histogram +Inf == count")


def _err_text(m, code):
    for k in m:
        if k.startswith('qnetd_protocol_errors_total{code="%d",' % code):
            return k.split('error="', 1)[1].rstrip('"}')
    return "?"


def bounds(d, port):
    code, body = xu.curl("http://127.0.0.1:%d/nope" % port)
    check(code == 404, "unknown path: 404 (%d)" % code)
    code, body = xu.curl("http://127.0.0.1:%d/healthz" % port)
    check(code == 200 and body.startswith("healthy"), "/healthz: %d %r" % (code, body))
    p = __import__("subprocess").run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                      "-X", "POST", "http://127.0.0.1:%d/metrics" % port],
                                     capture_output=True, timeout=10)
    check(p.stdout == b"405", "POST: 405 (%r)" % p.stdout)
    # oversized request head: answered 431 (or closed), never read past the limit
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 8000)
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    check(data == b"" or data.startswith(b"HTTP/1.0 431"), "oversized: %r" % data[:40])
    # every slot held by a silent scraper: further connections are closed at
    # once, and the daemon still serves clients and the tool without delay
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(16)]
    time.sleep(0.2)
    extra = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        r = extra.recv(10)
    except ConnectionResetError:
        r = b""
    check(r == b"", "17th connection closed at once")
    extra.close()
    t0 = time.monotonic()
    c = q.Client(d.host, d.port, name="while-held")
    c.handshake("held", 1)
    rc, out, err = xu.tool(d, "-s")
    check(rc == 0 and time.monotonic() - t0 < 2.0, "daemon serves while scrapers stall")
    c.close()
    # idle connections are closed after the time limit
    t0 = time.monotonic()
    held[0].settimeout(10)
    try:
        r = held[0].recv(10)
    except ConnectionResetError:
        r = b""
    waited = time.monotonic() - t0
    check(r == b"" and 3.0 < waited < 8.0, "idle scraper closed after ~5s (%.1fs)" % waited)
    for h in held:
        h.close()
    time.sleep(0.2)
    code, _ = xu.curl("http://127.0.0.1:%d/metrics" % port)
    check(code == 200, "slots free again")


def tls_counts():
    pki = xu.need_pki()
    port = dm.free_port()
    d = dm.Daemon(tls="on", cert_required="on", pki=pki,
                  settings={"metrics_address": "127.0.0.1:%d" % port})
    with d:
        s = Scraper("http://127.0.0.1:%d/metrics" % port)
        c = xu.tls_client(d, "tlsm", pki.client("tlsm"))
        c.do_init(seq=3)
        s.wait("qnetd_tls_handshakes_total", lambda v: v == 1, "handshake counted")
        c.close()
        try:
            bad = xu.tls_client(d, "tlsm", pki.client("tlsm", "untrusted"))
            bad.send(q.init(3, 1))
            bad.recv(timeout=3)
        except (q.Closed, q.Timeout):
            pass
        bad.close() if "bad" in dir() else None
        xu.wait_for(lambda: any(k.startswith("qnetd_tls_handshake_failures_total{reason=")
                                for k in s.get()), 5.0, "handshake failure with a reason")
        w = xu.tls_client(d, "tlsm", pki.client("tlsm", "wrongcn"))
        w.send(q.init(3, 1))
        w.expect_closed()
        s.wait("qnetd_client_certificate_rejections_total", lambda v: v == 1,
               "wrong CN counted")


def main():
    xu.require()
    port = dm.free_port()
    with dm.Daemon(settings={"metrics_address": "127.0.0.1:%d" % port}) as d:
        lifecycle(d, Scraper("http://127.0.0.1:%d/metrics" % port))
        bounds(d, port)
    tmp = tempfile.mkdtemp(prefix="qnetd-metrics-")
    path = os.path.join(tmp, "metrics.sock")
    try:
        with dm.Daemon(settings={"metrics_address": "unix:" + path}) as d:
            s = Scraper("http://localhost/metrics", path)
            c = q.Client(d.host, d.port)
            c.handshake("ux", 1)
            s.wait("qnetd_clients_connected", lambda v: v == 1, "unix socket scrape")
            c.close()
        check(not os.path.exists(path), "metrics socket removed at exit")
    finally:
        import shutil
        shutil.rmtree(tmp, True)
    # off by default: nothing listens besides the client port
    with dm.Daemon() as d:
        rc, out, err = xu.tool(d, "-s")
        check(rc == 0, "default daemon runs")
    tls_counts()
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
