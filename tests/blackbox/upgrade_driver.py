#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The inside of test_upgrade.sh: runs as root in a container booted with
systemd in which Debian's corosync-qnetd is installed and its service
runs.  Clusters are enrolled the pvecm way, their nodes (upgrade_fleet)
stay connected throughout, and the packages are switched under them:

  1. Debian's corosync-qnetd -> ours (dpkg -i qnetd OLD)
  2. Debian's purge script, run after the switch, deletes the database
     (docs/admin.md warns about it): checked, then the database put back
  3. ours OLD -> ours NEW (dpkg -i): the unit restarts the daemon; the
     vote of the split cluster must stay where it was
  4. ours -> Debian's (apt-get install corosync-qnetd.deb)
  5. purging ours with Debian's installed keeps the database and user

After each step: the time from the start of dpkg/apt to the port
accepting again, the longest refusal of the port, every node back with
its certificate (TLS + INIT accepted), the votes where they should be.

Clusters: upa (ffsplit, KAP on, split: each node alone, one holds the
vote), upb (lms, both nodes together), both enrolled with Debian's
certutil; upc (ffsplit, together) enrolled with ours after step 1.

Usage: upgrade_driver.py DEBIAN_DEB OLD_DEB NEW_DEB FIGURES_FILE
Exit 0 pass, 1 fail.
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import upgrade_fleet as fl  # noqa: E402
import qnetd_client as q  # noqa: E402

QDB = "/etc/corosync/qnetd/nssdb"
NDB = "/etc/corosync/qdevice/net/nssdb"
WORK = "/srv/qt/work"
STATE = "/var/lib/corosync-qnetd"
CONVERGE_S = 30
ACK, NACK = q.VOTE_ACK, q.VOTE_NACK


class Fail(Exception):
    pass


def sh(*cmd, ok=(0,)):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if p.returncode not in ok:
        raise Fail("%s: exit %d\n%s" % (" ".join(cmd), p.returncode,
                                        p.stdout[-3000:]))
    return p.stdout


def check(cond, text):
    if not cond:
        raise Fail(text)
    print("ok: %s" % text, flush=True)


def enrol(cluster):
    """pvecm qdevice setup, both sides on this host: the node makes a
    request, the arbiter's corosync-qnetd-certutil signs it, the node
    imports the result; returns (client PEM, CA PEM)."""
    ca_crt = os.path.join(QDB, "qnetd-cacert.crt")
    shutil.rmtree(NDB, ignore_errors=True)
    sh("corosync-qdevice-net-certutil", "-i", "-c", ca_crt)
    sh("corosync-qdevice-net-certutil", "-r", "-n", cluster)
    req = os.path.join(WORK, "%s.crq" % cluster)
    shutil.copy(os.path.join(NDB, "qdevice-net-node.crq"), req)
    out = sh("corosync-qnetd-certutil", "-s", "-c", req, "-n", cluster)
    crt = os.path.join(QDB, "cluster-%s.crt" % cluster)
    check("Certificate stored in %s" % crt in out,
          "%s signed by the installed corosync-qnetd-certutil" % cluster)
    shutil.copy(crt, NDB)
    sh("corosync-qdevice-net-certutil", "-M", "-c",
       os.path.join(NDB, os.path.basename(crt)))
    p12 = os.path.join(NDB, "qdevice-net-node.p12")
    pem = os.path.join(WORK, "%s.pem" % cluster)
    leaf = sh("openssl", "pkcs12", "-in", p12, "-passin", "pass:",
              "-clcerts", "-nokeys")
    key = sh("openssl", "pkcs12", "-in", p12, "-passin", "pass:",
             "-nocerts", "-nodes")
    with open(pem, "w") as f:
        f.write(leaf + key)
    ca = os.path.join(WORK, "ca.pem")
    text = open(ca_crt).read()
    start = text.index("-----BEGIN CERTIFICATE-----")
    with open(ca, "w") as f:
        f.write(text[start:])
    return pem, ca


