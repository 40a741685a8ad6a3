"""meetd's OpenAPI document (docs/openapi.yaml) against the reference
OpenVidu Meet 3.7 document and against a running meetd.

- The YAML loader and validator of openapi_schema.py, on small snippets.
- Both documents load; every $ref of ours resolves; our examples validate.
- Compatibility: for every operation both documents describe, the response
  schemas of every status code both list have the same property names,
  `required` lists, types and enum values at every level, except for the
  deviations in ALLOWED_DEVIATIONS (BEHAVIOUR.md wins over the reference
  YAML; see its §12).
- Live: each rooms and recordings operation's answers (success and main
  errors) validate against the reference schema and against ours, and carry
  the headers both documents promise. Recordings are made with the local
  recording backend (ffmpeg), after signed LiveKit webhooks have started a
  meeting with a participant, as in test_recordings.py.
- GET /api/v1/openapi.yaml serves docs/openapi.yaml byte for byte.

Run: python3 tests/api/test_openapi.py --bin-dir build/dev/bin
"""

import http.client
import json
import math
import os
import re
import io
import signal
import sys
import time
import unittest
import urllib.parse
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Meetd, lk_event, lk_send, lk_token  # noqa: E402
from openapi_schema import (YAMLError, SchemaError, load_yaml,  # noqa: E402
                            resolve, response_schema, validate)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC_PATH = os.path.join(REPO, "docs", "openapi.yaml")
REF_PATH = os.path.normpath(os.path.join(
    REPO, "..", "shared", "reference", "openvidu-meet-api-v3.7.yaml"))
HAVE_REF = os.path.exists(REF_PATH)
NO_REF = "reference document not found at " + REF_PATH

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
HOUR_MS = 3600 * 1000

# A small advanced encoding keeps the local recordings (ffmpeg) cheap; the
# same as test_recordings.py.
SMALL = {"video": {"width": 320, "height": 240, "framerate": 15,
                   "codec": "H264_MAIN", "bitrate": 300,
                   "keyFrameInterval": 1, "depth": 24},
         "audio": {"codec": "AAC", "bitrate": 64, "frequency": 44100}}


def load_file(path):
    with open(path, encoding="utf-8") as f:
        return load_yaml(f.read())


_DOC = None
_REF = None


def doc():
    global _DOC
    if _DOC is None:
        _DOC = load_file(DOC_PATH)
    return _DOC


def ref():
    global _REF
    if _REF is None:
        _REF = load_file(REF_PATH)
    return _REF


def operations(d):
    """Yields (path, method) for every operation of document `d`."""
    for path, item in (d.get("paths") or {}).items():
        for method in METHODS:
            if isinstance(item, dict) and method in item:
                yield path, method


# ---- structural comparison ---------------------------------------------------
#
# A schema is reduced to its "shape": type set, enum values, required names,
# properties, items, oneOf/anyOf branches. $refs are followed (siblings of a
# $ref are merged in, as OpenAPI 3.1 allows) and allOf members are merged
# into their parent, so two documents that factor their schemas differently
# still compare equal. Descriptions, examples, defaults, formats and numeric
# bounds are not part of the shape.

def _empty_shape():
    return {"type": None, "enum": None, "required": frozenset(),
            "properties": {}, "items": None, "oneOf": None, "anyOf": None}


def _merge(a, b):
    out = dict(a)
    if a["type"] is None:
        out["type"] = b["type"]
    elif b["type"] is not None:
        out["type"] = a["type"] & b["type"]
    if a["enum"] is None:
        out["enum"] = b["enum"]
    elif b["enum"] is not None:
        out["enum"] = tuple(x for x in a["enum"] if x in b["enum"])
    out["required"] = a["required"] | b["required"]
    props = dict(a["properties"])
    for k, v in b["properties"].items():
        props[k] = _merge(props[k], v) if k in props else v
    out["properties"] = props
    if a["items"] is None:
        out["items"] = b["items"]
    elif b["items"] is not None:
        out["items"] = _merge(a["items"], b["items"])
    for kw in ("oneOf", "anyOf"):
        if a[kw] is None:
            out[kw] = b[kw]
        elif b[kw] is not None:
            out[kw] = a[kw] + b[kw]
    return out


def shape(d, schema, stack=()):
    """Returns the shape of `schema` within document `d`."""
    if not isinstance(schema, dict):
        return _empty_shape()
    if "$ref" in schema:
        r = schema["$ref"]
        if r in stack:
            s = _empty_shape()
            s["type"] = frozenset(["<cycle %s>" % r])
            return s
        target = shape(d, resolve(d, r), stack + (r,))
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return _merge(target, shape(d, rest, stack))
    s = _empty_shape()
    t = schema.get("type")
    if t is not None:
        s["type"] = frozenset(t if isinstance(t, list) else [t])
        if schema.get("nullable") is True:
            s["type"] |= {"null"}
    if "enum" in schema:
        s["enum"] = tuple(sorted(json.dumps(e, sort_keys=True)
                                 for e in schema["enum"]))
    s["required"] = frozenset(schema.get("required") or [])
    s["properties"] = {k: shape(d, v, stack)
                       for k, v in (schema.get("properties") or {}).items()}
    if "items" in schema:
        s["items"] = shape(d, schema["items"], stack)
    for kw in ("oneOf", "anyOf"):
        if kw in schema:
            s[kw] = [shape(d, x, stack) for x in schema[kw]]
    for sub in schema.get("allOf") or []:
        s = _merge(s, shape(d, sub, stack))
    return s


def _fmt_types(t):
    return "any" if t is None else "|".join(sorted(t))


def _fmt_list(x):
    return "none" if x is None else "[" + ", ".join(x) + "]"


def compare_shapes(a, b, path="$", out=None):
    """Compares reference shape `a` with meetd shape `b`; returns a list of
    (json path, kind, detail)."""
    if out is None:
        out = []
    if a["type"] != b["type"]:
        out.append((path, "type", "reference %s, meetd %s" % (
            _fmt_types(a["type"]), _fmt_types(b["type"]))))
    if a["enum"] != b["enum"]:
        out.append((path, "enum", "reference %s, meetd %s" % (
            _fmt_list(a["enum"]), _fmt_list(b["enum"]))))
    if a["required"] != b["required"]:
        out.append((path, "required", "reference %s, meetd %s" % (
            sorted(a["required"]), sorted(b["required"]))))
    for name in sorted(set(a["properties"]) - set(b["properties"])):
        out.append((path, "missing-property", name))
    for name in sorted(set(b["properties"]) - set(a["properties"])):
        out.append((path, "extra-property", name))
    for name in sorted(set(a["properties"]) & set(b["properties"])):
        compare_shapes(a["properties"][name], b["properties"][name],
                       "%s.%s" % (path, name), out)
    if (a["items"] is None) != (b["items"] is None):
        out.append((path, "items", "reference %s items, meetd %s" % (
            "has" if a["items"] else "no", "has" if b["items"] else "no")))
    elif a["items"] is not None:
        compare_shapes(a["items"], b["items"], path + "[]", out)
    for kw in ("oneOf", "anyOf"):
        x, y = a[kw], b[kw]
        if (x is None) != (y is None) or (x is not None and len(x) != len(y)):
            out.append((path, kw, "reference %s branches, meetd %s" % (
                "no" if x is None else len(x), "no" if y is None else len(y))))
        elif x is not None:
            for i, (u, v) in enumerate(zip(x, y)):
                compare_shapes(u, v, "%s.%s[%d]" % (path, kw, i), out)
    return out


def _glob(pattern, text):
    """fnmatch with '*' as the only wildcard (JSON paths contain '[')."""
    rx = ".*".join(re.escape(p) for p in pattern.split("*"))
    return re.fullmatch(rx, text) is not None


