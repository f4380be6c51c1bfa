"""RFC 9457 "Problem Details for HTTP APIs" bodies, for every error of the HTTP surface.

Pure Python. A problem is a JSON object with ``type``, ``title``, ``status`` and ``detail``
(plus ``errors`` for validation failures), sent as ``application/problem+json``. The
``detail`` strings built by the suite never repeat payload values or secrets.
"""

import json

PROBLEM_CONTENT_TYPE = "application/problem+json"
#: Problem types are URIs relative to the server: they identify the kind of problem and are
#: documented in the OpenAPI document (``/healthcare/api/openapi.json``).
TYPE_BASE = "/healthcare/problems/"

#: status → (reason code used in ``type``, audit and metrics; human title)
PROBLEMS = {
    400: ("malformed", "Malformed request"),
    401: ("unauthorized", "Authentication failed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("too_large", "Content too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("unprocessable", "Unprocessable content"),
    429: ("rate_limited", "Too many requests"),
    500: ("internal", "Internal error"),
    503: ("unavailable", "Service unavailable"),
}


def problem(status, detail=None, *, reason=None, title=None, errors=None, **extra):
    """The problem dict for ``status``. ``reason`` refines the ``type`` (e.g. a 422 for a
    schema error is ``…/schema`` and one for an id reused with a different body is
    ``…/idempotency_conflict``)."""
    default_reason, default_title = PROBLEMS.get(status, ("error", "Error"))
    body = {
        "type": TYPE_BASE + (reason or default_reason),
        "title": title or default_title,
        "status": status,
        "detail": detail or title or default_title,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def dumps(body):
    """Serialise a problem (or any answer) compactly, as UTF-8 text."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
