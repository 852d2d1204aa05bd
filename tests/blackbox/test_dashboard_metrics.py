#!/usr/bin/env python3
"""Every query of the Grafana dashboard (contrib/grafana/qnetd-dashboard.json)
and of the alert rules (contrib/prometheus/qnetd.rules.yml) names only metrics
and labels the daemon really exports, so neither can rot silently when a
metric is renamed.  The reference is a live scrape of a daemon with TLS on,
brought into the states that make every labelled series appear (a cluster
over TLS, a split, a refused handshake, a protocol error).  The same scrape
passes `promtool check metrics`."""

import json
import os
import re
import shutil
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402
import extra_util as xu  # noqa: E402
import promql  # noqa: E402
import qnetd_client as q  # noqa: E402

DASHBOARD = os.path.join(dm.TOP, "contrib", "grafana", "qnetd-dashboard.json")
RULES = os.path.join(dm.TOP, "contrib", "prometheus", "qnetd.rules.yml")

# Labels Prometheus attaches to every series it scrapes (from the target), and
# series Prometheus makes itself: never in the daemon's exposition.
SCRAPE_LABELS = {"instance", "job"}
PROMETHEUS_SERIES = {"up": set()}
# Series the daemon exports only in a state this test cannot reach cheaply.
# Keep this tiny; an entry that the scrape does show is an error (remove it).
# Empty now: the certificate-expiry series (enroll-daemon) appear with TLS on.
ALLOWLIST = {}

failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)
    return cond


