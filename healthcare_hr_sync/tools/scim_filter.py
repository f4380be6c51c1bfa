"""SCIM 2.0 filters and attribute paths (RFC 7644 §3.4.2.2, §3.5.2), without Odoo imports.

``parse_filter`` turns a filter into a small tree of tuples, ``matches`` evaluates it on a
resource as a dict (the JSON of the resource); ``parse_path`` reads a PATCH ``path``
(``emails[type eq "work"].value``, ``name.familyName``, an extension URN…). Attribute
names are case-insensitive; string comparisons are too, except for the attributes listed
in ``CASE_EXACT`` (identifiers). Precedence: ``not`` > ``and`` > ``or``; parentheses group.
"""

import json
import re

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_URNS = (CORE_USER, ENTERPRISE_USER)
COMPARE_OPS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")
#: Compared case-sensitively (RFC 7643: caseExact true).
CASE_EXACT = ("id", "externalid", "manager.value", "meta.location", "meta.version")

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<punct>[()\[\]])'
    r"|(?P<word>[A-Za-z0-9_:.$\-+]+))"
)


class ScimError(Exception):
    """A SCIM error document: HTTP ``status``, ``scim_type`` (RFC 7644 §3.12), detail."""

    def __init__(self, status, detail, scim_type=None, headers=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}

    def document(self):
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def _invalid_filter(detail):
    return ScimError(400, detail, "invalidFilter")


def tokenize(text):
    tokens, position = [], 0
    text = text or ""
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if not found:
            raise _invalid_filter(f"Unexpected character at position {position} of the filter.")
        kind = found.lastgroup
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


def split_schema(path):
    """``(schema URN or None, rest)``: a leading known schema URN is taken off."""
    lowered = path.lower()
    for urn in SCHEMA_URNS:
        if lowered == urn.lower():
            return urn, ""
        if lowered.startswith(urn.lower() + ":"):
            return urn, path[len(urn) + 1 :]
    return None, path


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.index = 0

    def peek(self, offset=0):
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None)

    def take(self, expected=None):
        kind, value = self.peek()
        if kind is None or (expected and value != expected):
            raise _invalid_filter(f"Expected {expected or 'more'} in the filter.")
        self.index += 1
        return kind, value

    def keyword(self, word):
        kind, value = self.peek()
        return kind == "word" and value.lower() == word

    def parse_or(self):
        node = self.parse_and()
        while self.keyword("or"):
            self.take()
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self):
        node = self.parse_not()
        while self.keyword("and"):
            self.take()
            node = ("and", node, self.parse_not())
        return node

    def parse_not(self):
        if self.keyword("not") and self.peek(1) == ("punct", "("):
            self.take()
            return ("not", self.parse_group())
        return self.parse_atom()

    def parse_group(self):
        self.take("(")
        node = self.parse_or()
        self.take(")")
        return node

    def parse_atom(self):
        kind, value = self.peek()
        if (kind, value) == ("punct", "("):
            return self.parse_group()
        if kind != "word":
            raise _invalid_filter("An attribute name was expected in the filter.")
        self.take()
        path = value
        if self.peek() == ("punct", "["):
            self.take("[")
            inner = self.parse_or()
            self.take("]")
            return ("vpath", path, inner)
        op_kind, op = self.take()
        op = (op or "").lower()
        if op_kind != "word" or op not in COMPARE_OPS + ("pr",):
            raise _invalid_filter(f"Unknown operator '{op}' in the filter.")
        if op == "pr":
            return ("pr", path)
        return ("cmp", path, op, self.parse_value())

    def parse_value(self):
        kind, value = self.take()
        if kind == "string":
            return json.loads(value)
        lowered = value.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        try:
            return float(value) if "." in value else int(value)
        except ValueError as error:
            raise _invalid_filter(f"'{value}' is not a valid filter value.") from error


def parse_filter(text):
    """The tree of a filter; :class:`ScimError` ``invalidFilter`` when malformed."""
    tokens = tokenize(text)
    if not tokens:
        raise _invalid_filter("The filter is empty.")
    parser = _Parser(tokens)
    node = parser.parse_or()
    if parser.index != len(tokens):
        raise _invalid_filter("Unexpected text at the end of the filter.")
    return node


