"""A small JSON Schema validator (the subset docs/qnetd-status.schema.json
uses: type, const, enum, properties, required, additionalProperties,
items, minimum, maximum, pattern, $ref to #/$defs/...).  Stdlib only, so
the schema is checked even where python3-jsonschema is not installed.
validate() returns a list of error strings (empty: valid)."""

import re

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}

_KNOWN = {"$schema", "$id", "$defs", "title", "description", "type", "const", "enum",
          "properties", "required", "additionalProperties", "items", "minimum",
          "maximum", "pattern", "$ref"}


def validate(value, schema, root=None, path="$"):
    root = root if root is not None else schema
    errors = []
    unknown = set(schema) - _KNOWN
    if unknown:
        errors.append("%s: schema uses unsupported keywords %s" % (path, sorted(unknown)))
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            return errors + ["%s: unsupported $ref %s" % (path, ref)]
        return errors + validate(value, root["$defs"][ref[len("#/$defs/"):]], root, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            return errors + ["%s: %r is not of type %s" % (path, value, types)]
    if "const" in schema and value != schema["const"]:
        errors.append("%s: %r != const %r" % (path, value, schema["const"]))
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r not in %r" % (path, value, schema["enum"]))
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append("%s: %r < minimum %r" % (path, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errors.append("%s: %r > maximum %r" % (path, value, schema["maximum"]))
    if isinstance(value, str) and "pattern" in schema:
        if re.search(schema["pattern"], value) is None:
            errors.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                errors.append("%s: missing required %s" % (path, k))
        for k, v in value.items():
            if k in props:
                errors += validate(v, props[k], root, "%s.%s" % (path, k))
            elif schema.get("additionalProperties", True) is False:
                errors.append("%s: unexpected property %s" % (path, k))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errors += validate(v, schema["items"], root, "%s[%d]" % (path, i))
    return errors
