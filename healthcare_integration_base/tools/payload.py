"""Payload minimisation and hashing.

An allow-list is a list of dotted paths; ``[]`` walks into every item of a list and ``*``
keeps a whole sub-tree. Everything not listed is dropped before anything is stored::

    employee.external_id
    employee.credentials[].type
    lines[].*
"""

import hashlib
import json
import re
from datetime import datetime, timezone


def parse_allowlist(text):
    """Turn the text of an allow-list (one path per line, ``#`` comments) into a list."""
    paths = []
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            paths.append(line)
    return paths


def _compile(paths):
    """Build a tree of path parts: {'employee': {'external_id': True, ...}, ...}."""
    tree = {}
    for path in paths:
        node = tree
        parts = path.replace("[]", ".[]").split(".")
        parts = [p for p in parts if p]
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "*":
                node["*"] = True
                break
            if last:
                node[part] = True
            else:
                child = node.get(part)
                if child is True:
                    break  # a shorter path already keeps the whole sub-tree
                node = node.setdefault(part, {})
    return tree


def _apply(value, tree, prefix, dropped):
    if tree is True or tree.get("*") is True:
        return value
    if isinstance(value, list):
        sub = tree.get("[]")
        if sub is None:
            dropped.append(prefix + "[]")
            return []
        return [_apply(item, sub, prefix + "[]", dropped) for item in value]
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            sub = tree.get(key)
            path = f"{prefix}.{key}" if prefix else key
            if sub is None:
                dropped.append(path)
                continue
            kept[key] = _apply(item, sub, path, dropped)
        return kept
    # a scalar where the allow-list expects a structure: keep nothing of it
    dropped.append(prefix)
    return None


def apply_allowlist(payload, paths):
    """Return ``(kept, dropped_paths)``: a copy of ``payload`` holding only allowed paths,
    and the paths that were removed (for logging counts, never values)."""
    dropped = []
    kept = _apply(payload, _compile(paths), "", dropped)
    return kept, dropped


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
