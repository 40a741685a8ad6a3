"""OpenAPI helpers for the API tests (Python standard library only).

- load_yaml(text): a loader for the YAML subset that OpenAPI documents use
  (block mappings and sequences, plain/quoted/block scalars, one-line flow
  collections, comments, YAML 1.2 core-schema resolution). Anything outside
  the subset raises YAMLError with the line number.
- resolve(doc, ref) and response_schema(doc, path, method, status): $ref
  lookup and the schema of one documented response.
- validate(doc, schema, value): checks a JSON value against a JSON Schema /
  OpenAPI 3.1 schema and returns a list of error strings (empty when valid).

Not supported on purpose: anchors and aliases, tags, complex (`? `) keys,
multi-document streams, and flow collections that span several lines.
"""

import math
import re

__all__ = ["YAMLError", "load_yaml", "resolve", "response_schema",
           "validate", "SchemaError"]


class YAMLError(ValueError):
    """A document outside the supported subset, or malformed YAML."""

    def __init__(self, lineno, message):
        super().__init__("line %d: %s" % (lineno, message))
        self.lineno = lineno


# ---- scalars ----------------------------------------------------------------

_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_OCT_RE = re.compile(r"0o[0-7]+\Z")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF_RE = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN_RE = re.compile(r"\.(nan|NaN|NAN)\Z")


def _resolve_plain(s):
    """Resolves a plain scalar per the YAML 1.2 core schema."""
    if s in ("", "~", "null", "Null", "NULL"):
        return None
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if _INT_RE.match(s):
        return int(s, 10)
    if _OCT_RE.match(s):
        return int(s[2:], 8)
    if _HEX_RE.match(s):
        return int(s[2:], 16)
    if _FLOAT_RE.match(s):
        return float(s)
    if _INF_RE.match(s):
        return -math.inf if s.startswith("-") else math.inf
    if _NAN_RE.match(s):
        return math.nan
    return s


_DQ_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n",
    "v": "\v", "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"',
    "/": "/", "\\": "\\", "N": "\u0085", "_": "\u00a0", "L": "\u2028",
    "P": "\u2029",
}
_DQ_HEX = {"x": 2, "u": 4, "U": 8}

# Characters that may not start a plain scalar (YAML c-indicator), except
# '-', '?' and ':' which may when followed by a non-space.
_NO_PLAIN_START = set("[]{},#&*!|>'\"%@`")


class _Lines:
    """The document as a list of [lineno, indent, text] (text without the
    indentation and without the line break). Entries may be rewritten in
    place to parse compact forms such as `- key: value`."""

    def __init__(self, text):
        if text.startswith("\ufeff"):
            text = text[1:]
        self.raw = text.split("\n")
        if self.raw and self.raw[-1] == "":
            self.raw.pop()
        self.items = []
        for i, line in enumerate(self.raw):
            line = line.rstrip("\r")
            self.raw[i] = line
            stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            if stripped.startswith("\t") and stripped.strip():
                raise YAMLError(i + 1, "tab character in indentation")
            self.items.append([i + 1, indent, stripped])
        self.pos = 0

    @staticmethod
    def blank(text):
        t = text.strip(" \t")
        return t == "" or t.startswith("#")

    def skip_blank(self):
        while self.pos < len(self.items) and self.blank(self.items[self.pos][2]):
            self.pos += 1

    def peek(self):
        """Returns the next non-blank, non-comment line or None."""
        self.skip_blank()
        return self.items[self.pos] if self.pos < len(self.items) else None


def _is_seq_item(text):
    return text == "-" or text.startswith("- ") or text.startswith("-\t")


def _no_document_marker(line):
    if line[1] == 0 and line[2].rstrip(" \t") in ("---", "..."):
        raise YAMLError(line[0], "multi-document streams are not supported")


