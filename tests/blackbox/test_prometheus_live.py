#!/usr/bin/env python3
"""A real Prometheus (Debian's package) scrapes the daemon and evaluates the
shipped alert rules, with every `for:` shortened to a few seconds (the copy is
generated from contrib/prometheus/qnetd.rules.yml, so the expressions are the
shipped ones).  A four-node ffsplit cluster with two nodes on the arbiter goes
through connect, a split where no side has half of the nodes (nobody gets the
vote), heal, and leave.  Prometheus's HTTP API shows the series move and
QnetdClusterNoVote go pending, firing, and inactive again after the heal; after
the leave, the vanished cluster is still caught by QnetdClusterClientsLost's
look-back.  Everything listens on 127.0.0.1 and is stopped by pid."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import qnetd_client as q  # noqa: E402

RULES = os.path.join(dm.TOP, "contrib", "prometheus", "qnetd.rules.yml")
SHORT_FOR = "3s"
DEADLINE = time.monotonic() + 100  # the whole test, Prometheus start included
CLUSTER = "live"
CONFIG = (1, 2, 3, 4)  # nodes 3 and 4 never connect to the arbiter

failures = []
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)
    return cond


def short_rules(text):
    """The shipped rules with every `for:` set to SHORT_FOR."""
    out, n = re.subn(r"(?m)^(\s+for:\s*)\S+\s*$", r"\g<1>" + SHORT_FOR, text)
    if n == 0:
        raise AssertionError("no `for:` found in %s" % RULES)
    return out


class Prometheus:
    """One prometheus process on 127.0.0.1, its own storage, stopped by pid."""

    def __init__(self, binary, target):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="qnetd-prom-")
        self.port = None
        self.proc = None
        with open(RULES) as f:
            rules = short_rules(f.read())
        with open(os.path.join(self.dir, "rules.yml"), "w") as f:
            f.write(rules)
        with open(os.path.join(self.dir, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "rule_files: [rules.yml]\n"
                    "scrape_configs:\n  - job_name: qnetd\n"
                    "    static_configs:\n      - targets: ['%s']\n" % target)

    def start(self):
        for _ in range(5):
            self.port = dm.free_port()
            log = open(os.path.join(self.dir, "prometheus.log"), "ab")
            self.proc = subprocess.Popen(
                [self.binary, "--config.file=" + os.path.join(self.dir, "prometheus.yml"),
                 "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
                 "--web.listen-address=127.0.0.1:%d" % self.port,
                 "--storage.tsdb.retention.time=1h", "--log.level=warn"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=self.dir)
            log.close()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    if self._get("/-/ready", raw=True).startswith(b"Prometheus"):
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            if self.proc.poll() is None:
                raise AssertionError("prometheus not ready in 30 s:\n" + self.log())
            if "address already in use" not in self.log():
                raise AssertionError("prometheus exited %d:\n%s" % (self.proc.returncode,
                                                                    self.log()))
        raise AssertionError("prometheus: no free port after 5 attempts")

    def log(self):
        try:
            with open(os.path.join(self.dir, "prometheus.log"), "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.dir, True)

    def _get(self, path, params=None, raw=False):
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with _opener.open(url, timeout=5) as r:
            body = r.read()
        if raw:
            return body
        doc = json.loads(body)
        if doc.get("status") != "success":
            raise AssertionError("%s: %r" % (path, doc))
        return doc["data"]

    def query(self, expr):
        """{frozenset(labels without __name__): value} of an instant query."""
        out = {}
        for s in self._get("/api/v1/query", {"query": expr})["result"]:
            labels = {k: v for k, v in s["metric"].items() if k != "__name__"}
            out[frozenset(labels.items())] = float(s["value"][1])
        return out

    def value(self, expr):
        """The single value of expr, or None when it has no series."""
        r = self.query(expr)
        if len(r) > 1:
            raise AssertionError("%s: %d series" % (expr, len(r)))
        return next(iter(r.values())) if r else None

    def rule(self, name):
        for g in self._get("/api/v1/rules", {"type": "alert"})["groups"]:
            for r in g["rules"]:
                if r["name"] == name:
                    return r
        raise AssertionError("no rule %s loaded" % name)

    def alerts(self, name):
        return [a for a in self._get("/api/v1/alerts")["alerts"]
                if a["labels"].get("alertname") == name]


def wait(what, probe, timeout=15.0):
    """Poll probe() until it returns a true value; fail the test (not just a
    check) when the time or the whole test's budget runs out."""
    end = min(time.monotonic() + timeout, DEADLINE)
    last = None
    while time.monotonic() < end:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def series(p):
    v = lambda e: p.value(e)  # noqa: E731
    return {"clients": v('qnetd_cluster_clients{cluster="%s"}' % CLUSTER),
            "acked": v('qnetd_cluster_partitions_acked{cluster="%s"}' % CLUSTER),
            "ack": v('qnetd_cluster_votes{cluster="%s",vote="ack"}' % CLUSTER),
            "nack": v('qnetd_cluster_votes{cluster="%s",vote="nack"}' % CLUSTER)}


def rule_state(p, name, state):
    r = p.rule(name)
    return r if r["state"] == state else None


