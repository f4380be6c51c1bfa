"""Payload minimisation and hashing.

An allow-list is a list of dotted paths; ``[]`` walks into every item of a list and ``*``
stands for every key of an object. Everything not listed is dropped before anything is
stored::

    employee.external_id
    employee.roles                 # a value, or a list of values: kept
    employee.credentials[].type    # each credential keeps its listed keys only
    lines[].*                      # each line keeps its plain values, nothing nested

A path keeps a *value* (a string, number, boolean, null, or a list of those) and never a
whole sub-tree: an object, or a list of objects, found at a listed path keeps only the
children that are listed themselves, so a field the sender nests under an allow-listed
name (``employee.roles: [{"ssn": …}]``) is dropped like any other.
"""

import functools
import hashlib
import json
import re
from datetime import datetime, timezone

#: Keys of the compiled tree that cannot collide with payload keys (which are strings).
_LEAF = object()  # a path ends here: a plain value is kept
_ITEMS = object()  # ``[]``: the tree applied to each item of a list
_ANY = object()  # ``*``: the tree applied to every key of an object
_DROP = object()  # result of _apply: nothing of this value is kept


def parse_allowlist(text):
    """Turn the text of an allow-list (one path per line, ``#`` comments) into a list."""
    paths = []
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            paths.append(line)
    return paths


@functools.lru_cache(maxsize=256)
def _compile(paths):
    """Build a tree of path parts: {'employee': {'external_id': {_LEAF: True}, ...}}.

    Cached per tuple of paths: every delivery of a flow minimises with the same list,
    and :func:`_apply` only reads the tree."""
    tree = {}
    for path in paths:
        node = tree
        for part in (p for p in path.replace("[]", ".[]").split(".") if p):
            key = {"[]": _ITEMS, "*": _ANY}.get(part, part)
            node = node.setdefault(key, {})
            if key is _ANY:
                break  # ``a.*.b`` would mean nothing more than ``a.*``
        node[_LEAF] = True
    return tree


def _is_plain(value):
    return not isinstance(value, (dict, list))


def _apply(value, node, prefix, dropped):
    """``value`` cut down to ``node``, or ``_DROP``; removed paths go to ``dropped``."""
    if isinstance(value, list):
        if _ITEMS in node:
            items = (_apply(item, node[_ITEMS], prefix + "[]", dropped) for item in value)
            return [item for item in items if item is not _DROP]
        if node.get(_LEAF):  # a list kept as a value: its plain items only
            kept = [item for item in value if _is_plain(item)]
            if len(kept) != len(value):
                dropped.append(prefix + "[]")
            return kept
        dropped.append(prefix + "[]")
        return _DROP
    if isinstance(value, dict):
        children = {key: sub for key, sub in node.items() if isinstance(key, str)}
        if not children and _ANY not in node:
            dropped.append(prefix)  # an object where a value was expected
            return _DROP
        kept = {}
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            sub = children.get(key, node.get(_ANY))
            result = _DROP if sub is None else _apply(item, sub, path, dropped)
            if result is _DROP:
                if sub is None:
                    dropped.append(path)
                continue
            kept[key] = result
        return kept
    if node.get(_LEAF):
        return value
    dropped.append(prefix)  # a value where the allow-list expects a structure
    return _DROP


def apply_allowlist(payload, paths):
    """Return ``(kept, dropped_paths)``: a copy of ``payload`` holding only allowed paths,
    and the paths that were removed (for logging counts, never values)."""
    dropped = []
    kept = _apply(payload, _compile(tuple(paths)), "", dropped)
    return ({} if kept is _DROP else kept), dropped


def canonical_json(value):
    """A stable serialisation for hashing: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(data):
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def json_depth(value, limit):
    """True when ``value`` nests deeper than ``limit`` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def parse_iso_datetime(value):
    """ISO 8601 date or datetime (``Z`` or an offset allowed) → naive UTC datetime.

    Returns None when absent or invalid (validation happens in the JSON Schema).
    """
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):  # e.g. 0001-01-01T00:00:00+01:00
        return None
    return parsed


_URL_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_url_code(value):
    """True for a backend or flow code usable as a webhook URL segment (ASCII letters,
    digits, ``-`` and ``_``)."""
    return bool(value) and bool(_URL_CODE.fullmatch(value))


_UNSAFE_SEGMENT = re.compile(r"[^A-Za-z0-9_-]")


def safe_segment(value, limit=32):
    """A URL segment fit for an audit summary: ASCII letters, digits, ``-`` and ``_``
    only (anything else becomes ``?``), at most ``limit`` characters (``…`` marks a cut)."""
    text = str(value or "")
    return _UNSAFE_SEGMENT.sub("?", text[:limit]) + ("…" if len(text) > limit else "")