def _strip_comment_after(text, lineno, what):
    """`text` must be empty or a comment (after a quoted scalar or flow)."""
    t = text.lstrip(" \t")
    if t and not t.startswith("#"):
        raise YAMLError(lineno, "unexpected text after %s: %r" % (what, t))
    if t.startswith("#") and text[:1] not in (" ", "\t"):
        raise YAMLError(lineno, "a comment must be preceded by a space")


def _plain_end(text, flow):
    """Returns the length of the plain scalar at the start of `text`: it
    ends at ' #', at ': ' / ':' at the end, and in flow context at ',',
    '[', ']', '{', '}'."""
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "#" and i > 0 and text[i - 1] in " \t":
            return i
        if c == ":" and (i + 1 == n or text[i + 1] in " \t" or
                         (flow and text[i + 1] in ",[]{}")):
            return i
        if flow and c in ",[]{}":
            return i
        i += 1
    return n


def _find_key(text, lineno):
    """If `text` is a block mapping entry, returns (key, rest after ':');
    else None."""
    if not text:
        return None
    c = text[0]
    if c in "\"'":
        val, end = _quoted_one_line(text, 0, lineno, allow_open=True)
        if end is None:
            return None
        j = end
        while j < len(text) and text[j] in " \t":
            j += 1
        if j < len(text) and text[j] == ":" and (j + 1 == len(text) or
                                                   text[j + 1] in " \t"):
            return val, text[j + 1:]
        return None
    if c == "?" and (len(text) == 1 or text[1] in " \t"):
        raise YAMLError(lineno, "complex mapping keys ('? ') are not supported")
    if c in _NO_PLAIN_START or _is_seq_item(text):
        return None
    n = _plain_end(text, False)
    if n < len(text) and text[n] == ":":
        key = text[:n].rstrip(" \t")
        if not key:
            return None
        return _resolve_plain(key), text[n + 1:]
    return None


def _quoted_one_line(text, start, lineno, allow_open=False):
    """Parses a quoted scalar that starts at text[start] and closes on the
    same line. Returns (value, index after the closing quote); with
    allow_open, returns (None, None) when it does not close."""
    q = text[start]
    out = []
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if q == "'":
            if c == "'":
                if i + 1 < n and text[i + 1] == "'":
                    out.append("'")
                    i += 2
                    continue
                return "".join(out), i + 1
            out.append(c)
            i += 1
        else:
            if c == '"':
                return "".join(out), i + 1
            if c == "\\":
                if i + 1 >= n:
                    break
                i = _dq_escape(text, i, out, lineno)
                continue
            out.append(c)
            i += 1
    if allow_open:
        return None, None
    raise YAMLError(lineno, "unterminated quoted scalar")


def _dq_escape(text, i, out, lineno):
    """Decodes the escape at text[i] == '\\'; returns the next index."""
    e = text[i + 1]
    if e in _DQ_ESCAPES:
        out.append(_DQ_ESCAPES[e])
        return i + 2
    if e in _DQ_HEX:
        k = _DQ_HEX[e]
        h = text[i + 2:i + 2 + k]
        if len(h) != k or not re.fullmatch(r"[0-9a-fA-F]+", h):
            raise YAMLError(lineno, "bad \\%s escape in double-quoted scalar" % e)
        out.append(chr(int(h, 16)))
        return i + 2 + k
    raise YAMLError(lineno, "unknown escape \\%s in double-quoted scalar" % e)


# ---- flow collections (one line) ---------------------------------------------