def exported(text):
    """{metric: set(label names)} of every sample line of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels = line.rsplit(" ", 1)[0]
        name, _, rest = name_labels.partition("{")
        labels = out.setdefault(name, set())
        for pair in rest.rstrip("}").split('",') if rest else ():
            if "=" in pair:
                labels.add(pair.split("=", 1)[0].strip(","))
    return out


def queries():
    """(where, expr, extra label names) of every query we ship."""
    out = []
    with open(DASHBOARD) as f:
        dash = json.load(f)
    for p in dash["panels"]:
        for t in p.get("targets", []):
            out.append(("panel %r %s" % (p["title"], t["refId"]), t["expr"],
                        promql.legend_labels(t.get("legendFormat"))))
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        query = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        expr, label = promql.grafana_variable(query)
        out.append(("variable $%s" % v["name"], expr, {label} if label else set()))
    with open(RULES) as f:
        for g in yaml.safe_load(f)["groups"]:
            for r in g["rules"]:
                labels = set()
                for text in r.get("annotations", {}).values():
                    labels |= {w.split(".")[-1] for w in
                               re.findall(r"\$labels\.[a-zA-Z_]\w*", text)}
                out.append(("alert %s" % r["alert"], r["expr"], labels))
    return out


def problems(where, expr, extra, have):
    """What expr uses that the exposition have (+ allowlists) lacks."""
    known = dict(PROMETHEUS_SERIES)
    known.update(ALLOWLIST)
    known.update(have)
    selectors, labels = promql.uses(expr)
    out = []
    if not selectors:
        out.append("%s: no metric in %r" % (where, expr))
    for metric, matchers in selectors:
        if metric not in known:
            out.append("%s: metric %s is not exported" % (where, metric))
            continue
        for label in matchers - SCRAPE_LABELS - known[metric]:
            out.append("%s: %s has no label %s" % (where, metric, label))
    # grouping, matching and legend labels: on some metric of the query
    on_some = set(SCRAPE_LABELS)
    for metric, _ in selectors:
        on_some |= known.get(metric, set())
    for label in (labels | extra) - on_some:
        out.append("%s: label %s is on none of its metrics" % (where, label))
    return out


def self_test(have):
    """The checker catches what it must (so this test can fail)."""
    bad = problems("t", 'sum by (node) (rate(qnetd_nope_total{cluster="x"}[5m]))', {"vote"}, have)
    check(any("qnetd_nope_total" in p for p in bad), "self-test: unknown metric caught")
    check(any("label node" in p for p in bad), "self-test: unknown by() label caught")
    check(any("label vote" in p for p in bad), "self-test: unknown legend label caught")
    bad = problems("t", 'qnetd_cluster_clients{node_id="1"}', set(), have)
    check(any("no label node_id" in p for p in bad), "self-test: unknown matcher caught")
    check(problems("t", 'histogram_quantile(0.9, sum by (le) (rate('
                   'qnetd_event_loop_lag_seconds_bucket{instance=~"$instance"}[$__rate_interval])))',
                   {"instance"}, have) == [], "self-test: a good query passes")


def scrape_tls_daemon():
    """The exposition of a daemon with TLS on, in every labelled state."""
    pki = xu.need_pki()
    port = dm.free_port()
    url = "http://127.0.0.1:%d/metrics" % port
    d = dm.Daemon(tls="on", cert_required="on", pki=pki,
                  settings={"metrics_address": "127.0.0.1:%d" % port})
    with d:
        cert = pki.client("dash")
        clients = []
        for n in (1, 2):
            c = xu.tls_client(d, "dash", cert, name="dash-%d" % n)
            c.do_init(node_id=n, seq=3, ring=(1, 4))
            c.send(q.node_list(4, q.LIST_INITIAL_CONFIG, (1, 2), config_version=1))
            c.recv()
            clients.append(c)
        for c in clients:
            c.send(q.node_list(5, q.LIST_MEMBERSHIP, (1, 2), ring=(1, 4)))
        for c in clients:
            xu.drain(c, 0.4)
        # a handshake refused: certificate from an unknown CA
        try:
            bad = xu.tls_client(d, "dash", pki.client("dash", "untrusted"), name="bad")
            bad.send(q.init(3, 9))
            bad.recv(timeout=3)
        except (q.Closed, q.Timeout, OSError):
            pass
        # a protocol error: ECHO before INIT
        p = q.Client(d.host, d.port, name="proto")
        p.do_preinit("dash-proto", tls=q.TLS_SUPPORTED)
        p.send(q.echo_request(9))
        p.expect(q.server_error(q.E_INIT_REQUIRED, 9))
        p.close()
        xu.tool(d, "-s")

        def ready():
            code, body = xu.curl(url)
            return code == 200 and "qnetd_tls_handshake_failures_total{" in body and \
                'qnetd_cluster_partitions_acked{cluster="dash"} 1' in body and body
        text = xu.wait_for(ready, 5.0, "every labelled series")
        for c in clients:
            c.close()
    return text


# What the dashboard must show (issue: clients and clusters, votes per cluster
# over time, handshake and error rates, event-loop latency, certificate expiry).
DASHBOARD_MUST_USE = {
    "qnetd_clients_connected", "qnetd_clusters_connected", "qnetd_cluster_clients",
    "qnetd_cluster_votes", "qnetd_cluster_partitions_acked", "qnetd_tls_handshakes_total",
    "qnetd_tls_handshake_failures_total", "qnetd_protocol_errors_total",
    "qnetd_event_loop_lag_seconds_bucket", "qnetd_certificate_expiry_timestamp_seconds",
    "qnetd_cluster_certificate_expiry_timestamp_seconds",
}


def dashboard_shape():
    """Unique panel ids, no overlapping panels, variables defined before use,
    and the metrics it must show."""
    with open(DASHBOARD) as f:
        dash = json.load(f)
    ids = [p["id"] for p in dash["panels"]]
    check(len(ids) == len(set(ids)), "panel ids unique")
    cells = {}
    for p in dash["panels"]:
        g = p["gridPos"]
        check(g["x"] + g["w"] <= 24, "panel %r inside 24 columns" % p["title"])
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                check((x, y) not in cells, "panels %r and %r overlap" % (cells.get((x, y)),
                                                                         p["title"]))
                cells[(x, y)] = p["title"]
    names = {v["name"] for v in dash["templating"]["list"]}
    used = set()
    text = json.dumps(dash["panels"]) + json.dumps(dash["templating"])
    for var in re.findall(r"\$\{?([a-z]\w*)", text):
        check(var in names, "variable $%s is defined" % var)
    for p in dash["panels"]:
        for t in p.get("targets", []):
            used |= {m for m, _ in promql.uses(t["expr"])[0]}
    for m in sorted(DASHBOARD_MUST_USE - used):
        check(False, "the dashboard shows %s" % m)


def main():
    xu.require()
    text = scrape_tls_daemon()
    have = exported(text)
    print("exported: %d metrics" % len(have))
    if shutil.which("promtool") is not None:
        p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                           capture_output=True, timeout=30)
        out = (p.stdout + p.stderr).decode(errors="replace").strip()
        check(p.returncode == 0 and out == "", "promtool check metrics: %s" % out)
    else:
        print("promtool not installed: lint skipped")
    self_test(have)
    dashboard_shape()
    for metric in ALLOWLIST:
        check(metric not in have, "%s is exported now: remove it from ALLOWLIST" % metric)
    used = set()
    n = 0
    for where, expr, extra in queries():
        n += 1
        for p in problems(where, expr, extra, have):
            check(False, p)
        used |= {m for m, _ in promql.uses(expr)[0]}
    check(n >= 30, "%d queries found" % n)
    print("%d queries use %d metrics: %s" % (n, len(used), " ".join(sorted(used))))
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
