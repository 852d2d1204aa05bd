#!/usr/bin/env python3
"""The shipped alert rules (contrib/prometheus/qnetd.rules.yml): promtool
accepts them, their unit tests (qnetd.rules.test.yml) pass, every alert is
tested both firing and not firing, and every alert carries a severity, a
summary and a description, naming the cluster when its series have one."""

import os
import re
import shutil
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import daemon as dm  # noqa: E402

DIR = os.path.join(dm.TOP, "contrib", "prometheus")
RULES = os.path.join(DIR, "qnetd.rules.yml")
TESTS = os.path.join(DIR, "qnetd.rules.test.yml")

failures = []


def check(cond, text):
    if not cond:
        failures.append(text)
        print("FAIL: " + text)
    return cond


def promtool(*args):
    p = subprocess.run(["promtool", *args], capture_output=True, timeout=60, cwd=DIR)
    out = (p.stdout + p.stderr).decode(errors="replace")
    print(out.strip())
    return p.returncode, out


def coverage(rules, tests):
    fired, quiet = set(), set()
    for t in tests["tests"]:
        for a in t.get("alert_rule_test", []):
            (fired if a.get("exp_alerts") else quiet).add(a["alertname"])
    for r in rules:
        name = r["alert"]
        check(name in fired, "%s: no test shows it firing" % name)
        check(name in quiet, "%s: no test shows it not firing" % name)


def shape(rules):
    for r in rules:
        name = r["alert"]
        ann = r.get("annotations", {})
        check(r.get("labels", {}).get("severity") in ("warning", "critical"),
              "%s: severity warning or critical" % name)
        check(ann.get("summary") and ann.get("description"), "%s: summary, description" % name)
        if re.search(r"\bqnetd_cluster_\w+", r["expr"]):
            for k in ("summary", "description"):
                check("$labels.cluster" in ann.get(k, ""), "%s: %s names the cluster" % (name, k))


def main():
    if shutil.which("promtool") is None:
        dm.skip("promtool not installed (apt-get install prometheus)")
    rc, out = promtool("check", "rules", RULES)
    check(rc == 0 and "SUCCESS" in out, "promtool check rules")
    rc, out = promtool("test", "rules", TESTS)
    check(rc == 0 and "SUCCESS" in out, "promtool test rules")
    with open(RULES) as f:
        rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
    with open(TESTS) as f:
        tests = yaml.safe_load(f)
    check(len(rules) >= 10, "%d alerts" % len(rules))
    coverage(rules, tests)
    shape(rules)
    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("ok: %d alerts" % len(rules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