def _flow_value(text, i, lineno):
    """Parses one flow node at text[i]; returns (value, next index)."""
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    if i >= n:
        raise YAMLError(lineno, "flow collection does not close on this line "
                        "(multi-line flow collections are not supported)")
    c = text[i]
    if c == "[":
        out = []
        i += 1
        while True:
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] == "]":
                return out, i + 1
            v, i = _flow_value(text, i, lineno)
            out.append(v)
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] == ",":
                i += 1
                continue
            if i < n and text[i] == "]":
                return out, i + 1
            raise YAMLError(lineno, "expected ',' or ']' in flow sequence")
    if c == "{":
        out = {}
        i += 1
        while True:
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] == "}":
                return out, i + 1
            k, i = _flow_value(text, i, lineno)
            while i < n and text[i] in " \t":
                i += 1
            v = None
            if i < n and text[i] == ":":
                i += 1
                while i < n and text[i] in " \t":
                    i += 1
                if i >= n or text[i] not in ",}":
                    v, i = _flow_value(text, i, lineno)
            if isinstance(k, (dict, list)):
                raise YAMLError(lineno, "collection as a mapping key")
            if k in out:
                raise YAMLError(lineno, "duplicate key %r in flow mapping" % (k,))
            out[k] = v
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] == ",":
                i += 1
                continue
            if i < n and text[i] == "}":
                return out, i + 1
            raise YAMLError(lineno, "expected ',' or '}' in flow mapping")
    if c in "\"'":
        return _quoted_one_line(text, i, lineno)
    if c in "&*!":
        raise YAMLError(lineno, "anchors, aliases and tags are not supported")
    if c in ",]}#":
        raise YAMLError(lineno, "unexpected %r in flow collection" % c)
    k = _plain_end(text[i:], True)
    return _resolve_plain(text[i:i + k].rstrip(" \t")), i + k


# ---- the block parser ---------------------------------------------------------

