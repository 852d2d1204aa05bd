#!/usr/bin/env python3
"""table.py DIR SIZES TLS_MODES [WORKERS [KEYS]]: one Markdown table from
qnetd-bench JSON results named {ours,debian}-N-tls{off,on}.json, with the
ratio ours/Debian; WORKERS ("1 2"): a column per -S workers value of our
daemon (ours_wW-N-tls*.json for W > 1); KEYS ("rsa ecdsa"): the TLS rows
once per server key, results of the ECDSA P-256 key named *-tlson-ecdsa.json."""
import json
import os
import sys


def load(d, name):
    try:
        with open(os.path.join(d, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def num(v):
    return v is not None and v >= 0


def fmt(v, unit=""):
    if not num(v):
        return "n/a"
    if v >= 100:
        s = "%.0f" % v
    elif v >= 10:
        s = "%.1f" % v
    else:
        s = "%.2f" % v
    return s + unit


def per10(cpu, wall):
    if not num(cpu) or not wall:
        return None
    return cpu * 10.0 / wall


def cpu_per(cpu, n):
    """milliseconds of CPU per item"""
    if not num(cpu) or not n:
        return None
    return cpu * 1000.0 / n


def per_cpu_s(n, cpu):
    """items per second of CPU"""
    if not num(cpu) or not cpu or not n:
        return None
    return n / cpu


def rows(r):
    """(label, value, text, lower_is_better) for one result."""
    c, st, sp, he, mem = r["connect"], r["steady"], r["split"], r["heal"], r["memory"]
    wrong = sp["zero_ack"] + sp["multi_ack"] + sp["wrong_side"] + sp["unsettled"]
    conn_txt = "%d/%d in %s s%s" % (c["connected"], r["clients"], fmt(c["connect_s"]),
                                    "" if c["complete"] else " (cap)")
    return [
        ("connected / connect time", c["connect_s"] if c["complete"] else None, conn_txt, True),
        ("handshakes/s first 10 %", c["hs_rate_start"], fmt(c["hs_rate_start"]), False),
        ("handshakes/s last 10 %", c["hs_rate_end"], fmt(c["hs_rate_end"]), False),
        ("handshake p99", c["hs_p99_ms"], fmt(c["hs_p99_ms"], " ms"), True),
        ("server CPU per handshake", cpu_per(c["server_cpu_s"], c["connected"]),
         fmt(cpu_per(c["server_cpu_s"], c["connected"]), " ms"), True),
        ("handshakes per daemon CPU second", per_cpu_s(c["connected"], c["server_cpu_s"]),
         fmt(per_cpu_s(c["connected"], c["server_cpu_s"])), False),
        ("bench CPU per handshake", cpu_per(c["bench_cpu_s"], c["connected"]),
         fmt(cpu_per(c["bench_cpu_s"], c["connected"]), " ms"), True),
        ("server CPU s per 10 s, steady", per10(st["server_cpu_s"], st["wall_s"]),
         fmt(per10(st["server_cpu_s"], st["wall_s"])), True),
        ("bench CPU s per 10 s, steady", per10(st["bench_cpu_s"], st["wall_s"]),
         fmt(per10(st["bench_cpu_s"], st["wall_s"])), True),
        ("echo RTT p50", st["echo_p50_ms"], fmt(st["echo_p50_ms"], " ms"), True),
        ("echo RTT p99", st["echo_p99_ms"], fmt(st["echo_p99_ms"], " ms"), True),
        ("split storm: all clusters settled", sp["all_ms"] if sp["settled"] else None,
         fmt(sp["all_ms"] if sp["settled"] else None, " ms"), True),
        ("split storm per cluster p50", sp["p50_ms"], fmt(sp["p50_ms"], " ms"), True),
        ("split storm per cluster p99", sp["p99_ms"], fmt(sp["p99_ms"], " ms"), True),
        ("split storm per cluster max", sp["max_ms"], fmt(sp["max_ms"], " ms"), True),
        ("split storm server CPU", sp["server_cpu_s"] if sp["complete"] else None,
         fmt(sp["server_cpu_s"], " s") + ("" if sp["complete"] else " (timeout)"), True),
        ("split: wrong clusters / lost a node", None,
         "%d/%d / %d" % (wrong, sp["clusters"], sp["lost_node"]), True),
        ("heal: all clusters settled", he["all_ms"] if he["settled"] else None,
         fmt(he["all_ms"] if he["settled"] else None, " ms"), True),
        ("first vote after membership p50", c["first_vote_p50_ms"],
         fmt(c["first_vote_p50_ms"], " ms"), True),
        ("memory per client", mem["per_client_kb"], fmt(mem["per_client_kb"], " KB"), True),
    ]


def main():
    d, sizes, modes = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
    extra = [w for w in (sys.argv[4].split() if len(sys.argv) > 4 else []) if w != "1"]
    keys = sys.argv[5].split() if len(sys.argv) > 5 else ["rsa"]
    # (TLS column, result name suffix): the TLS runs once per server key.
    variants = []
    for tls in modes:
        if tls != "on":
            variants.append((tls, "tls" + tls))
            continue
        for k in keys:
            variants.append(("on" if k == "rsa" else "on, ECDSA",
                             "tlson" + ("" if k == "rsa" else "-ecdsa")))
    print("| clients | TLS | metric | ours |%s Debian 3.0.3 | ours/Debian |"
          % "".join(" ours workers=%s |" % w for w in extra))
    print("|---:|:---:|---|---:|%s---:|---:|" % ("---:|" * len(extra)))
    for n in sizes:
        for tls, suffix in variants:
            o = load(d, "ours-%s-%s" % (n, suffix))
            b = load(d, "debian-%s-%s" % (n, suffix))
            ws = [load(d, "ours_w%s-%s-%s" % (w, n, suffix)) for w in extra]
            if o is None and b is None and not any(ws):
                continue
            ro = rows(o) if o else None
            rb = rows(b) if b else None
            rws = [rows(x) if x else None for x in ws]
            ref = ro or rb or next(r for r in rws if r)
            for i in range(len(ref)):
                label = ref[i][0]
                vo = ro[i] if ro else None
                vb = rb[i] if rb else None
                ratio = "n/a"
                if vo and vb and num(vo[1]) and num(vb[1]) and vb[1] > 0:
                    ratio = "%.2f" % (vo[1] / vb[1])
                cols = "".join(" %s |" % (r[i][2] if r else "n/a") for r in rws)
                print("| %s | %s | %s | %s |%s %s | %s |" % (
                    n, tls, label, vo[2] if vo else "n/a", cols, vb[2] if vb else "n/a",
                    ratio))


if __name__ == "__main__":
    main()
