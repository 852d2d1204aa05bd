#!/usr/bin/env python3
"""The CI gates check what they claim: tests/style/layers.py and
tests/style/funclen.py pass on this tree, and fail on small trees made
here with one violation each (an upward include, a codec include of base,
an algorithm including the loop, a circle, an unknown folder; a function
of 81 lines), while an 80-line function and a downward include pass."""
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAYERS = os.path.join(TOP, "tests", "style", "layers.py")
FUNCLEN = os.path.join(TOP, "tests", "style", "funclen.py")
failures = []


def check(cond, what):
    print("%s: %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        failures.append(what)


def run(*argv):
    p = subprocess.run([sys.executable] + list(argv), capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout + p.stderr


def tree(files):
    d = tempfile.mkdtemp(prefix="qnetd-gates-")
    for path, text in files.items():
        full = os.path.join(d, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    return d


def layers_case(what, files, want_rc, want_text=None):
    rc, out = run(LAYERS, tree(files))
    check(rc == want_rc and (want_text is None or want_text in out),
          "layers: %s -> rc %d (%s)" % (what, rc, out.strip().splitlines()[-1:]))


def function(name, body_lines):
    return "int\n%s(void)\n{\n%s}\n" % (name, "\tx++;\n" * body_lines)


def main():
    rc, out = run(LAYERS, TOP)
    check(rc == 0, "layers: this tree passes")
    rc, out = run(FUNCLEN, "--max", "80", os.path.join(TOP, "src"))
    check(rc == 0, "funclen: src/ passes")

    base = {"src/codec/a.c": '#include "codec/b.h"\n', "include/codec/b.h": "\n",
            "src/net/n.c": '#include "core/c.h"\n', "include/core/c.h": "\n"}
    layers_case("downward includes", base, 0)
    layers_case("core includes net", dict(base, **{"src/core/x.c": '#include "net/n.h"\n'}),
                1, "layer net is above core")
    layers_case("codec includes base", dict(base, **{"src/codec/x.c": '#include "base/log.h"\n'}),
                1, "codec may include only codec")
    layers_case("algo includes the loop",
                dict(base, **{"src/algo/x.c": '#include "net/loop.h"\n'}), 1, "never include")
    layers_case("a circle in one layer",
                dict(base, **{"src/core/p.c": '#include "core/q.h"\n',
                              "src/core/q.c": '#include "core/p.h"\n'}),
                1, "include circle: core/p <-> core/q")
    layers_case("unknown folder", dict(base, **{"src/attic/x.c": '#include "base/log.h"\n'}),
                1, "not in layers.txt")
    layers_case("an include inside a comment is no include",
                dict(base, **{"src/core/y.c": '/*\n#include "net/n.h"\n*/\n'}), 0)

    d = tree({"ok.c": function("fits", 80) + "static const int t[] = { 1, 2 };\n",
              "long.c": "/* { */\n" + function("too_long", 81)})
    rc, out = run(FUNCLEN, "--max", "80", os.path.join(d, "ok.c"))
    check(rc == 0, "funclen: 80 body lines pass")
    rc, out = run(FUNCLEN, "--max", "80", os.path.join(d, "long.c"))
    check(rc == 1 and "too_long: 81 lines" in out, "funclen: 81 body lines fail, named")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