class _Parser:
    def __init__(self, text):
        self.L = _Lines(text)

    def parse(self):
        first = self.L.peek()
        if first is not None and first[2].rstrip() == "---" and first[1] == 0:
            self.L.pos += 1
        if self.L.peek() is None:
            return None
        value = self.node(-1)
        rest = self.L.peek()
        if rest is not None:
            if rest[2].rstrip() in ("---", "..."):
                raise YAMLError(rest[0], "multi-document streams are not supported")
            raise YAMLError(rest[0], "unexpected indentation or text")
        return value

    def node(self, parent_indent):
        """Parses the node that starts at the next line, which is indented
        more than parent_indent."""
        line = self.L.peek()
        lineno, indent, text = line
        if indent <= parent_indent:
            raise YAMLError(lineno, "expected an indented node")
        if _is_seq_item(text):
            return self.sequence(indent)
        if _find_key(text, lineno) is not None:
            return self.mapping(indent)
        # A scalar or flow collection on a line of its own.
        self.L.pos += 1
        return self.inline_value(text, lineno, parent_indent)

    def mapping(self, indent):
        out = {}
        while True:
            line = self.L.peek()
            if line is None or line[1] < indent:
                return out
            lineno, ind, text = line
            _no_document_marker(line)
            if ind > indent:
                raise YAMLError(lineno, "unexpected indentation")
            if _is_seq_item(text):
                raise YAMLError(lineno, "sequence item where a mapping key "
                                "was expected")
            kv = _find_key(text, lineno)
            if kv is None:
                raise YAMLError(lineno, "expected 'key: value'")
            key, rest = kv
            if isinstance(key, float) and math.isnan(key):
                raise YAMLError(lineno, "NaN as a mapping key")
            if key in out:
                raise YAMLError(lineno, "duplicate key %r" % (key,))
            if rest and rest[0] not in " \t":
                raise YAMLError(lineno, "expected a space after ':'")
            self.L.pos += 1
            out[key] = self.value_after_indicator(rest, lineno, indent, True)

    def sequence(self, indent, under_key=False):
        """A block sequence whose '-' are at `indent`. With under_key, it is
        the value of a mapping key at the same indentation, and ends at the
        next line that is not an item."""
        out = []
        while True:
            line = self.L.peek()
            if line is None or line[1] < indent:
                return out
            lineno, ind, text = line
            _no_document_marker(line)
            if ind > indent:
                raise YAMLError(lineno, "unexpected indentation")
            if under_key and not _is_seq_item(text):
                return out
            if not _is_seq_item(text):
                if _find_key(text, lineno) is not None:
                    raise YAMLError(lineno, "mapping key where a sequence item "
                                    "was expected")
                raise YAMLError(lineno, "expected '- ' sequence item")
            rest = text[1:]
            body = rest.lstrip(" \t")
            if body and not body.startswith("#") and (
                    _is_seq_item(body) or _find_key(body, lineno) is not None):
                # Compact nested collection: re-read this line as if the
                # item's content started on a line of its own.
                self.L.items[self.L.pos] = [lineno, ind + 1 + len(rest) - len(body), body]
                out.append(self.node(indent))
                continue
            self.L.pos += 1
            out.append(self.value_after_indicator(rest, lineno, indent, False))

    def value_after_indicator(self, rest, lineno, indent, in_mapping):
        """The value after 'key:' or '-', where `indent` is the indentation
        of the mapping or sequence."""
        body = rest.strip(" \t")
        if body == "" or body.startswith("#"):
            nxt = self.L.peek()
            if nxt is None:
                return None
            if nxt[1] > indent:
                return self.node(indent)
            if in_mapping and nxt[1] == indent and _is_seq_item(nxt[2]):
                return self.sequence(indent, under_key=True)
            return None
        return self.inline_value(rest.lstrip(" \t"), lineno, indent)

    def inline_value(self, text, lineno, parent_indent):
        c = text[0]
        if c in "|>":
            return self.block_scalar(text, lineno, parent_indent)
        if c in "[{":
            v, end = _flow_value(text, 0, lineno)
            _strip_comment_after(text[end:], lineno, "flow collection")
            return v
        if c in "\"'":
            return self.quoted(text, lineno, parent_indent)
        if c in "&*!":
            raise YAMLError(lineno, "anchors, aliases and tags are not supported")
        if c in "%@`":
            raise YAMLError(lineno, "a plain scalar cannot start with %r" % c)
        if c == "#":
            return None
        return self.plain(text, lineno, parent_indent)

    def plain(self, text, lineno, parent_indent):
        n = _plain_end(text, False)
        if n < len(text) and text[n] == ":":
            raise YAMLError(lineno, "': ' inside a plain scalar (quote it)")
        first = text[:n].rstrip(" \t")
        parts = [first]
        commented = n < len(text)
        # Continuation lines are those indented more than the parent
        # collection; a line break folds to a space, blank lines to '\n'.
        breaks = 0
        while not commented and self.L.pos < len(self.L.items):
            ln, ind, t = self.L.items[self.L.pos]
            if t.strip(" \t") == "":
                breaks += 1
                self.L.pos += 1
                continue
            if ind <= parent_indent or t.startswith("#"):
                break
            k = _plain_end(t, False)
            if k < len(t) and t[k] == ":":
                raise YAMLError(ln, "': ' inside a multi-line plain scalar, or "
                                "a mapping key indented too far")
            parts.append("\n" * breaks if breaks else " ")
            parts.append(t[:k].rstrip(" \t"))
            breaks = 0
            commented = k < len(t)
            self.L.pos += 1
        if len(parts) == 1:
            return _resolve_plain(first)
        return "".join(parts)

    def quoted(self, text, lineno, parent_indent):
        val, end = _quoted_one_line(text, 0, lineno, allow_open=True)
        if end is not None:
            _strip_comment_after(text[end:], lineno, "quoted scalar")
            return val
        return self.quoted_multiline(text, lineno, parent_indent)

    def quoted_multiline(self, text, lineno, parent_indent):
        """A quoted scalar over several lines: each line break folds to a
        space, each blank line to '\\n'; in double quotes a '\\' at the
        end of a line joins the lines without a space. White space around
        line breaks is not content, unless it was escaped."""
        q = text[0]
        out = []
        seg, seg_lineno = text[1:], lineno
        while True:
            i, n = 0, len(seg)
            keep = len(out)  # out[:keep] may not be trimmed
            joined = False
            while i < n:
                c = seg[i]
                if c == q:
                    if q == "'" and seg[i + 1:i + 2] == "'":
                        out.append("'")
                        i += 2
                        continue
                    _strip_comment_after(seg[i + 1:], seg_lineno, "quoted scalar")
                    return "".join(out)
                if q == '"' and c == "\\":
                    if i + 1 == n:
                        joined = True
                        break
                    i = _dq_escape(seg, i, out, seg_lineno)
                    keep = len(out)
                    continue
                out.append(c)
                i += 1
            if not joined:
                while len(out) > keep and out[-1] in (" ", "\t"):
                    out.pop()
            breaks = 0
            while True:
                if self.L.pos >= len(self.L.items):
                    raise YAMLError(lineno, "unterminated quoted scalar")
                seg_lineno, ind, t = self.L.items[self.L.pos]
                self.L.pos += 1
                if t.strip(" \t") == "":
                    breaks += 1
                    continue
                if ind <= parent_indent:
                    raise YAMLError(seg_lineno, "continuation of a quoted "
                                    "scalar is not indented enough")
                seg = t.lstrip(" \t")
                break
            if joined:
                out.append("\n" * breaks)
            else:
                out.append("\n" * breaks if breaks else " ")

    def block_scalar(self, header, lineno, parent_indent):
        m = re.match(r"([|>])([-+0-9]*)(.*)\Z", header)
        style, ind_chars, tail = m.group(1), m.group(2), m.group(3)
        digits = [c for c in ind_chars if c.isdigit()]
        chomps = [c for c in ind_chars if c in "+-"]
        if len(digits) > 1 or len(chomps) > 1 or "0" in digits:
            raise YAMLError(lineno, "bad block scalar header %r" % header)
        chomp = chomps[0] if chomps else ""
        if tail and tail[0] not in " \t":
            raise YAMLError(lineno, "bad block scalar header %r" % header)
        _strip_comment_after(tail, lineno, "block scalar header")
        content_indent = None
        if digits:
            content_indent = max(parent_indent, 0) + int(digits[0])
        # The raw lines of the scalar: every blank line, and every line
        # indented at least as much as the first non-blank one.
        lines = []
        while self.L.pos < len(self.L.items):
            ln = self.L.items[self.L.pos][0]
            raw = self.L.raw[ln - 1]
            if raw.strip(" ") == "":
                lines.append(raw)
                self.L.pos += 1
                continue
            ind = len(raw) - len(raw.lstrip(" "))
            if content_indent is None:
                if ind <= parent_indent:
                    break
                if any(len(prev) > ind for prev in lines):
                    raise YAMLError(ln, "a leading blank line of a block "
                                    "scalar is indented more than its text")
                content_indent = ind
            if ind < content_indent:
                if ind > parent_indent and not raw.lstrip(" ").startswith("#"):
                    raise YAMLError(ln, "block scalar line indented less "
                                    "than its first line")
                break
            lines.append(raw)
            self.L.pos += 1
        body = [raw[content_indent:] if content_indent is not None else ""
                for raw in lines]
        # Trailing empty lines are governed by chomping, not content.
        trailing = 0
        while body and body[-1] == "":
            trailing += 1
            body.pop()
        if not body:
            return "\n" * trailing if chomp == "+" else ""
        text = "\n".join(body) if style == "|" else _fold(body)
        if chomp == "-":
            return text
        if chomp == "+":
            return text + "\n" * (1 + trailing)
        return text + "\n"