class Node:
    """A qdevice client of the cluster; a long heartbeat keeps dead peer
    detection away for the whole test."""

    def __init__(self, d, node_id):
        self.c = q.Client(d.host, d.port, name="%s-%d" % (CLUSTER, node_id))
        self.c.handshake(CLUSTER, node_id, heartbeat=120000, ring=(1, 4))
        self.seq = 3
        self.c.send(q.node_list(self.seq, q.LIST_INITIAL_CONFIG, CONFIG, config_version=1))
        self.c.recv()

    def membership(self, nodes, ring):
        self.seq += 1
        self.c.send(q.node_list(self.seq, q.LIST_MEMBERSHIP, nodes, ring=ring))


def settle(nodes):
    for n in nodes:
        xu.drain(n.c, 0.4)


def scenario(d, p):
    n1, n2 = Node(d, 1), Node(d, 2)
    nodes = (n1, n2)
    n1.membership(CONFIG, (1, 4))
    n2.membership(CONFIG, (1, 4))
    settle(nodes)
    s = wait("connected cluster scraped", lambda: (lambda s: s["acked"] == 1 and s["clients"] == 2
                                                   and s) (series(p)))
    print("connected: %r" % s)
    check(s["ack"] == 2 and s["nack"] == 0, "connected: both ACK: %r" % s)
    check(p.rule("QnetdClusterNoVote")["state"] == "inactive", "no alert while ACKed")

    # split: each node alone, 1 of 4 nodes each: no side qualifies, both NACK
    n1.membership((1,), (1, 8))
    n2.membership((2,), (2, 8))
    settle(nodes)
    t_split = time.monotonic()
    s = wait("split scraped", lambda: (lambda s: s["acked"] == 0 and s["nack"] == 2 and s)
             (series(p)))
    print("split: %r" % s)
    check(s["clients"] == 2 and s["ack"] == 0, "split: 2 clients, none ACK: %r" % s)
    r = wait("QnetdClusterNoVote pending", lambda: rule_state(p, "QnetdClusterNoVote", "pending"))
    check(any(a["labels"].get("cluster") == CLUSTER for a in r["alerts"]),
          "pending alert names the cluster: %r" % r["alerts"])
    wait("QnetdClusterNoVote firing",
         lambda: rule_state(p, "QnetdClusterNoVote", "firing"))
    print("no-vote alert firing %.1fs after the split" % (time.monotonic() - t_split))
    al = p.alerts("QnetdClusterNoVote")
    check(len(al) == 1 and al[0]["state"] == "firing" and
          al[0]["labels"].get("cluster") == CLUSTER and
          al[0]["labels"].get("severity") == "critical" and
          CLUSTER in al[0]["annotations"].get("summary", ""),
          "firing alert: cluster, severity, summary: %r" % al)
    check(p.value('ALERTS{alertname="QnetdClusterNoVote",alertstate="firing",cluster="%s"}'
                  % CLUSTER) == 1, "ALERTS series of the firing alert")
    check(p.rule("QnetdClusterVoteSplitBrain")["state"] == "inactive", "no split-brain alert")

    # heal: one ring again, the whole cluster ACKed
    n1.membership(CONFIG, (1, 12))
    n2.membership(CONFIG, (1, 12))
    settle(nodes)
    s = wait("healed scraped", lambda: (lambda s: s["acked"] == 1 and s["ack"] == 2 and s)
             (series(p)))
    print("healed: %r" % s)
    wait("QnetdClusterNoVote resolved", lambda: rule_state(p, "QnetdClusterNoVote", "inactive"))
    check(p.alerts("QnetdClusterNoVote") == [], "no active no-vote alert after the heal")
    check(p.rule("QnetdClusterClientsLost")["state"] == "inactive", "no clients lost yet")

    # leave: the per-cluster series vanish; the look-back still sees the cluster
    n2.c.close()
    wait("one client left", lambda: p.value('qnetd_cluster_clients{cluster="%s"}' % CLUSTER) == 1)
    n1.c.close()
    wait("cluster series gone", lambda: series(p)["clients"] is None and series(p)["acked"] is None)
    check(p.value("qnetd_clusters_connected") == 0, "no cluster connected")
    wait("QnetdClusterClientsLost firing for the vanished cluster",
         lambda: [a for a in p.alerts("QnetdClusterClientsLost")
                  if a["labels"].get("cluster") == CLUSTER and a["state"] == "firing"])
    al = p.alerts("QnetdClusterClientsLost")
    check(float(al[0]["value"]) == 2, "look-back value: 2 clients before: %r" % al)

    # the recorded history, as a dashboard would draw it
    now = time.time()
    hist = p._get("/api/v1/query_range", {
        "query": 'qnetd_cluster_partitions_acked{cluster="%s"}' % CLUSTER,
        "start": now - 120, "end": now, "step": "1s"})["result"]
    values = [int(float(v)) for _, v in hist[0]["values"]] if hist else []
    steps = [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]
    print("partitions_acked over time: %r" % steps)
    check(steps == [1, 0, 1], "history 1, 0, 1: %r" % steps)


def main():
    binary = shutil.which("prometheus")
    if binary is None:
        dm.skip("prometheus not installed (apt-get install prometheus)")
    xu.require()
    mport = dm.free_port()
    with dm.Daemon(settings={"metrics_address": "127.0.0.1:%d" % mport}) as d:
        p = Prometheus(binary, "127.0.0.1:%d" % mport)
        try:
            p.start()
            wait("target up", lambda: p.value('up{job="qnetd"}') == 1)
            check(p.rule("QnetdDown")["state"] == "inactive", "QnetdDown inactive")
            scenario(d, p)
        except AssertionError as e:
            check(False, str(e))
            print(p.log())
        finally:
            p.stop()
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
