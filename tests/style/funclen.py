#!/usr/bin/env python3
"""funclen.py - fail on any C function whose body is longer than a limit.

Usage: tests/style/funclen.py [--max N] FILE_OR_DIR...

A function body is a '{' at file scope that follows a ')' (the end of a
parameter list), up to its matching '}'.  Its length is the number of
lines between the two braces, exclusive.  Comments, string and character
literals are blanked first so braces inside them do not count; the
preprocessor lines are kept (the tree's macros do not open braces at file
scope).  Exit 0 when every function fits, 1 otherwise (one line per
offender: file:line: name: N lines), 2 on a usage error.
"""
import os
import re
import sys

DEFAULT_MAX = 80


def blank(text):
    """Comments and literals replaced by spaces, newlines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(name, first line, body lines) for each function body in text."""
    src = blank(text)
    depth = 0
    start = None
    for m in re.finditer(r"[{}]", src):
        if m.group() == "{":
            if depth == 0:
                before = src[:m.start()].rstrip()
                if before.endswith(")"):
                    start = m.start()
                else:
                    start = None
            depth += 1
            continue
        depth -= 1
        if depth == 0 and start is not None:
            head = src[:start]
            names = re.findall(r"([A-Za-z_]\w*)\s*\(", head[-2000:])
            name = names[-1] if names else "?"
            # The name of the function: the last identifier before the
            # parameter list's '(' that opens at paren depth 0.
            name = function_name(head) or name
            first = src.count("\n", 0, start) + 1
            last = src.count("\n", 0, m.start()) + 1
            yield name, first, last - first - 1
            start = None


def function_name(head):
    depth = 0
    i = len(head.rstrip()) - 1
    while i >= 0:
        ch = head[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                m = re.search(r"([A-Za-z_]\w*)\s*$", head[:i])
                return m.group(1) if m else None
        i -= 1
    return None


def c_files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in sorted(os.walk(p)):
                for f in sorted(files):
                    if f.endswith(".c"):
                        yield os.path.join(root, f)
        else:
            yield p


def main(argv):
    limit = DEFAULT_MAX
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--max":
        limit = int(args[1])
        args = args[2:]
    if not args:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    bad = 0
    for path in c_files(args):
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for name, line, length in functions(text):
            if length > limit:
                print("%s:%d: %s: %d lines (max %d)" % (path, line, name, length, limit))
                bad += 1
    if bad:
        print("funclen: %d function(s) over %d lines" % (bad, limit), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