def _fold(lines):
    """Folds the content lines of a '>' block scalar: a break between two
    ordinary lines becomes a space; breaks next to more-indented lines and
    blank lines are kept."""
    out = []
    prev_kind = None
    breaks = 0
    for ln in lines:
        if ln == "":
            breaks += 1
            continue
        kind = "more" if ln[0] in " \t" else "text"
        if prev_kind is None:
            out.append("\n" * breaks)
        elif prev_kind == "text" and kind == "text":
            out.append("\n" * breaks if breaks else " ")
        else:
            out.append("\n" * (breaks + 1))
        out.append(ln)
        breaks = 0
        prev_kind = kind
    return "".join(out)


def load_yaml(text):
    """Parses `text` (a str) in the supported YAML subset and returns plain
    Python values (dict, list, str, int, float, bool, None). Raises
    YAMLError, whose message starts with "line N:", on anything else."""
    return _Parser(text).parse()


# ---- references and responses ---------------------------------------------------

class SchemaError(KeyError):
    """A $ref or path that the document does not contain."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


def resolve(doc, ref):
    """Returns the node a local `#/...` JSON pointer names. Raises
    SchemaError for a non-local or dangling reference."""
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise SchemaError("only local '#/...' references are supported: %r" % (ref,))
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SchemaError("dangling reference %r (no %r)" % (ref, part))
    return node


def _deref(doc, node, limit=32):
    """Follows a chain of $ref objects (responses, request bodies)."""
    while isinstance(node, dict) and "$ref" in node:
        limit -= 1
        if limit < 0:
            raise SchemaError("reference loop at %r" % node["$ref"])
        node = resolve(doc, node["$ref"])
    return node


def response_schema(doc, path, method, status, content_type="application/json"):
    """Returns the schema documented for `method path` answering `status`
    with `content_type`, following $refs to components/responses. The
    schema itself is returned as written (it may be a $ref). Raises
    SchemaError when the operation, status or content type is missing."""
    paths = doc.get("paths") or {}
    if path not in paths:
        raise SchemaError("no path %r" % path)
    op = _deref(doc, paths[path]).get(method.lower())
    if not isinstance(op, dict):
        raise SchemaError("no operation %s %s" % (method.upper(), path))
    responses = op.get("responses") or {}
    resp = responses.get(str(status))
    if resp is None:
        raise SchemaError("%s %s documents no %s response" % (method.upper(), path, status))
    resp = _deref(doc, resp)
    content = resp.get("content") or {}
    if content_type not in content:
        raise SchemaError("%s %s %s has no %r content" % (method.upper(), path,
                                                          status, content_type))
    media = content[content_type] or {}
    if "schema" not in media:
        raise SchemaError("%s %s %s %s has no schema" % (method.upper(), path,
                                                         status, content_type))
    return media["schema"]


# ---- validation -------------------------------------------------------------------

def _type_ok(t, v):
    if t == "null":
        return v is None
    if t == "boolean":
        return isinstance(v, bool)
    if t == "integer":
        return (isinstance(v, int) and not isinstance(v, bool)) or (
            isinstance(v, float) and v.is_integer())
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "string":
        return isinstance(v, str)
    if t == "array":
        return isinstance(v, list)
    if t == "object":
        return isinstance(v, dict)
    raise SchemaError("unknown type %r in schema" % (t,))


def _type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _json_equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _short(v):
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def validate(doc, schema, value, path="$"):
    """Validates `value` against `schema` (which may use $refs into `doc`).
    Returns a list of "path: problem" strings; empty when valid. Supports
    type (also lists of types and "null"), nullable, properties, required,
    additionalProperties, items, enum, const, oneOf, anyOf, allOf, $ref,
    minimum, maximum, exclusiveMinimum, exclusiveMaximum (3.0 boolean and
    3.1 number forms), minLength, maxLength, pattern, minItems, maxItems.
    format, descriptions, examples and discriminators are ignored."""
    return _validate(doc, schema, value, path, 0)


def _validate(doc, schema, value, path, depth):
    if depth > 64:
        return ["%s: schema nesting too deep (reference loop?)" % path]
    if schema is True or schema is None:
        return []
    if schema is False:
        return ["%s: no value is allowed here" % path]
    if not isinstance(schema, dict):
        raise SchemaError("%s: schema is not an object: %r" % (path, schema))
    errors = []
    if "$ref" in schema:
        errors += _validate(doc, resolve(doc, schema["$ref"]), value, path, depth + 1)

    nullable = schema.get("nullable") is True
    if value is None and nullable:
        return errors

    t = schema.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if nullable and "null" not in types:
            types = types + ["null"]
        if not any(_type_ok(x, value) for x in types):
            errors.append("%s: expected type %s, got %s %s" % (
                path, " or ".join(types), _type_name(value), _short(value)))
            return errors

    if "enum" in schema:
        if not any(_json_equal(value, e) for e in schema["enum"]) and not (
                value is None and nullable):
            errors.append("%s: %s is not one of %s" % (path, _short(value),
                                                       schema["enum"]))
    if "const" in schema and not _json_equal(value, schema["const"]):
        errors.append("%s: %s is not the constant %r" % (path, _short(value),
                                                         schema["const"]))

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema:
            excl = schema.get("exclusiveMinimum") is True
            if value < schema["minimum"] or (excl and value == schema["minimum"]):
                errors.append("%s: %r is below the minimum %r%s" % (
                    path, value, schema["minimum"], " (exclusive)" if excl else ""))
        if "maximum" in schema:
            excl = schema.get("exclusiveMaximum") is True
            if value > schema["maximum"] or (excl and value == schema["maximum"]):
                errors.append("%s: %r is above the maximum %r%s" % (
                    path, value, schema["maximum"], " (exclusive)" if excl else ""))
        em = schema.get("exclusiveMinimum")
        if isinstance(em, (int, float)) and not isinstance(em, bool) and value <= em:
            errors.append("%s: %r must be greater than %r" % (path, value, em))
        ex = schema.get("exclusiveMaximum")
        if isinstance(ex, (int, float)) and not isinstance(ex, bool) and value >= ex:
            errors.append("%s: %r must be less than %r" % (path, value, ex))

    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append("%s: string shorter than %d: %s" % (
                path, schema["minLength"], _short(value)))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append("%s: string longer than %d: %s" % (
                path, schema["maxLength"], _short(value)))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append("%s: %s does not match /%s/" % (
                path, _short(value), schema["pattern"]))

    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append("%s: fewer than %d items" % (path, schema["minItems"]))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append("%s: more than %d items" % (path, schema["maxItems"]))
        if "items" in schema:
            for i, item in enumerate(value):
                errors += _validate(doc, schema["items"], item,
                                    "%s[%d]" % (path, i), depth + 1)

    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                errors.append("%s: missing required property %r" % (path, name))
        for name, sub in value.items():
            p = "%s.%s" % (path, name)
            if name in props:
                errors += _validate(doc, props[name], sub, p, depth + 1)
            else:
                ap = schema.get("additionalProperties", True)
                if ap is False:
                    errors.append("%s: property %r is not allowed" % (path, name))
                elif isinstance(ap, dict):
                    errors += _validate(doc, ap, sub, p, depth + 1)

    for sub in schema.get("allOf") or []:
        errors += _validate(doc, sub, value, path, depth + 1)
    if "anyOf" in schema:
        results = [_validate(doc, s, value, path, depth + 1) for s in schema["anyOf"]]
        if all(results):
            errors.append("%s: matches none of anyOf: %s" % (
                path, "; ".join("[%d] %s" % (i, " / ".join(r))
                                for i, r in enumerate(results))))
    if "oneOf" in schema:
        results = [_validate(doc, s, value, path, depth + 1) for s in schema["oneOf"]]
        ok = [i for i, r in enumerate(results) if not r]
        if not ok:
            errors.append("%s: matches none of oneOf: %s" % (
                path, "; ".join("[%d] %s" % (i, " / ".join(r))
                                for i, r in enumerate(results))))
        elif len(ok) > 1:
            errors.append("%s: matches more than one of oneOf (%s)" % (
                path, ", ".join(str(i) for i in ok)))
    if "not" in schema and not _validate(doc, schema["not"], value, path, depth + 1):
        errors.append("%s: must not match the 'not' schema" % path)
    return errors