# Differences from the reference YAML that are intended: each one is what the
# reference server really does (BEHAVIOUR.md, which wins over the YAML).
# Fields: operation, status, JSON path, kind, detail ('*' is a wildcard), and
# the reason. test_allow_list_is_used fails on an entry that no longer
# matches anything, so the list cannot go stale.
ALLOWED_DEVIATIONS = [
    # §12: the YAML marks roomName/autoDeletionDate nullable, but null is
    # rejected with 422 and never stored, so meetd never returns null.
    ("*", "*", "*.roomName", "type", "reference null|string, meetd string",
     "roomName is never null (BEHAVIOUR.md §12)"),
    ("*", "*", "*.autoDeletionDate", "type",
     "reference null|number, meetd number",
     "autoDeletionDate is never null (BEHAVIOUR.md §12)"),
    # §12: one reference schema spells the property keyframeInterval, while
    # its own required list (and the server) use keyFrameInterval.
    ("*", "*", "*.encoding.oneOf[1].video", "missing-property",
     "keyframeInterval", "misspelt in the reference (BEHAVIOUR.md §12)"),
    ("*", "*", "*.encoding.oneOf[1].video", "extra-property",
     "keyFrameInterval", "the real name (BEHAVIOUR.md §12, §4.1)"),
    # §12 / §6.8: PUT status answers {message, room}, not only {message}.
    ("put /rooms/{roomId}/status", "20*", "$", "extra-property", "room",
     "PUT status returns the room too (BEHAVIOUR.md §12, §6.8)"),
    # §12 / §6.5: the 409 body's `error` is the deletion code; meetd's
    # document enumerates the codes.
    ("delete /rooms/{roomId}", "409", "$.error", "enum", "reference none, *",
     "409 error is the deletion code (BEHAVIOUR.md §12, §6.5)"),
    # §6.6: each `successful` item of a bulk deletion carries its roomId;
    # the reference schema omits it although its own examples show it.
    ("delete /rooms", "*", "$.successful[]", "extra-property", "roomId",
     "bulk deletion items carry roomId (BEHAVIOUR.md §6.6)"),
    # §5.2: a recording's optional fields "are omitted (never null) when
    # unknown or zero", and startDate is always set (it falls back to the
    # egress updatedAt), while the YAML types all of them as nullable.
    ("* /recordings*", "*", "*.startDate", "type",
     "reference null|number, meetd number",
     "recording startDate is never null (BEHAVIOUR.md §5.2)"),
    ("* /recordings*", "*", "*.endDate", "type",
     "reference null|number, meetd number",
     "recording endDate is omitted, never null (BEHAVIOUR.md §5.2)"),
    ("* /recordings*", "*", "*.duration", "type",
     "reference null|number, meetd number",
     "recording duration is omitted, never null (BEHAVIOUR.md §5.2)"),
    ("* /recordings*", "*", "*.size", "type",
     "reference null|number, meetd number",
     "recording size is omitted, never null (BEHAVIOUR.md §5.2)"),
    ("* /recordings*", "*", "*.errorCode", "type",
     "reference null|number, meetd number",
     "recording errorCode is omitted, never null (BEHAVIOUR.md §5.2)"),
    ("* /recordings*", "*", "*.error", "type",
     "reference null|string, meetd string",
     "recording error is omitted, never null (BEHAVIOUR.md §5.2)"),
    ("* /recordings*", "*", "*.details", "type",
     "reference null|string, meetd string",
     "recording details is omitted, never null (BEHAVIOUR.md §5.2)"),
]


def allowed(op, status, diff):
    for i, (o, s, p, k, d, _) in enumerate(ALLOWED_DEVIATIONS):
        if (_glob(o, op) and _glob(s, status) and _glob(p, diff[0]) and
                k == diff[1] and _glob(d, diff[2])):
            return i
    return None


def schema_differences():
    """Returns (unexpected, used allow-list indexes, compared pairs)."""
    r, d = ref(), doc()
    unexpected = []
    used = set()
    compared = []
    for path, method in operations(d):
        if path not in r.get("paths", {}) or method not in r["paths"][path]:
            continue
        ours = d["paths"][path][method]["responses"]
        theirs = r["paths"][path][method]["responses"]
        for status in sorted(set(ours) & set(theirs)):
            try:
                rs = response_schema(r, path, method, status)
            except SchemaError:
                rs = None
            try:
                ds = response_schema(d, path, method, status)
            except SchemaError:
                ds = None
            op = "%s %s" % (method, path)
            if (rs is None) != (ds is None):
                unexpected.append("%s %s: JSON schema only in %s" % (
                    op, status, "reference" if ds is None else "meetd"))
                continue
            if rs is None:
                continue
            compared.append((op, status))
            for diff in compare_shapes(shape(r, rs), shape(d, ds)):
                i = allowed(op, status, diff)
                if i is None:
                    unexpected.append("%s %s %s: %s: %s" % ((op, status) + diff))
                else:
                    used.add(i)
    return unexpected, used, compared


# ---- the loader and validator on their own ----------------------------------------

class LoaderTest(unittest.TestCase):
    def y(self, text):
        return load_yaml(text)

    def bad(self, text, lineno, fragment=""):
        with self.assertRaises(YAMLError) as cm:
            load_yaml(text)
        self.assertEqual(cm.exception.lineno, lineno, str(cm.exception))
        self.assertIn("line %d:" % lineno, str(cm.exception))
        self.assertIn(fragment, str(cm.exception))

    def test_mappings_and_sequences(self):
        self.assertEqual(self.y("a: 1\nb:\n  c: x\n  d:\n    - 1\n    - two\n"),
                         {"a": 1, "b": {"c": "x", "d": [1, "two"]}})
        # A sequence may sit at the indentation of its key.
        self.assertEqual(self.y("k:\n- a\n- b\nz: 1\n"), {"k": ["a", "b"], "z": 1})
        # Mappings inside sequences (compact form), and nested sequences.
        self.assertEqual(self.y("- name: a\n  v: 1\n- name: b\n- - x\n  - y\n"),
                         [{"name": "a", "v": 1}, {"name": "b"}, ["x", "y"]])
        self.assertEqual(self.y("-\n  a: 1\n- \n"), [{"a": 1}, None])
        self.assertEqual(self.y("a:\nb: ~\n"), {"a": None, "b": None})
        self.assertEqual(self.y(""), None)
        self.assertEqual(self.y("---\na: 1\n"), {"a": 1})

    def test_keys(self):
        self.assertEqual(self.y("'201': x\n\"4 0\": y\n200: z\ntrue: t\n"),
                         {"201": "x", "4 0": "y", 200: "z", True: "t"})
        self.assertEqual(self.y("fields=roomId,roomName: 1\n/rooms/{id}: 2\n"),
                         {"fields=roomId,roomName": 1, "/rooms/{id}": 2})
        self.assertEqual(self.y("'it''s': 1\n"), {"it's": 1})

    def test_core_schema(self):
        v = self.y("- true\n- False\n- null\n- Null\n- ~\n- 12\n- -3\n- +4\n"
                   "- 0o17\n- 0x1F\n- 1.5\n- -2e3\n- .5\n- .inf\n- -.Inf\n"
                   "- .nan\n- yes\n- 012\n- 1_000\n- '12'\n- \"true\"\n")
        self.assertEqual(v[:15], [True, False, None, None, None, 12, -3, 4, 15,
                                  31, 1.5, -2000.0, 0.5, math.inf, -math.inf])
        self.assertTrue(math.isnan(v[15]))
        # YAML 1.1 booleans are strings in 1.2; leading zeros are decimal.
        self.assertEqual(v[16:], ["yes", 12, "1_000", "12", "true"])
        self.assertIs(type(v[5]), int)
        self.assertIs(type(v[10]), float)

    def test_plain_scalars(self):
        self.assertEqual(self.y("a: https://x.io/p?q=1#frag\nb: a:b\n"
                                "c: Expected {{type}} but got [x]\n"),
                         {"a": "https://x.io/p?q=1#frag", "b": "a:b",
                          "c": "Expected {{type}} but got [x]"})
        self.assertEqual(self.y("a: one # comment\nb: x#y\n"),
                         {"a": "one", "b": "x#y"})
        # Multi-line plain scalars fold.
        self.assertEqual(self.y("a: one\n  two\n\n  three\nb: 1\n"),
                         {"a": "one two\nthree", "b": 1})
        self.assertEqual(self.y("- one\n  two\n"), ["one two"])

    def test_quoted_scalars(self):
        v = self.y(r"""a: 'it''s "x" # no comment'
b: "tab\there \"q\" \\ \/ \x41\u00e9\U0001F600 \0 \e \N \_ \L \P \a\b\v\f\r\n"
c: ''
d: "a
  b

  c"
e: "join\
  ed"
f: 'one
  two'
g: "x" # comment
""")
        self.assertEqual(v["a"], "it's \"x\" # no comment")
        self.assertEqual(v["b"], "tab\there \"q\" \\ / A\u00e9\U0001F600 \0 \x1b "
                                 "\u0085 \u00a0 \u2028 \u2029 \a\b\v\f\r\n")
        self.assertEqual(v["c"], "")
        self.assertEqual(v["d"], "a b\nc")
        self.assertEqual(v["e"], "joined")
        self.assertEqual(v["f"], "one two")
        self.assertEqual(v["g"], "x")

    def test_block_scalars(self):
        v = self.y("a: |\n  line 1\n    indented\n\n  line 3\n\n\n"
                   "b: >\n  folded\n  text\n\n  para\n    kept\n  end\n"
                   "c: |-\n  strip\n\n"
                   "d: |+\n  keep\n\n"
                   "e: >-\n  x\n  y\n"
                   "f: |2\n    two extra\n"
                   "g: | # comment\n  # not a comment\n"
                   "h: |\n"
                   "i: >+\n\n"
                   "j: x\n")
        self.assertEqual(v["a"], "line 1\n  indented\n\nline 3\n")
        self.assertEqual(v["b"], "folded text\npara\n  kept\nend\n")
        self.assertEqual(v["c"], "strip")
        self.assertEqual(v["d"], "keep\n\n")
        self.assertEqual(v["e"], "x y")
        self.assertEqual(v["f"], "  two extra\n")
        self.assertEqual(v["g"], "# not a comment\n")
        self.assertEqual(v["h"], "")
        self.assertEqual(v["i"], "\n")
        self.assertEqual(v["j"], "x")
        self.assertEqual(self.y("- |\n  item\n- >-\n  a\n  b\n"), ["item\n", "a b"])

    def test_flow_collections(self):
        self.assertEqual(self.y("a: []\nb: {}\nc: [1, 'two', \"3\", x y, null]\n"
                                "d: {k: v, 'q': [1, {n: 2}], e: }\n"
                                "e: [a, b] # comment\n"),
                         {"a": [], "b": {}, "c": [1, "two", "3", "x y", None],
                          "d": {"k": "v", "q": [1, {"n": 2}], "e": None},
                          "e": ["a", "b"]})
        self.assertEqual(self.y("- apiKey: []\n- other: []\n"),
                         [{"apiKey": []}, {"other": []}])

    def test_comments_and_blank_lines(self):
        self.assertEqual(self.y("# head\n\na: 1 # c\n  # indented comment\n"
                                "b:   # c\n  c: 2\n\n# tail\n"),
                         {"a": 1, "b": {"c": 2}})
        self.assertEqual(self.y("a: 1\r\nb: 2\r\n"), {"a": 1, "b": 2})

    def test_errors_carry_line_numbers(self):
        self.bad("a: 1\na: 2\n", 2, "duplicate key")
        self.bad("a: 1\n  b: 2\n", 2)
        self.bad("a:\n\tb: 1\n", 2, "tab")
        self.bad("a: &x 1\n", 1, "anchors")
        self.bad("a: *x\n", 1, "anchors")
        self.bad("a: !!str 1\n", 1, "tags")
        self.bad("? a\n: b\n", 1, "complex")
        self.bad("a: [1,\n  2]\n", 1, "multi-line flow")
        self.bad("a: 'open\n", 1, "unterminated")
        self.bad("a: x: y\n", 1, "': '")
        self.bad("a: 1\n---\nb: 2\n", 2, "multi-document")
        self.bad("- a\nb: 1\n", 2)
        self.bad("a: 1\n- b\n", 2)
        self.bad("a: |x\n  t\n", 1, "block scalar header")
        self.bad("a: \"\\q\"\n", 1, "escape")
        self.bad("a: 'x' y\n", 1, "after quoted scalar")
        self.bad("a: {b: 1, b: 2}\n", 1, "duplicate key")
        self.bad("a:\n  b: 1\n c: 2\n", 3)