class World:
    def __init__(self, debs, figures):
        self.debian, self.old, self.new = debs
        self.figures = open(figures, "w")
        self.nodes = []
        self.prober = fl.Prober()
        self.prober.start()

    def figure(self, text):
        print("FIGURE: %s" % text, flush=True)
        self.figures.write(text + "\n")
        self.figures.flush()

    def add_cluster(self, cluster, algorithm, split, kap):
        pem, ca = enrol(cluster)
        made = []
        for nid in (1, 2):
            members = (nid,) if split else (1, 2)
            ring = (nid, 100 + nid) if split else (1, 200)
            made.append(fl.Node(cluster, nid, algorithm, members, ring,
                                0 if split else 1, pem, ca, kap, split))
        return made

    def start(self, nodes, stagger=0.0):
        for n in nodes:
            n.start()
            self.nodes.append(n)
            time.sleep(stagger)

    def converged(self, holder):
        """Every node connected; upa split with exactly one node ACKed
        (node `holder` if not None), every other node ACKed."""
        upa = {}
        for n in self.nodes:
            up, vote = n.state()
            if not up:
                return False
            if n.cluster == "upa":
                upa[n.node_id] = vote
            elif vote != ACK:
                return False
        if holder is not None:
            return upa == {holder: ACK, 3 - holder: NACK}
        votes = list(upa.values())
        return votes.count(ACK) == 1 and votes.count(NACK) == 1

    def back(self, t0):
        """When the last node got its first vote after reconnecting since
        t0; None while a node has not."""
        last = t0
        for n in self.nodes:
            ev = n.since(t0)
            ups = [i for i, e in enumerate(ev) if e[1] == "up"]
            votes = [e[0] for e in ev[ups[-1]:] if e[1] == "vote"] \
                if ups else []
            if not votes:
                return None
            last = max(last, votes[0])
        return last

    def wait(self, holder, what, t0=None):
        """Until converged (and, with t0, every node reconnected since
        t0); returns when the last node had its vote again (t0) or now."""
        end = time.monotonic() + CONVERGE_S
        while time.monotonic() < end:
            if holder is not None and t0 is not None:
                other = [e for n in self.nodes if n.name == "upa/%d" % (
                    3 - holder) for e in n.since(t0)
                    if e[1] == "vote" and e[2] == ACK]
                if other:
                    raise Fail("%s: upa's vote moved from node %d to node "
                               "%d" % (what, holder, 3 - holder))
            if self.converged(holder):
                if t0 is None:
                    return time.monotonic()
                t = self.back(t0)
                if t is not None:
                    return t
            time.sleep(0.05)
        got = {n.name: (n.state(), n.since(0)[-4:]) for n in self.nodes}
        raise Fail("%s: not converged in %d s: %r" % (what, CONVERGE_S, got))

    def holder(self, cluster):
        held = [n for n in self.nodes
                if n.cluster == cluster and n.state()[1] == ACK]
        return held[0].node_id if len(held) == 1 else None

    def switch(self, label, cmd, want_split_holder):
        """Run cmd (the package change) under the connected fleet; wait
        until every node is back (upa's vote on node want_split_holder,
        or on either node when None); record the figures.  Returns (the
        node of upa holding the vote afterwards, ACKs the other node of
        upa got meanwhile)."""
        before = self.holder("upa")
        pid0 = service_pid()
        t0 = time.monotonic()
        out = sh(*cmd)
        t1 = time.monotonic()
        print("  | " + out.strip().replace("\n", "\n  | "), flush=True)
        t2 = self.wait(want_split_holder, label, t0)
        check(is_enabled() == "enabled",
              "%s: the service is enabled (comes up at boot)" % label)
        check(service_pid() not in (None, pid0),
              "%s: a new daemon process serves (pid %s -> %s)" %
              (label, pid0, service_pid()))
        return self.report(label, before, t0, t1, t2)

    def report(self, label, before, t0, t1, t2):
        """The figures of one switch started at t0, dpkg done at t1, every
        node voting again at t2; see switch() for what it returns."""
        gap = self.prober.gap(t0)
        downs = []
        for n in self.nodes:
            ev = n.since(t0)
            d = [e[0] for e in ev if e[1] == "down"]
            u = [e[0] for e in ev if e[1] == "up"]
            if d and u:
                downs.append((n, u[-1] - d[0]))
        check(len(downs) == len(self.nodes),
              "%s: every node lost its connection and came back" % label)
        after = self.holder("upa")
        acks = [e for n in self.nodes if n.name == "upa/%d" % (3 - before)
                for e in n.since(t0) if e[1] == "vote" and e[2] == ACK]
        self.figure("%s: dpkg took %.2f s; the port refused from +%s for "
                    "%s (probed every 50 ms); all %d nodes back with their "
                    "votes +%.2f s after dpkg started" % (
                        label, t1 - t0,
                        "%.2f s" % (gap[0] - t0) if gap else "-",
                        "%.2f s" % (gap[1] - gap[0]) if gap and gap[1]
                        else "no probe (< 0.05 s)",
                        len(self.nodes), t2 - t0))
        fast = [r for n, r in downs if not (n.split and n.node_id == before)]
        self.figure("%s: reconnect (connection lost -> INIT accepted) "
                    "%.2f-%.2f s per node (retry every %.1f s; the vote "
                    "holder of upa waits %.1f s before retrying)" % (
                        label, min(fast), max(fast), fl.FAST_S, fl.SLOW_S))
        self.figure("%s: upa's vote %s (node %d before, node %s after%s)" % (
            label, "stayed" if after == before else "MOVED", before, after,
            "; node %d was ACKed meanwhile" % (3 - before) if acks else ""))
        return after, acks

    def stop(self):
        for n in self.nodes:
            n.stop()
        self.prober.stop()