def get_ci(mapping, name):
    """``mapping[name]`` with a case-insensitive key (None when absent)."""
    if not isinstance(mapping, dict):
        return None
    if name in mapping:
        return mapping[name]
    lowered = name.lower()
    for key, value in mapping.items():
        if key.lower() == lowered:
            return value
    return None


def resolve(resource, path):
    """Every value at ``path`` (``a.b``, with an optional schema URN) in ``resource``;
    multi-valued attributes contribute each of their values."""
    schema, rest = split_schema(path)
    current = [get_ci(resource, schema)] if schema == ENTERPRISE_USER else [resource]
    for part in rest.split(".") if rest else []:
        found = []
        for item in current:
            for element in item if isinstance(item, list) else [item]:
                value = get_ci(element, part)
                if isinstance(value, list):
                    found.extend(value)
                elif value is not None:
                    found.append(value)
        current = found
    return [value for value in current if value is not None]


def _compare(actual, op, expected, case_exact):
    if isinstance(actual, bool) or isinstance(expected, bool):
        actual, expected = _as_bool(actual), _as_bool(expected)
        if op == "eq":
            return actual == expected
        return actual != expected if op == "ne" else False
    if isinstance(actual, str) and isinstance(expected, str) and not case_exact:
        actual, expected = actual.lower(), expected.lower()
    if isinstance(actual, str) != isinstance(expected, str):
        actual, expected = str(actual), str(expected)
    checks = {
        "eq": lambda: actual == expected,
        "ne": lambda: actual != expected,
        "co": lambda: expected in actual,
        "sw": lambda: actual.startswith(expected),
        "ew": lambda: actual.endswith(expected),
        "gt": lambda: actual > expected,
        "ge": lambda: actual >= expected,
        "lt": lambda: actual < expected,
        "le": lambda: actual <= expected,
    }
    try:
        return checks[op]()
    except TypeError:
        return False


def _as_bool(value):
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _is_case_exact(path):
    return split_schema(path)[1].lower() in CASE_EXACT


def matches(node, resource):
    """True when ``resource`` (a dict) satisfies the filter tree ``node``."""
    kind = node[0]
    if kind == "and":
        return matches(node[1], resource) and matches(node[2], resource)
    if kind == "or":
        return matches(node[1], resource) or matches(node[2], resource)
    if kind == "not":
        return not matches(node[1], resource)
    if kind == "pr":
        return any(value not in ("", [], {}) for value in resolve(resource, node[1]))
    if kind == "vpath":
        return any(
            matches(node[2], element)
            for element in resolve(resource, node[1])
            if isinstance(element, dict)
        )
    _kind, path, op, expected = node
    values = resolve(resource, path)
    if op == "ne" and not values:
        return expected is not None
    case_exact = _is_case_exact(path)
    return any(_compare(value, op, expected, case_exact) for value in values)


def parse_path(text):
    """A PATCH path as ``(schema, attribute, value filter tree or None, sub-attribute)``:
    ``emails[type eq "work"].value`` → ``(None, "emails", tree, "value")``."""
    text = (text or "").strip()
    if not text:
        raise ScimError(400, "The operation has an empty path.", "invalidPath")
    schema, rest = split_schema(text)
    value_filter, sub = None, None
    if "[" in rest:
        head, _bracket, tail = rest.partition("[")
        inner, closing, after = tail.rpartition("]")
        if not closing:
            raise ScimError(400, "Unbalanced brackets in the path.", "invalidPath")
        value_filter = parse_filter(inner)
        rest = head
        if after:
            if not after.startswith("."):
                raise ScimError(400, "Unexpected text after the value filter.", "invalidPath")
            sub = after[1:]
    elif "." in rest:
        rest, _dot, sub = rest.partition(".")
    if not re.fullmatch(r"[A-Za-z$][A-Za-z0-9_\-$]*", rest or "x") or (
        sub and not re.fullmatch(r"[A-Za-z$][A-Za-z0-9_\-$]*", sub)
    ):
        raise ScimError(400, f"'{text}' is not a valid attribute path.", "invalidPath")
    return schema, rest, value_filter, sub