class ValidatorTest(unittest.TestCase):
    D = load_yaml("""
components:
  schemas:
    Thing:
      type: object
      required: [id]
      properties:
        id:
          type: string
          minLength: 2
          maxLength: 4
          pattern: '^[a-z]+$'
        n:
          type: integer
          minimum: 1
          maximum: 10
        x:
          type: number
          exclusiveMinimum: 0
        old:
          type: number
          minimum: 0
          exclusiveMinimum: true
        kind:
          type: string
          enum: [a, b]
        fixed:
          const: 7
        maybe:
          type: [string, 'null']
        legacy:
          type: string
          nullable: true
        tags:
          type: array
          items:
            type: string
        when:
          type: string
          format: date-time
    Closed:
      type: object
      additionalProperties: false
      properties:
        a:
          type: boolean
    Typed:
      type: object
      additionalProperties:
        type: integer
    Either:
      oneOf:
        - type: string
        - type: object
          required: [v]
    Any:
      anyOf:
        - type: integer
        - type: boolean
    Both:
      allOf:
        - $ref: '#/components/schemas/Closed'
        - required: [a]
paths:
  /things/{id}:
    get:
      responses:
        '200':
          $ref: '#/components/responses/ok'
        '204':
          description: nothing
""")
    D["components"]["responses"] = {"ok": {"content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Thing"}}}}}

    def v(self, name, value):
        return validate(self.D, {"$ref": "#/components/schemas/" + name}, value)

    def test_valid(self):
        self.assertEqual(self.v("Thing", {"id": "ab", "n": 3, "x": 0.5, "old": 1,
                                          "kind": "a", "fixed": 7, "maybe": None,
                                          "legacy": None, "tags": ["t"],
                                          "when": "not a date", "other": {}}), [])
        self.assertEqual(self.v("Thing", {"id": "abc", "n": 2.0}), [])
        self.assertEqual(self.v("Either", "s"), [])
        self.assertEqual(self.v("Either", {"v": 1}), [])
        self.assertEqual(self.v("Any", True), [])
        self.assertEqual(self.v("Typed", {"a": 1}), [])
        self.assertEqual(self.v("Both", {"a": False}), [])

    def test_errors(self):
        def one(name, value, fragment):
            errs = self.v(name, value)
            self.assertEqual(len(errs), 1, errs)
            self.assertIn(fragment, errs[0])
        one("Thing", {}, "missing required property 'id'")
        one("Thing", {"id": 5}, "$.id: expected type string")
        one("Thing", {"id": "a"}, "shorter than 2")
        one("Thing", {"id": "abcde"}, "longer than 4")
        one("Thing", {"id": "AB"}, "does not match")
        one("Thing", {"id": "ab", "n": 0}, "below the minimum")
        one("Thing", {"id": "ab", "n": 11}, "above the maximum")
        one("Thing", {"id": "ab", "n": 1.5}, "expected type integer")
        one("Thing", {"id": "ab", "n": True}, "expected type integer")
        one("Thing", {"id": "ab", "x": 0}, "greater than 0")
        one("Thing", {"id": "ab", "old": 0}, "(exclusive)")
        one("Thing", {"id": "ab", "kind": "c"}, "is not one of")
        one("Thing", {"id": "ab", "fixed": 8}, "constant")
        one("Thing", {"id": "ab", "maybe": 1}, "string or null")
        one("Thing", {"id": "ab", "tags": ["a", 1]}, "$.tags[1]")
        one("Thing", [], "expected type object")
        one("Closed", {"a": True, "b": 1}, "'b' is not allowed")
        one("Typed", {"a": "x"}, "$.a: expected type integer")
        one("Either", 3, "matches none of oneOf")
        one("Any", "s", "matches none of anyOf")
        one("Both", {}, "missing required property 'a'")
        errs = validate(self.D, {"oneOf": [{"type": "number"}, {"type": "integer"}]}, 1)
        self.assertIn("more than one", errs[0])

    def test_refs_and_responses(self):
        self.assertEqual(resolve(self.D, "#/components/schemas/Closed")["type"], "object")
        with self.assertRaises(SchemaError):
            resolve(self.D, "#/components/schemas/Nope")
        with self.assertRaises(SchemaError):
            resolve(self.D, "other.yaml#/x")
        self.assertEqual(response_schema(self.D, "/things/{id}", "GET", 200),
                         {"$ref": "#/components/schemas/Thing"})
        with self.assertRaises(SchemaError):
            response_schema(self.D, "/things/{id}", "get", 204)
        with self.assertRaises(SchemaError):
            response_schema(self.D, "/things/{id}", "get", 404)
        with self.assertRaises(SchemaError):
            response_schema(self.D, "/nope", "get", 200)


# ---- the documents -------------------------------------------------------------------

def _deref(d, node):
    """Follows a chain of $ref objects (responses, headers, examples)."""
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(d, node["$ref"])
    return node


