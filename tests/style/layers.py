#!/usr/bin/env python3
"""layers.py - check the include graph of src/ and include/ against the layers.

Usage: tests/style/layers.py [ROOT]   (ROOT: the repository, default '.')

Reads every '#include "..."' under ROOT/src and ROOT/include.  A module is
a folder and a file name without extension (src/net/conn.c and
include/net/conn.h are both "net/conn"); an include of "x.h" without a
folder names the including file's own folder.  Fails (exit 1, one line per
finding) when:
  - a file includes a header of a higher layer, or of another folder of the
    same rank, per tests/style/layers.txt;
  - a file breaks an "only" or "never" rule of layers.txt;
  - an include names a folder that layers.txt does not list;
  - modules include each other in a circle (each circle printed once).
Includes listed in ALLOWED_EDGES (below) are skipped, with a line saying so.
Exit 0 when clean, 2 on a usage or table error.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)

# Includes allowed against the table for now (none: branch arch-session
# removed conn <-> session, conn <-> events and session -> events).
ALLOWED_EDGES = set()


def load_table(path):
    rank, only, never = {}, {}, {}
    with open(path, encoding="utf-8") as f:
        lines = [l.split("#", 1)[0].strip() for l in f]
    r = 0
    for line in lines:
        if not line:
            continue
        m = re.match(r"(only|never)\s+(\w+):\s*(.*)$", line)
        if m:
            (only if m.group(1) == "only" else never)[m.group(2)] = m.group(3).split()
            continue
        for folder in line.split():
            rank[folder] = r
        r += 1
    return rank, only, never


def sources(root):
    for top in ("src", "include"):
        base = os.path.join(root, top)
        for d, _, files in sorted(os.walk(base)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    p = os.path.join(d, f)
                    yield p, os.path.relpath(p, base)


def module_of(rel):
    return os.path.splitext(rel)[0].replace(os.sep, "/")


def edges(root):
    """(file, its module, included module, include text) for each include."""
    for path, rel in sources(root):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        mod = module_of(rel)
        # Comments out (newlines kept): an include in a comment is no include.
        text = COMMENT_RE.sub(lambda m: "\n" * m.group().count("\n"), text)
        for inc in INCLUDE_RE.findall(text):
            target = inc if "/" in inc else os.path.dirname(rel) + "/" + inc
            yield os.path.relpath(path, root), mod, module_of(target), inc


def rule_hits(rule, target):
    folder = target.split("/")[0]
    return any(r == folder or r == target + ".h" or r == target for r in rule)


def check_edge(rank, only, never, f, mod, target, inc):
    src, dst = mod.split("/")[0], target.split("/")[0]
    if src not in rank:
        return "%s: folder %s is not in layers.txt" % (f, src)
    if dst not in rank:
        return '%s: includes "%s": folder %s is not in layers.txt' % (f, inc, dst)
    if src in only and dst not in only[src]:
        return '%s: includes "%s": %s may include only %s' % (
            f, inc, src, " ".join(only[src]))
    if src in never and rule_hits(never[src], target):
        return '%s: includes "%s": %s must never include %s' % (
            f, inc, src, " ".join(never[src]))
    if src == dst:
        return None
    if rank[dst] > rank[src]:
        return '%s: includes "%s": layer %s is above %s' % (f, inc, dst, src)
    if rank[dst] == rank[src]:
        return '%s: includes "%s": %s and %s share a rank' % (f, inc, dst, src)
    return None


def circles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(argv):
    root = argv[1] if len(argv) > 1 else "."
    if not os.path.isdir(os.path.join(root, "src")):
        print("layers: %s has no src/" % root, file=sys.stderr)
        return 2
    rank, only, never = load_table(os.path.join(HERE, "layers.txt"))
    graph, problems, seen = {}, [], set()
    for f, mod, target, inc in edges(root):
        seen.add((f, inc))
        if (f, inc) in ALLOWED_EDGES:
            print('layers: allowed for now (ALLOWED_EDGES): %s includes "%s"' % (f, inc))
            continue
        if target != mod:
            graph.setdefault(mod, set()).add(target)
        p = check_edge(rank, only, never, f, mod, target, inc)
        if p:
            problems.append(p)
    for comp in circles(graph):
        problems.append("include circle: %s" % " <-> ".join(comp))
    for f, inc in sorted(ALLOWED_EDGES - seen):
        if not os.path.exists(os.path.join(root, f)):
            continue
        print('layers: ALLOWED_EDGES names %s including "%s", which no longer happens: '
              "delete that line" % (f, inc))
    for p in problems:
        print("layers: %s" % p)
    if problems:
        print("layers: %d problem(s)" % len(problems), file=sys.stderr)
        return 1
    print("layers: %d modules, include graph clean" % len(graph))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
