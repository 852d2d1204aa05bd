"""Which metric names and label names a PromQL expression (or a Grafana
query) uses: enough of a tokenizer for the queries we ship, so a test can
check them against what the daemon exports.

uses(expr) -> (selectors, labels): selectors is a list of
(metric, {label names in its matchers}); labels is the set of label names
used elsewhere (by/without/on/ignoring/group_left/group_right lists,
Grafana's {{label}} legends and label_values(..., label))."""

import re

_TOKEN = re.compile(r"""
    (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?[a-zA-Z]*)
  | (?P<id>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=(){}\[\],])
  | (?P<ws>\s+)
""", re.X)

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2",
            # aggregations: `sum by (x) (...)` puts the modifier before the parenthesis
            "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
            "bottomk", "topk", "quantile"}
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Grafana's variables stand for a range or a value; give them one.
_GRAFANA = re.compile(r"\$__(rate_interval|interval|range)|\$\{__(rate_interval|interval|range)\}")


def tokens(expr):
    expr = _GRAFANA.sub("5m", expr)
    pos, out = 0, []
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None:
            raise ValueError("cannot tokenize %r at %d: %r" % (expr, pos, expr[pos:pos + 20]))
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def uses(expr):
    toks = tokens(expr)
    selectors, labels = [], set()
    i = 0
    while i < len(toks):
        kind, val = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if kind == "id" and val in LABEL_LISTS and nxt == "(":
            j = i + 2
            while j < len(toks) and toks[j][1] != ")":
                if toks[j][0] == "id":
                    labels.add(toks[j][1])
                j += 1
            i = j + 1
            continue
        if kind == "id" and (val in KEYWORDS or nxt == "("):
            i += 1  # an operator or a function
            continue
        if kind == "id" or (kind == "op" and val == "{"):
            metric = val if kind == "id" else None
            matchers = set()
            j = i + 1 if kind == "id" else i
            if j < len(toks) and toks[j][1] == "{":
                j += 1
                while j < len(toks) and toks[j][1] != "}":
                    if toks[j][0] == "id" and j + 1 < len(toks) and toks[j + 1][1] in ("=", "!=", "=~", "!~"):
                        matchers.add(toks[j][1])
                    j += 1
                j += 1
            if metric is None:
                raise ValueError("selector without a metric name in %r" % expr)
            selectors.append((metric, matchers))
            i = j
            continue
        i += 1
    return selectors, labels


def legend_labels(fmt):
    return set(re.findall(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}", fmt or ""))


_LABEL_VALUES = re.compile(r"^\s*label_values\((?:(.*),)?\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$")


def grafana_variable(query):
    """(expr or None, label) for label_values(expr, label), else (query, None)."""
    m = _LABEL_VALUES.match(query)
    if m:
        return (m.group(1), m.group(2))
    return (query, None)