def service_pid():
    out = subprocess.run(["systemctl", "show", "-p", "MainPID", "--value",
                          "corosync-qnetd.service"], stdout=subprocess.PIPE,
                         text=True).stdout.strip()
    return None if out in ("", "0") else out


def is_enabled():
    return subprocess.run(["systemctl", "is-enabled",
                           "corosync-qnetd.service"], stdout=subprocess.PIPE,
                          text=True).stdout.strip()


def owner_of(path):
    return sh("dpkg", "-S", path).split(":")[0]


def status_of(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status} ${Version}", pkg],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       text=True)
    return p.stdout.strip()


def db_sums():
    return sh("md5sum", os.path.join(QDB, "cert9.db"),
              os.path.join(QDB, "key4.db"))


def debian_purge_deletes_db():
    """Debian's purge script after the switch: verify the warning in
    docs/admin.md, then restore the copy it tells the operator to make."""
    keep = os.path.join(WORK, "nssdb.copy")
    sh("cp", "-a", QDB, keep)
    sh("dpkg", "--purge", "corosync-qnetd")
    check(not os.path.exists(QDB),
          "purging Debian's package after the switch deletes %s "
          "(docs/admin.md warns)" % QDB)
    sh("cp", "-a", keep, QDB)
    shutil.rmtree(keep)
    # Its purge also forgets the enablement of the unit, ours now.
    check(is_enabled() == "disabled",
          "... and disables our service (docs/admin.md: enable it again)")
    sh("systemctl", "enable", "corosync-qnetd.service")
    check(status_of("qnetd").startswith("install ok installed"),
          "ours stays installed")


