"""W3C Trace Context (``traceparent``) parsing and generation."""

import re
import secrets

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def parse_traceparent(value):
    """Return ``(trace_id, parent_id)`` of a valid header, else ``None``."""
    match = _TRACEPARENT.match((value or "").strip().lower())
    if not match:
        return None
    version, trace_id, parent_id, _flags = match.groups()
    if version == "ff" or set(trace_id) == {"0"} or set(parent_id) == {"0"}:
        return None
    return trace_id, parent_id


def new_trace_id():
    return secrets.token_hex(16)


def new_span_id():
    return secrets.token_hex(8)


def make_traceparent(trace_id, span_id=None, sampled=True):
    """A ``traceparent`` value for an outgoing call that continues ``trace_id``."""
    return f"00-{trace_id}-{span_id or new_span_id()}-{'01' if sampled else '00'}"