def _refs(node, path="$"):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield path, v
            else:
                yield from _refs(v, "%s.%s" % (path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _refs(v, "%s[%d]" % (path, i))


ROOM_OPERATIONS = {("/rooms", "post"), ("/rooms", "get"), ("/rooms", "delete"),
                   ("/rooms/{roomId}", "get"), ("/rooms/{roomId}", "delete"),
                   ("/rooms/{roomId}/config", "get"),
                   ("/rooms/{roomId}/config", "put"),
                   ("/rooms/{roomId}/status", "put")}

REC_OPERATIONS = {("/recordings", "post"), ("/recordings", "get"),
                  ("/recordings", "delete"), ("/recordings/download", "get"),
                  ("/recordings/{recordingId}", "get"),
                  ("/recordings/{recordingId}", "delete"),
                  ("/recordings/{recordingId}/stop", "post"),
                  ("/recordings/{recordingId}/media", "get"),
                  ("/recordings/{recordingId}/url", "get")}

# Status codes of the reference that meetd cannot produce for an operation:
# they need the access or room-member tokens (BEHAVIOUR.md §2.1-2.3), and
# meetd only takes the API key (plus the recording `secret`). 403 stays
# where meetd answers it for another reason ("Recording is disabled", §7.1
# step 4 and §7.2); the download's 400 is for member tokens only (§7.5).
UNREACHABLE = {("/recordings/download", "get"): {"400"}}


class DocumentsTest(unittest.TestCase):
    def test_our_document_loads(self):
        d = doc()
        self.assertEqual(d["openapi"], "3.1.0")
        self.assertEqual([s["url"] for s in d["servers"]], ["/api/v1", "/meet/api/v1"])
        schemes = d["components"]["securitySchemes"]
        self.assertEqual({k: (s["type"], s["in"], s["name"])
                          for k, s in schemes.items()},
                         {"apiKey": ("apiKey", "header", "X-API-KEY"),
                          "liveKitSignature": ("apiKey", "header", "Authorization")})
        self.assertEqual(set(operations(d)), ROOM_OPERATIONS | REC_OPERATIONS | {
            ("/openapi.yaml", "get"), ("/health", "get"),
            ("/livekit/webhook", "post")})
        # The webhook lives at the root like /health, and takes LiveKit's
        # signature instead of the API key.
        self.assertEqual([s["url"] for s in d["paths"]["/livekit/webhook"]["servers"]],
                         ["/"])
        hook = d["paths"]["/livekit/webhook"]["post"]
        self.assertEqual(hook["security"], [{"liveKitSignature": []}])
        self.assertEqual(set(hook["responses"]), {"200", "401", "503"})
        self.assertIn("application/webhook+json", hook["requestBody"]["content"])
        # Recordings readable with a `secret` also allow anonymous access.
        for path in ("/recordings/{recordingId}", "/recordings/{recordingId}/media"):
            self.assertEqual(d["paths"][path]["get"]["security"], [{"apiKey": []}, {}])
        for path, method in operations(d):
            op = d["paths"][path][method]
            self.assertTrue(op.get("operationId"), (path, method))
        self.assertEqual(d["paths"]["/health"]["get"]["security"], [])
        self.assertEqual(d["paths"]["/openapi.yaml"]["get"]["security"], [])

    def test_every_ref_resolves(self):
        d = doc()
        for where, r in _refs(d):
            try:
                resolve(d, r)
            except SchemaError as e:
                self.fail("%s: %s" % (where, e))

    def test_every_operation_documents_errors_and_examples(self):
        d = doc()
        for path, method in ROOM_OPERATIONS | REC_OPERATIONS:
            codes = set(d["paths"][path][method]["responses"])
            for code in ("401", "422", "500", "503"):
                self.assertIn(code, codes, (path, method))
            if "{roomId}" in path or "{recordingId}" in path:
                self.assertIn("404", codes, (path, method))
        for path, method in operations(d):
            n = 0
            for code, resp in d["paths"][path][method]["responses"].items():
                resp = self._deref(d, resp)
                for media in (resp.get("content") or {}).values():
                    n += ("example" in media) + len(media.get("examples") or {})
            self.assertGreater(n, 0, "%s %s has no example" % (method, path))

    @staticmethod
    def _deref(d, node):
        while isinstance(node, dict) and "$ref" in node:
            node = resolve(d, node["$ref"])
        return node

    def test_our_examples_validate(self):
        """Every example of our document matches its own schema."""
        d = doc()
        checked = 0
        for path, method in operations(d):
            op = d["paths"][path][method]
            media_objects = []
            body = self._deref(d, op.get("requestBody"))
            if body:
                media_objects += [("request", m) for m in body["content"].values()]
            for code, resp in op["responses"].items():
                resp = self._deref(d, resp)
                media_objects += [(code, m) for m in (resp.get("content") or {}).values()]
            for where, media in media_objects:
                values = []
                if "example" in media:
                    values.append(("example", media["example"]))
                for name, ex in (media.get("examples") or {}).items():
                    values.append((name, self._deref(d, ex)["value"]))
                for name, value in values:
                    errs = validate(d, media["schema"], value)
                    self.assertEqual(errs, [], "%s %s %s %s" % (method, path, where, name))
                    checked += 1
        self.assertGreater(checked, 20)

    @unittest.skipUnless(HAVE_REF, NO_REF)
    def test_reference_loads(self):
        r = ref()
        self.assertEqual(r["openapi"], "3.1.0")
        # Spot checks of constructs the reference uses.
        self.assertEqual(r["servers"], [{"url": "/api/v1",
                                         "description": "OpenVidu Meet API"}])
        self.assertEqual(r["paths"]["/rooms"]["post"]["security"],
                         [{"apiKeyHeader": []}, {"accessTokenHeader": []}])
        room = r["components"]["schemas"]["meet-room"]["properties"]
        self.assertEqual(room["roomName"]["type"], ["string", "null"])
        self.assertEqual(room["roomName"]["maxLength"], 50)
        self.assertTrue(room["roomName"]["description"].endswith(
            'the default value "Room" will be used.\n'))
        self.assertEqual(room["status"]["enum"], ["open", "active_meeting", "closed"])
        self.assertEqual(r["paths"]["/rooms/{roomId}"]["delete"]["responses"]["409"],
                         {"$ref": "#/components/responses/error-room-process-deletion"})
        ex = r["components"]["responses"]["validation-error"]["content"][
            "application/json"]["example"]
        self.assertEqual(ex["details"], [{"field": "{{field}}",
                                          "message": "Expected {{type}} but got {{value}}"}])
        rec = r["components"]["responses"]["success-get-recording"]["content"][
            "application/json"]["examples"]["completed_recording"]["value"]
        self.assertEqual((rec["duration"], rec["size"], rec["details"]),
                         (3.6, 1443846, "End reason: StopEgress API"))
        self.assertIn("fields=roomId,roomName,creationDate,autoDeletionDate,config",
                      r["components"]["responses"]["success-get-rooms"]["content"][
                          "application/json"]["examples"])
        self.assertEqual(r["components"]["parameters"]["max-items"]["schema"],
                         {"type": "integer", "default": 10, "maximum": 100})
        self.assertEqual(r["components"]["schemas"]["MeetRecordingVideoEncodingOptions"][
            "required"][5], "keyFrameInterval")
        desc = r["components"]["parameters"]["recording-range"]["description"]
        self.assertIn("\n\nExamples:\n  - `bytes=0-1023`", desc)
        self.assertEqual(r["webhooks"]["recordingStarted"]["post"]["requestBody"][
            "content"]["application/json"]["schema"]["allOf"][0],
            {"$ref": "#/components/schemas/webhook-base-event"})
        for where, rr in _refs(r):
            resolve(r, rr)

    @unittest.skipUnless(HAVE_REF, NO_REF)
    def test_room_operations_match_reference(self):
        """Every rooms operation of the reference is in our document, and our
        responses cover the reference's status codes (but 403: meetd only
        takes API keys, so no request of it can be forbidden)."""
        r, d = ref(), doc()
        ref_rooms = {(p, m) for p, m in operations(r) if p.startswith("/rooms")}
        self.assertEqual(ref_rooms, ROOM_OPERATIONS)
        for path, method in ROOM_OPERATIONS:
            theirs = set(r["paths"][path][method]["responses"]) - {"403"}
            ours = set(d["paths"][path][method]["responses"])
            self.assertEqual(theirs - ours, set(), "%s %s" % (method, path))
            rp = {self._deref(r, p)["name"]
                  for p in r["paths"][path][method].get("parameters", [])}
            dp = {self._deref(d, p)["name"]
                  for p in (d["paths"][path].get("parameters", []) +
                            d["paths"][path][method].get("parameters", []))}
            self.assertEqual(rp, dp, "parameters of %s %s" % (method, path))

    @unittest.skipUnless(HAVE_REF, NO_REF)
    def test_recording_operations_match_reference(self):
        """Every recordings operation of the reference is in our document,
        with at least its parameters and the status codes meetd can give;
        the media and download operations send the same content types."""
        r, d = ref(), doc()
        ref_recs = {(p, m) for p, m in operations(r) if p.startswith("/recordings")}
        self.assertEqual(ref_recs, REC_OPERATIONS)
        for path, method in REC_OPERATIONS:
            theirs = set(r["paths"][path][method]["responses"])
            theirs -= UNREACHABLE.get((path, method), set())
            if "403" in theirs and (path, method) not in (
                    ("/recordings", "post"), ("/recordings/{recordingId}/stop", "post")):
                theirs.discard("403")
            ours = set(d["paths"][path][method]["responses"])
            self.assertEqual(theirs - ours, set(), "%s %s" % (method, path))
            for code in UNREACHABLE.get((path, method), set()):
                self.assertNotIn(code, ours, "%s %s %s" % (method, path, code))
            rp = {self._deref(r, p)["name"]
                  for p in r["paths"][path][method].get("parameters", [])}
            dp = {self._deref(d, p)["name"]
                  for p in (d["paths"][path].get("parameters", []) +
                            d["paths"][path][method].get("parameters", []))}
            self.assertEqual(rp - dp, set(), "parameters of %s %s" % (method, path))
        # What meetd adds: `fields` on GET one recording (§6.9, §7.6) and
        # `privateAccess` on the URL (§7.9).
        names = lambda path: {self._deref(d, p)["name"] for p in (
            d["paths"][path].get("parameters", []) +
            d["paths"][path]["get"].get("parameters", []))}
        self.assertIn("fields", names("/recordings/{recordingId}"))
        self.assertIn("privateAccess", names("/recordings/{recordingId}/url"))
        for path, code, ctype in (("/recordings/{recordingId}/media", "200", "video/mp4"),
                                  ("/recordings/{recordingId}/media", "206", "video/mp4"),
                                  ("/recordings/download", "200", "application/zip")):
            for x in (r, d):
                resp = self._deref(x, x["paths"][path]["get"]["responses"][code])
                self.assertEqual(list(resp["content"]), [ctype], (path, code))
        media = d["paths"]["/recordings/{recordingId}/media"]["get"]["responses"]
        self.assertEqual(set(self._deref(d, media["206"])["headers"]),
                         {"Accept-Ranges", "Content-Length", "Cache-Control",
                          "Content-Range"})

    @unittest.skipUnless(HAVE_REF, NO_REF)
    def test_response_schemas_compatible(self):
        unexpected, _, compared = schema_differences()
        self.assertGreaterEqual(len(compared), 70)
        self.assertGreaterEqual(len([c for c in compared if "/recordings" in c[0]]), 40)
        self.assertEqual(unexpected, [], "\n" + "\n".join(unexpected))

    @unittest.skipUnless(HAVE_REF, NO_REF)
    def test_allow_list_is_used(self):
        _, used, _ = schema_differences()
        stale = [ALLOWED_DEVIATIONS[i] for i in range(len(ALLOWED_DEVIATIONS))
                 if i not in used]
        self.assertEqual(stale, [], "allow-list entries that match nothing")

    @unittest.skipUnless(HAVE_REF, NO_REF)
    def test_comparison_catches_drift(self):
        """A copy of our document with a dropped property, a changed enum
        and a new required name fails the comparison, allow-list or not."""
        import copy
        d = copy.deepcopy(doc())
        room = d["components"]["schemas"]["Room"]
        del room["properties"]["config"]["$ref"]
        room["properties"]["config"]["type"] = "object"
        room["properties"]["status"]["enum"].append("archived")
        d["components"]["schemas"]["Pagination"]["required"] = ["maxItems"]
        r = ref()
        diffs = compare_shapes(shape(r, response_schema(r, "/rooms", "get", 200)),
                               shape(d, response_schema(d, "/rooms", "get", 200)))
        unexpected = [x for x in diffs if allowed("get /rooms", "200", x) is None]
        self.assertIn(("$.rooms[].config", "missing-property", "captions"), unexpected)
        self.assertIn(("$.pagination", "required", "reference [], meetd ['maxItems']"),
                      unexpected)
        self.assertTrue([x for x in unexpected if x[:2] == ("$.rooms[].status", "enum")
                         and "archived" in x[2]], unexpected)
        # The recordings allow-list (nullable optional fields) does not hide
        # other changes to the same fields.
        rec = d["components"]["schemas"]["Recording"]["properties"]
        del rec["filename"]
        rec["size"]["type"] = "string"
        rec["status"]["enum"].remove("limit_reached")
        diffs = compare_shapes(shape(r, response_schema(r, "/recordings", "get", 200)),
                               shape(d, response_schema(d, "/recordings", "get", 200)))
        unexpected = [x for x in diffs if allowed("get /recordings", "200", x) is None]
        self.assertIn(("$.recordings[]", "missing-property", "filename"), unexpected)
        self.assertIn(("$.recordings[].size", "type", "reference null|number, meetd string"),
                      unexpected)
        self.assertTrue([x for x in unexpected if x[:2] == ("$.recordings[].status", "enum")],
                        unexpected)
        self.assertNotIn("$.recordings[].startDate", [x[0] for x in unexpected])

    def test_shape_comparison_reports_precisely(self):
        d = load_yaml("""
components:
  schemas:
    A:
      type: object
      required: [x]
      properties:
        x:
          type: string
          enum: [a, b]
        y:
          type: array
          items:
            $ref: '#/components/schemas/B'
    B:
      type: object
      properties:
        z:
          type: integer
    C:
      allOf:
        - $ref: '#/components/schemas/A'
        - properties:
            x:
              enum: [a]
            w:
              type: boolean
""")
        a = shape(d, {"$ref": "#/components/schemas/A"})
        self.assertEqual(compare_shapes(a, a), [])
        c = shape(d, {"$ref": "#/components/schemas/C"})
        self.assertEqual(compare_shapes(a, c), [
            ("$", "extra-property", "w"),
            ("$.x", "enum", 'reference ["a", "b"], meetd ["a"]')])
        b2 = load_yaml("type: object\nproperties:\n  z:\n    type: number\n  q: {}\n")
        self.assertEqual(compare_shapes(shape(d, {"$ref": "#/components/schemas/B"}),
                                        shape(d, b2)),
                         [("$", "extra-property", "q"),
                          ("$.z", "type", "reference integer, meetd number")])


# ---- live checks against meetd ---------------------------------------------------------

class LiveTest(unittest.TestCase):
    """Each answer is validated against the reference's schema for that
    operation and status, and against ours. The BEHAVIOUR.md §12 differences
    (PUT status adds `room`, the 409 deletion `error` is a code, roomName and
    autoDeletionDate are never null, keyFrameInterval's spelling) and the
    §5.2 one (a recording's optional fields are left out, never null) all go
    in the direction the reference schema tolerates (it allows extra
    properties and null), so no answer here needs `ref=False`; ours is the
    strict check for them. Only the LiveKit webhook, which the reference
    document does not describe, is checked against ours alone.

    Recordings are real (ffmpeg, a 320x240 encoding, about a second each):
    test_recording_lifecycle makes two, the other tests need none."""

    @classmethod
    def setUpClass(cls):
        cls.m = Meetd(workers=2)

    @classmethod
    def tearDownClass(cls):
        cls.m.cleanup()

    @staticmethod
    def targets(ref_check=True):
        out = [("meetd", doc())]
        if ref_check and HAVE_REF:
            out.insert(0, ("reference", ref()))
        return out

    def call(self, method, path, template, expect, body=None, ref_check=True,
             prefix="/api/v1", **kw):
        """Sends the request, asserts the status, validates the JSON body
        against the documented schemas of `template` and checks the
        documented headers. Returns the body; the headers are kept in
        self.headers."""
        st, h, data = self.m.request(method, prefix + path, body=body, **kw)
        what = "%s %s -> %s %s" % (method, path, st, json.dumps(data)[:2000])
        self.assertEqual(st, expect, what)
        self.assertIn("application/json", h.get("content-type", ""), what)
        errors = []
        for name, d in self.targets(ref_check):
            schema = response_schema(d, template, method, st)
            errors += ["%s schema: %s" % (name, e) for e in validate(d, schema, data)]
        errors += self.header_errors(template, method, st, h, ref_check)
        self.assertEqual(errors, [], "%s\n%s" % (what, "\n".join(errors)))
        self.headers = h
        return data

    def header_errors(self, template, method, status, hdrs, ref_check=True):
        """Every response header that a document promises for this answer
        is present, and its value fits the header's schema."""
        errors = []
        for name, d in self.targets(ref_check):
            resp = _deref(d, d["paths"][template][method.lower()]["responses"][str(status)])
            for hname, header in (resp.get("headers") or {}).items():
                header = _deref(d, header)
                value = hdrs.get(hname.lower())
                if value is None:
                    errors.append("%s: no %s header" % (name, hname))
                    continue
                schema = header.get("schema") or {}
                if schema.get("type") == "integer" and re.fullmatch(r"[0-9]+", value):
                    value = int(value)
                errors += ["%s: header %s: %s" % (name, hname, e)
                           for e in validate(d, schema, value)]
        return errors

    def binary(self, path, template, expect, ctype, headers=None, key=True):
        """A GET whose success is a file (media, ZIP): checks the status,
        the content type and the documented headers; returns (headers,
        body bytes)."""
        st, h, data = self.m.request("GET", "/api/v1" + path, headers=headers,
                                     key=key, binary=True)
        what = "GET %s %s -> %s %r" % (path, headers or "", st, data[:300])
        self.assertEqual(st, expect, what)
        self.assertEqual(h.get("content-type", "").split(";")[0], ctype, what)
        errors = self.header_errors(template, "get", st, h)
        self.assertEqual(errors, [], "%s\n%s" % (what, "\n".join(errors)))
        return h, data

    def create(self, body=None):
        return self.call("POST", "/rooms", "/rooms", 201,
                         body=body if body is not None else {})

    def test_create_room(self):
        room = self.create({
            "roomName": "Schema  check",
            "autoDeletionDate": int(time.time() * 1000) + 2 * HOUR_MS,
            "autoDeletionPolicy": {"withMeeting": "force", "withRecordings": "force"},
            "config": {"chat": {"enabled": False},
                       "recording": {"enabled": True, "layout": "speaker",
                                     "encoding": {
                                         "video": {"width": 1280, "height": 720,
                                                   "framerate": 30, "codec": "H264_MAIN",
                                                   "bitrate": 3000, "keyFrameInterval": 2,
                                                   "depth": 24},
                                         "audio": {"codec": "OPUS", "bitrate": 128,
                                                   "frequency": 44100}}},
                       "e2ee": {"enabled": False}}})
        self.assertEqual(room["roomName"], "Schema check")
        self.create({})
        self.create({"config": {"e2ee": {"enabled": True}}})

    def test_list_rooms_with_pagination(self):
        for i in range(3):
            self.create({"roomName": "page %d" % i})
        first = self.call("GET", "/rooms?maxItems=2", "/rooms", 200)
        self.assertEqual(len(first["rooms"]), 2)
        self.assertTrue(first["pagination"]["isTruncated"])
        token = urllib.parse.quote(first["pagination"]["nextPageToken"], safe="")
        self.call("GET", "/rooms?maxItems=2&nextPageToken=" + token, "/rooms", 200)
        self.call("GET", "/rooms?fields=roomId,config.recording&sortField=roomName"
                  "&sortOrder=asc&status=open&roomName=PAGE", "/rooms", 200)
        self.call("GET", "/rooms?maxItems=500", "/rooms", 200)

    def test_get_room_and_config(self):
        room = self.create({"roomName": "getter"})
        rid = room["roomId"]
        self.call("GET", "/rooms/" + rid, "/rooms/{roomId}", 200)
        self.call("GET", "/rooms/%s?fields=roomId,moderatorUrl" % rid,
                  "/rooms/{roomId}", 200)
        self.call("GET", "/rooms/%s/config" % rid, "/rooms/{roomId}/config", 200)

    def test_update_config(self):
        rid = self.create()["roomId"]
        self.call("PUT", "/rooms/%s/config" % rid, "/rooms/{roomId}/config", 200,
                  body={"config": {"recording": {"enabled": False},
                                   "captions": {"enabled": False}}})
        self.call("PUT", "/rooms/%s/config" % rid, "/rooms/{roomId}/config", 200,
                  body={"config": {"recording": {
                      "enabled": True, "encoding": {
                          "video": {"width": 640, "height": 360, "framerate": 15,
                                    "codec": "VP8", "bitrate": 800,
                                    "keyFrameInterval": 1.5, "depth": 24},
                          "audio": {"codec": "AAC", "bitrate": 64,
                                    "frequency": 48000}}}}})
        cfg = self.call("GET", "/rooms/%s/config" % rid, "/rooms/{roomId}/config", 200)
        self.assertEqual(cfg["recording"]["encoding"]["video"]["keyFrameInterval"], 1.5)

    def test_update_status(self):
        rid = self.create()["roomId"]
        # The reference schema documents only `message`; the `room` that the
        # real server adds (BEHAVIOUR.md §12) is checked by ours.
        body = self.call("PUT", "/rooms/%s/status" % rid, "/rooms/{roomId}/status",
                         200, body={"status": "closed"})
        self.assertEqual(body["room"]["status"], "closed")
        self.call("PUT", "/rooms/%s/status" % rid, "/rooms/{roomId}/status", 200,
                  body={"status": "open"})

    def test_delete_room(self):
        rid = self.create()["roomId"]
        body = self.call("DELETE", "/rooms/" + rid, "/rooms/{roomId}", 200)
        self.assertEqual(body["successCode"], "room_deleted")
        self.call("GET", "/rooms/" + rid, "/rooms/{roomId}", 404)

    def test_bulk_delete(self):
        a = self.create()["roomId"]
        b = self.create()["roomId"]
        body = self.call("DELETE", "/rooms?roomIds=%s,%s" % (a, b), "/rooms", 200)
        self.assertEqual(len(body["successful"]), 2)
        c = self.create()["roomId"]
        body = self.call("DELETE", "/rooms?roomIds=%s,missing_room" % c, "/rooms", 400)
        self.assertEqual(len(body["failed"]), 1)
        body = self.call("DELETE", "/rooms?roomIds=gone1,gone2", "/rooms", 400)
        self.assertEqual(body["successful"], [])

    def test_unauthorized(self):
        rid = self.create()["roomId"]
        cases = [("POST", "/rooms", "/rooms", {}),
                 ("GET", "/rooms", "/rooms", None),
                 ("DELETE", "/rooms?roomIds=" + rid, "/rooms", None),
                 ("GET", "/rooms/" + rid, "/rooms/{roomId}", None),
                 ("DELETE", "/rooms/" + rid, "/rooms/{roomId}", None),
                 ("GET", "/rooms/%s/config" % rid, "/rooms/{roomId}/config", None),
                 ("PUT", "/rooms/%s/config" % rid, "/rooms/{roomId}/config",
                  {"config": {}}),
                 ("PUT", "/rooms/%s/status" % rid, "/rooms/{roomId}/status",
                  {"status": "open"})]
        for method, path, template, body in cases:
            with self.subTest(method=method, path=path):
                self.call(method, path, template, 401, body=body, key=False)
                self.call(method, path, template, 401, body=body, key=False,
                          headers={"X-API-KEY": "wrong-key"})
        self.call("GET", "/rooms/" + rid, "/rooms/{roomId}", 200)

    def test_not_found(self):
        cases = [("GET", "/rooms/no_such_room", "/rooms/{roomId}", None),
                 ("DELETE", "/rooms/no_such_room", "/rooms/{roomId}", None),
                 ("GET", "/rooms/no_such_room/config", "/rooms/{roomId}/config", None),
                 ("PUT", "/rooms/no_such_room/config", "/rooms/{roomId}/config",
                  {"config": {"chat": {"enabled": True}}}),
                 ("PUT", "/rooms/no_such_room/status", "/rooms/{roomId}/status",
                  {"status": "closed"})]
        for method, path, template, body in cases:
            with self.subTest(method=method, path=path):
                self.call(method, path, template, 404, body=body)

    def test_validation_errors(self):
        rid = self.create()["roomId"]
        cases = [("POST", "/rooms", "/rooms", {"roomName": 12345}),
                 ("POST", "/rooms", "/rooms", {"autoDeletionDate": -1}),
                 ("POST", "/rooms", "/rooms",
                  {"config": {"recording": {"enabled": True, "encoding": "BAD"}}}),
                 ("GET", "/rooms?maxItems=0", "/rooms", None),
                 ("GET", "/rooms?maxItems=abc", "/rooms", None),
                 ("GET", "/rooms?sortField=nope", "/rooms", None),
                 ("GET", "/rooms?nextPageToken=%25%25notatoken", "/rooms", None),
                 ("DELETE", "/rooms", "/rooms", None),
                 ("DELETE", "/rooms?roomIds=,,", "/rooms", None),
                 ("GET", "/rooms/" + "r" * 101, "/rooms/{roomId}", None),
                 ("DELETE", "/rooms/%s?withMeeting=bad" % rid, "/rooms/{roomId}", None),
                 ("GET", "/rooms/%24%24/config", "/rooms/{roomId}/config", None),
                 ("PUT", "/rooms/%s/config" % rid, "/rooms/{roomId}/config", {}),
                 ("PUT", "/rooms/%s/config" % rid, "/rooms/{roomId}/config",
                  {"config": {"recording": {"enabled": True, "encoding": {
                      "video": {"width": 1, "height": 1, "framerate": 1,
                                "codec": "VP8", "bitrate": 1, "keyFrameInterval": 0,
                                "depth": 1},
                      "audio": {"codec": "OPUS", "bitrate": 1, "frequency": 1}}}}}),
                 ("PUT", "/rooms/%s/status" % rid, "/rooms/{roomId}/status",
                  {"status": "active_meeting"})]
        for method, path, template, body in cases:
            with self.subTest(method=method, path=path, body=body):
                data = self.call(method, path, template, 422, body=body)
                self.assertTrue(data.get("details"), data)

    def test_conflicts(self):
        """A meeting started by a signed LiveKit webhook makes the room's
        deletion and configuration conflict, and its closure scheduled."""
        rid = self.live_room(participants=False)
        self.assertEqual(self.call("GET", "/rooms/" + rid, "/rooms/{roomId}",
                                   200)["status"], "active_meeting")
        body = self.call("DELETE", "/rooms/" + rid, "/rooms/{roomId}", 409)
        self.assertEqual(body["error"], "room_has_active_meeting")
        self.call("PUT", "/rooms/%s/config" % rid, "/rooms/{roomId}/config", 409,
                  body={"config": {"chat": {"enabled": False}}})
        body = self.call("PUT", "/rooms/%s/status" % rid, "/rooms/{roomId}/status",
                         202, body={"status": "closed"})
        self.assertEqual(body["room"]["meetingEndAction"], "close")
        body = self.call("DELETE", "/rooms/%s?withMeeting=when_meeting_ends" % rid,
                         "/rooms/{roomId}", 202)
        self.assertEqual(body["room"]["meetingEndAction"], "delete")

    # ---- recordings ----

    def webhook(self, body):
        st, h, data = lk_send(self.m, body)
        self.assertEqual((st, data), (200, ""), body)

    def live_room(self, recording=True, participants=True):
        """A room whose meeting LiveKit reported started (and joined)."""
        rid = self.create({"roomName": "Recorded", "config": {
            "recording": {"enabled": recording, "encoding": SMALL}}})["roomId"]
        self.webhook(lk_event("room_started", rid))
        if participants:
            self.webhook(lk_event("participant_joined", rid, participant="alice"))
        return rid

    def record(self, rid, seconds=1.0):
        """Starts a recording, lets it run, stops it and waits until it is
        complete, validating every answer. Returns the final recording."""
        rec = self.call("POST", "/recordings", "/recordings", 201,
                        body={"roomId": rid})
        rec_id = rec["recordingId"]
        self.assertEqual(rec["status"], "active")
        self.assertTrue(self.headers["location"].endswith("/api/v1/recordings/" + rec_id))
        time.sleep(seconds)
        stopped = self.call("POST", "/recordings/%s/stop" % rec_id,
                            "/recordings/{recordingId}/stop", 202)
        self.assertIn(stopped["status"], ("ending", "complete"))
        self.assertTrue(self.headers["location"].endswith("/api/v1/recordings/" + rec_id))
        return self.wait_complete(rec_id)

    def wait_complete(self, rec_id, timeout=15):
        deadline = time.time() + timeout
        while True:
            rec = self.call("GET", "/recordings/" + rec_id,
                            "/recordings/{recordingId}", 200)
            if rec["status"] == "complete" or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(rec["status"], "complete", rec)
        return rec

    def test_recording_lifecycle(self):
        rid = self.live_room()
        # In progress: a second start, a deletion and the media conflict.
        rec = self.call("POST", "/recordings", "/recordings", 201,
                        body={"roomId": rid, "config": {"layout": "speaker"}})
        a = rec["recordingId"]
        self.assertEqual((rec["layout"], rec["encoding"]), ("speaker", SMALL))
        for k in ("endDate", "duration", "size"):
            self.assertNotIn(k, rec)
        body = self.call("POST", "/recordings", "/recordings", 409, body={"roomId": rid})
        self.assertEqual(body["message"], "Room '%s' is already being recorded" % rid)
        self.assertEqual(self.call("GET", "/recordings/" + a, "/recordings/{recordingId}",
                                   200)["status"], "active")
        self.call("GET", "/recordings?roomId=%s&status=active" % rid, "/recordings", 200)
        self.call("DELETE", "/recordings/" + a, "/recordings/{recordingId}", 409)
        self.call("GET", "/recordings/%s/media" % a, "/recordings/{recordingId}/media", 409)
        # A room with recordings and a meeting refuses its deletion.
        body = self.call("DELETE", "/rooms/" + rid, "/rooms/{roomId}", 409)
        self.assertEqual(body["error"], "room_with_recordings_has_active_meeting")
        time.sleep(1.0)
        self.call("POST", "/recordings/%s/stop" % a, "/recordings/{recordingId}/stop", 202)
        done = self.wait_complete(a)
        self.assertGreater(done["size"], 0)
        self.assertEqual(done["details"], "End reason: StopEgress API")
        body = self.call("POST", "/recordings/%s/stop" % a,
                         "/recordings/{recordingId}/stop", 409)
        self.assertEqual(body["message"], "Recording '%s' is already stopped" % a)

        # Reading: list, projection, pages, one recording, links.
        page = self.call("GET", "/recordings?roomId=" + rid, "/recordings", 200)
        self.assertEqual([r["recordingId"] for r in page["recordings"]], [a])
        self.call("GET", "/recordings?roomName=recorded&status=complete&sortField=size"
                  "&sortOrder=asc&fields=recordingId,status,size", "/recordings", 200)
        self.call("GET", "/recordings?maxItems=500&sortField=duration", "/recordings", 200)
        got = self.call("GET", "/recordings/%s?fields=recordingId,status" % a,
                        "/recordings/{recordingId}", 200)
        self.assertEqual(got, {"recordingId": a, "status": "complete"})
        url = self.call("GET", "/recordings/%s/url" % a, "/recordings/{recordingId}/url", 200)
        public = urllib.parse.parse_qs(urllib.parse.urlparse(url["url"]).query)["secret"][0]
        url = self.call("GET", "/recordings/%s/url?privateAccess=TRUE" % a,
                        "/recordings/{recordingId}/url", 200)
        private = urllib.parse.parse_qs(urllib.parse.urlparse(url["url"]).query)["secret"][0]
        self.assertNotEqual(public, private)
        self.call("GET", "/recordings/%s?secret=%s" % (a, public),
                  "/recordings/{recordingId}", 200, key=False)
        self.call("GET", "/recordings/%s?secret=nope" % a, "/recordings/{recordingId}", 400)
        self.call("GET", "/recordings/%s?secret=%s" % (a, private),
                  "/recordings/{recordingId}", 401)

        # The media: whole, ranges, the public secret, 416, and the ZIP.
        media_path = "/recordings/%s/media" % a
        tmpl = "/recordings/{recordingId}/media"
        h, whole = self.binary(media_path, tmpl, 200, "video/mp4")
        size = done["size"]
        self.assertEqual((len(whole), int(h["content-length"])), (size, size))
        self.assertEqual((h["accept-ranges"], h["cache-control"]),
                         ("bytes", "public, max-age=3600"))
        self.assertNotIn("content-range", h)
        h, part = self.binary(media_path, tmpl, 206, "video/mp4",
                              headers={"Range": "bytes=10-99"})
        self.assertEqual(part, whole[10:100])
        self.assertEqual((h["content-range"], h["content-length"]),
                         ("bytes 10-99/%d" % size, "90"))
        self.assertEqual((h["accept-ranges"], h["cache-control"]),
                         ("bytes", "public, max-age=3600"))
        h, part = self.binary(media_path, tmpl, 206, "video/mp4",
                              headers={"Range": "bytes=%d-" % (size - 5)})
        self.assertEqual((part, h["content-range"]),
                         (whole[-5:], "bytes %d-%d/%d" % (size - 5, size - 1, size)))
        _, part = self.binary(media_path, tmpl, 200, "video/mp4",
                              headers={"Range": "bytes=500-100"})
        self.assertEqual(part, whole)
        _, part = self.binary("%s?secret=%s" % (media_path, public), tmpl, 206,
                              "video/mp4", headers={"Range": "bytes=0-9"}, key=False)
        self.assertEqual(part, whole[:10])
        body = self.call("GET", media_path, tmpl, 416, headers={"Range": "bytes=%d-" % size})
        self.assertEqual(body["message"], "Recording '%s' range not satisfiable. "
                         "File size: %d" % (a, size))
        self.assertNotIn("content-range", self.headers)
        h, data = self.binary("/recordings/download?recordingIds=%s,%s--EG_abcdefghijkl--0123456789"
                              % (a, rid), "/recordings/download", 200, "application/zip")
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.assertEqual(z.namelist(), [done["filename"]])
            self.assertEqual(z.read(done["filename"]), whole)

        # A second short recording, then the deletions.
        b = self.record(rid)["recordingId"]
        body = self.call("DELETE", "/recordings?recordingIds=%s--EG_abcdefghijkl--0123456789"
                         % rid, "/recordings", 400)
        self.assertEqual(body["deleted"], [])
        body = self.call("DELETE", "/recordings?recordingIds=%s,%s" % (b, b),
                         "/recordings", 200)
        self.assertEqual(body, {"message": "All recordings deleted successfully",
                                "deleted": [b]})
        body = self.call("DELETE", "/recordings/" + a, "/recordings/{recordingId}", 200)
        self.assertEqual(body, {"message": "Recording '%s' deleted successfully" % a})
        body = self.call("DELETE", "/recordings?recordingIds=%s,%s" % (b, a),
                         "/recordings", 400)
        self.assertEqual((body["deleted"], [f["recordingId"] for f in body["failed"]]),
                         ([], [b, a]))
        self.call("GET", "/recordings/" + a, "/recordings/{recordingId}", 404)
        self.call("GET", "/recordings/%s/url" % a, "/recordings/{recordingId}/url", 404)
        self.call("DELETE", "/recordings/" + a, "/recordings/{recordingId}", 404)
        page = self.call("GET", "/recordings?roomId=" + rid, "/recordings", 200)
        self.assertEqual(page["recordings"], [])

    def test_recording_errors(self):
        """The errors that need no recording: 401, 403, 404, 409 and 422."""
        rid = self.live_room()
        off = self.live_room(recording=False)
        quiet = self.live_room(participants=False)
        fake = "%s--EG_abcdefghijkl--0123456789" % rid
        lost = "no_such_room--EG_abcdefghijkl--0123456789"
        r, one = "/recordings", "/recordings/{recordingId}"
        stop, media, url = one + "/stop", one + "/media", one + "/url"
        cases = [("POST", r, r, {"roomId": rid}),
                 ("GET", r, r, None),
                 ("DELETE", r + "?recordingIds=" + fake, r, None),
                 ("GET", r + "/download?recordingIds=" + fake, r + "/download", None),
                 ("GET", r + "/" + fake, one, None),
                 ("DELETE", r + "/" + fake, one, None),
                 ("POST", "%s/%s/stop" % (r, fake), stop, None),
                 ("GET", "%s/%s/media" % (r, fake), media, None),
                 ("GET", "%s/%s/url" % (r, fake), url, None)]
        for method, path, template, body in cases:
            with self.subTest(status=401, method=method, path=path):
                self.call(method, path, template, 401, body=body, key=False)
                self.call(method, path, template, 401, body=body, key=False,
                          headers={"X-API-KEY": "wrong-key"})
        # 404: unknown room or recording (also with a secret, before auth).
        body = self.call("POST", r, r, 404, body={"roomId": "no_such_room"})
        self.assertEqual(body["error"], "Room Error")
        for method, path, template in (("GET", r + "/" + fake, one),
                                       ("GET", "%s/%s?secret=x" % (r, fake), one),
                                       ("DELETE", r + "/" + fake, one),
                                       ("GET", "%s/%s/media" % (r, fake), media),
                                       ("GET", "%s/%s/url" % (r, fake), url)):
            with self.subTest(status=404, method=method, path=path):
                body = self.call(method, path, template, 404,
                                 key="secret=" not in path)
                self.assertEqual(body["message"], "Recording '%s' not found" % fake)
        body = self.call("POST", "%s/%s/stop" % (r, fake), stop, 404)
        self.assertEqual(body["message"], "Recording 'EG_abcdefghijkl' not found")
        body = self.call("POST", "%s/%s/stop" % (r, lost), stop, 404)
        self.assertEqual(body["error"], "Room Error")
        # 403: recording disabled; 409: nobody in the meeting.
        body = self.call("POST", r, r, 403, body={"roomId": off})
        self.assertEqual(body["message"], "Recording is disabled for room '%s'" % off)
        self.call("POST", "%s/%s--EG_abcdefghijkl--0123456789/stop" % (r, off), stop, 403)
        body = self.call("POST", r, r, 409, body={"roomId": quiet})
        self.assertEqual(body["message"], "Room '%s' has no participants" % quiet)
        # An archive of nothing is still an archive.
        _, data = self.binary(r + "/download?recordingIds=" + fake, r + "/download",
                              200, "application/zip")
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.assertEqual(z.namelist(), [])
        # 422.
        cases = [("POST", r, r, {}),
                 ("POST", r, r, {"roomId": rid, "config": {"layout": "mosaic"}}),
                 ("POST", r, r, {"roomId": rid, "config": {"encoding": "H264_4K"}}),
                 ("GET", r + "?maxItems=0", r, None),
                 ("GET", r + "?status=done", r, None),
                 ("GET", r + "?sortField=endDate", r, None),
                 ("DELETE", r, r, None),
                 ("DELETE", r + "?recordingIds=bad", r, None),
                 ("GET", r + "/download?recordingIds=,,", r + "/download", None),
                 ("GET", r + "/bad", one, None),
                 ("GET", "%s/%s?secret=a&secret=b" % (r, fake), one, None),
                 ("DELETE", r + "/bad", one, None),
                 ("POST", r + "/bad/stop", stop, None),
                 ("GET", r + "/bad/media", media, None),
                 ("GET", "%s/%s/url?privateAccess=a&privateAccess=b" % (r, fake), url, None),
                 ("GET", r + "/bad/url", url, None)]
        for method, path, template, body in cases:
            with self.subTest(status=422, method=method, path=path, body=body):
                data = self.call(method, path, template, 422, body=body)
                self.assertTrue(data.get("details"), data)
        data = self.call("GET", "%s/%s/media" % (r, fake), media, 422,
                         headers={"Range": "bytes=100"})
        self.assertEqual(data["details"], [{"field": "headers.range", "message":
                                            "Invalid range header format. "
                                            "Expected: bytes=start-end"}])

    # ---- the LiveKit webhook (not in the reference: ours only) ----

    def test_livekit_webhook(self):
        rid = self.create()["roomId"]
        body = lk_event("room_started", rid)
        st, _, data = lk_send(self.m, body)
        self.assertEqual((st, data), (200, ""))
        d = doc()
        for token, why in ((lk_token(body, secret="not-the-secret"), "signature"),
                           (lk_token(b"{}"), "body hash"),
                           ("", "no token")):
            with self.subTest(why=why):
                st, h, data = lk_send(self.m, body, token=token)
                self.assertEqual(st, 401, data)
                self.assertIn("application/json", h.get("content-type", ""))
                schema = response_schema(d, "/livekit/webhook", "post", 401)
                self.assertEqual(validate(d, schema, data), [], data)

    def test_health(self):
        """Not in the reference: validated against our document only."""
        st, _, body = self.m.request("GET", "/health", key=False)
        self.assertEqual(st, 200, body)
        d = doc()
        self.assertEqual(validate(d, response_schema(d, "/health", "get", 200), body), [])
        self.assertEqual(body["status"], "ok")
        self.assertEqual(len(body["workers"]), 2)

    def fetch_raw(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.m.port, timeout=10)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type", ""), resp.read()
        finally:
            conn.close()

    def test_openapi_document_is_served(self):
        """GET <mount>/openapi.yaml needs no API key and returns the file."""
        with open(DOC_PATH, "rb") as f:
            expected = f.read()
        for mount in ("/api/v1", "/meet/api/v1"):
            with self.subTest(mount=mount):
                st, ctype, data = self.fetch_raw(mount + "/openapi.yaml")
                self.assertEqual(st, 200, data[:300])
                self.assertRegex(ctype, r"^(application|text)/(x-)?yaml\b")
                self.assertTrue(data == expected,
                                "served %d bytes, docs/openapi.yaml has %d (rebuild "
                                "meetd after editing the document)" % (
                                    len(data), len(expected)))


def shard_of(room_id, nshards):
    """The shard meetd places a room in: FNV-1a 64 of its id."""
    h = 0xcbf29ce484222325
    for b in room_id.encode():
        h = ((h ^ b) * 0x100000001b3) % (1 << 64)
    return h % nshards


class WebhookUnavailableTest(unittest.TestCase):
    def test_503_when_the_rooms_shard_is_down(self):
        """A webhook for a room whose worker does not answer gets 503 (so
        that LiveKit delivers it again), with our documented error body."""
        with Meetd(workers=2, env={"MEET_IPC_TIMEOUT_MS": "500"}) as m:
            st, _, room = m.request("POST", "/api/v1/rooms", body={})
            self.assertEqual(st, 201, room)
            pid = m.worker_pids()[shard_of(room["roomId"], 2)]
            os.kill(pid, signal.SIGSTOP)
            try:
                st, h, data = lk_send(m, lk_event("room_started", room["roomId"]))
            finally:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
            self.assertEqual(st, 503, data)
            self.assertIn("application/json", h.get("content-type", ""))
            d = doc()
            schema = response_schema(d, "/livekit/webhook", "post", 503)
            self.assertEqual(validate(d, schema, data), [], data)


if __name__ == "__main__":
    harness.main()