def ours_purge_keeps_db(w):
    """Purging ours (config-files after the switch back) must not take
    the database or the user that Debian's running service needs, even
    when the database holds no cluster-*.crt."""
    aside = os.path.join(WORK, "crt-aside")
    os.mkdir(aside)
    for f in os.listdir(QDB):
        if f.startswith("cluster-") and f.endswith(".crt"):
            shutil.move(os.path.join(QDB, f), aside)
    sums = db_sums()
    out = sh("dpkg", "--purge", "qnetd")
    check(db_sums() == sums,
          "purging ours with Debian's installed keeps the database")
    check(sh("getent", "passwd", "coroqnetd") != "",
          "... and user coroqnetd, which Debian's service runs as")
    check("corosync-qnetd is installed" in out,
          "... and says why: %s" % out.strip().replace("\n", " | "))
    check(is_enabled() == "enabled",
          "... and Debian's service stays enabled (comes up at boot)")
    for f in os.listdir(aside):
        shutil.move(os.path.join(aside, f), QDB)
    sh("systemctl", "restart", "corosync-qnetd.service")
    w.wait(None, "Debian's service after purging ours")
    check(True, "Debian's daemon restarted after the purge: every node back")


def story(w):
    check(owner_of("/usr/bin/corosync-qnetd") == "corosync-qnetd",
          "Debian's corosync-qnetd is installed and its service runs")
    upa = w.add_cluster("upa", q.ALGO_FFSPLIT, split=True, kap=True)
    upb = w.add_cluster("upb", q.ALGO_LMS, split=False, kap=False)
    # Node 2 alone first, then node 1 unable to see it: node 2 holds it.
    w.start([upa[1]], stagger=1.0)
    w.start([upa[0]] + upb)
    w.wait(2, "Debian's daemon, before the switch")
    check(True, "Debian's daemon: upa split, node 2 ACK / node 1 NACK; "
          "upb both ACK")

    # 1. Debian's -> ours.  Nothing remembered the vote: recorded only.
    sums = db_sums()
    w.switch("Debian's -> ours (dpkg -i %s)" % os.path.basename(w.old),
             ["dpkg", "-i", w.old], None)
    check(owner_of("/usr/bin/corosync-qnetd") == "qnetd", "ours installed")
    check(db_sums() == sums, "the database is untouched by our postinst")

    # 2. Debian's leftover purge script.
    debian_purge_deletes_db()

    # Enrol a third cluster with our certutil into Debian's database.
    upc = w.add_cluster("upc", q.ALGO_FFSPLIT, split=False, kap=False)
    w.start(upc)
    w.wait(w.holder("upa"), "upc enrolled by ours")

    # 3. ours -> ours, newer: the vote must stay.
    before = w.holder("upa")
    after, acks = w.switch(
        "ours -> ours, newer (dpkg -i %s)" % os.path.basename(w.new),
        ["dpkg", "-i", w.new], before)
    check(after == before and not acks,
          "upgrade of ours: upa's vote stayed on node %d, the other node "
          "never ACKed" % before)
    v = status_of("qnetd")
    check(v.endswith(new_version(w.new)), "qnetd is now %s" % v)
    mem = [f for f in os.listdir(STATE) if f.startswith("vote-memory")]
    check(mem, "the vote memory is in %s (%s)" % (STATE, ", ".join(mem)))

    # 4. ours -> Debian's.
    w.switch("ours -> Debian's (apt-get install %s)" %
             os.path.basename(w.debian),
             ["apt-get", "install", "-y", "-q", "--no-download",
              "-o", "Dpkg::Use-Pty=0", w.debian], None)
    check(owner_of("/usr/bin/corosync-qnetd") == "corosync-qnetd",
          "Debian's corosync-qnetd installed again; all three clusters' "
          "certificates accepted by its daemon")
    mem = [f for f in os.listdir(STATE) if f.startswith("vote-memory")] \
        if os.path.isdir(STATE) else []
    check(not mem, "removing ours took its vote memory with it")

    # 5. Purge ours with Debian's installed.
    ours_purge_keeps_db(w)


def new_version(path):
    return sh("dpkg-deb", "-f", path, "Version").strip()


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    os.makedirs(WORK, exist_ok=True)
    w = World(sys.argv[1:4], sys.argv[4])
    try:
        story(w)
    except Fail as e:
        print("FAIL: %s" % e, flush=True)
        return 1
    finally:
        w.stop()
    print("upgrade and switch checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
