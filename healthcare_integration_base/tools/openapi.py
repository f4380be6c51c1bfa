"""OpenAPI 3.1 description of the suite's HTTP surface (pure Python).

``build_document(flows, version)`` takes plain descriptions of the active inbound flows
(see :func:`build_document`) so it can be built and tested without Odoo; the addon serves
it at ``/healthcare/api/openapi.json`` from its live configuration.

The flows' JSON Schemas keep their ``$defs`` local (``#/$defs/amount``), which points nowhere
once the schema is embedded in a request body; :func:`_embeddable` lifts them into
``components/schemas`` under names prefixed with the schema's event type and version, so that
every ``$ref`` of the document resolves and two flows' ``amount`` never clash.
"""

import copy
import re

PROBLEM_TYPES = "application/problem+json"

_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
_ACCEPTED = {
    "type": "object",
    "required": ["message_id", "event_id", "status"],
    "properties": {
        "message_id": {"type": "integer", "description": "The queue message's id."},
        "event_id": {"type": "string", "description": "The webhook-id of the delivery."},
        "status": {"type": "string", "enum": ["accepted", "duplicate"]},
        "state": {"type": "string", "description": "The message's state in the queue."},
    },
}
_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
_MESSAGE_STATUS = {
    "type": "object",
    "required": ["event_id", "message_id", "backend", "flow", "state", "attempts", "records"],
    "properties": {
        "event_id": {"type": "string"},
        "message_id": {"type": "integer"},
        "backend": {"type": "string"},
        "flow": {"type": "string"},
        "state": {
            "type": "string",
            "enum": [
                "pending",
                "processing",
                "retry",
                "waiting",
                "exception",
                "done",
                "cancelled",
            ],
        },
        "attempts": {"type": "integer"},
        "received_at": _TIMESTAMP,
        "finished_at": _TIMESTAMP,
        "next_attempt_at": _TIMESTAMP,
        "trace_id": {"type": ["string", "null"]},
        "last_error": {
            "type": ["object", "null"],
            "properties": {
                "class": {"type": ["string", "null"]},
                "summary": {"type": "string"},
            },
        },
        "records": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["model", "id"],
                "properties": {
                    "model": {"type": "string"},
                    "id": {"type": "integer"},
                    "display_name": {"type": ["string", "null"]},
                },
            },
        },
    },
}
_HEALTH = {
    "type": "object",
    "required": ["status", "database", "queue"],
    "properties": {
        "status": {"type": "string", "enum": ["ok"]},
        "database": {"type": "string"},
        "time": {"type": "string"},
        "queue": {
            "type": "object",
            "properties": {
                "backlog": {"type": "integer"},
                "waiting": {"type": "integer"},
                "exception": {"type": "integer"},
                "oldest_pending_age_seconds": {"type": "integer"},
            },
        },
    },
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before sending again.",
        "schema": {"type": "string"},
    }
}
_TRACEPARENT_OUT = {
    "traceparent": {
        "description": "W3C trace context of the message (the one received, or a new one).",
        "schema": {"type": "string"},
    }
}


def _problem_response(description, headers=None):
    response = {
        "description": description,
        "content": {PROBLEM_TYPES: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _json_response(description, component, headers=None):
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


# ----------------------------------------------------------------------------------------
# Flow schemas embedded in the document
# ----------------------------------------------------------------------------------------
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_LOCAL_DEFS = "#/$defs/"


def _schema_prefix(schema, fallback):
    """Component-name prefix of a flow schema: ``<event type>-<version>`` from its ``$id``
    (``…/schemas/billing.summary/1.0.json`` → ``billing.summary-1.0``), else ``fallback``."""
    parts = (schema.get("$id") or "").rstrip("/").split("/")
    if len(parts) >= 2 and parts[-1].endswith(".json"):
        name = f"{parts[-2]}-{parts[-1].removesuffix('.json')}"
    else:
        name = fallback
    # OpenAPI component names: ^[a-zA-Z0-9._-]+$
    return _UNSAFE_NAME.sub("_", name)


def _rewrite_refs(node, prefix):
    """A copy of ``node`` whose ``#/$defs/<name>`` refs point at ``<prefix>.<name>``."""
    if isinstance(node, list):
        return [_rewrite_refs(item, prefix) for item in node]
    if not isinstance(node, dict):
        return node
    rewritten = {key: _rewrite_refs(value, prefix) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_LOCAL_DEFS):
        rewritten["$ref"] = f"#/components/schemas/{prefix}.{ref[len(_LOCAL_DEFS) :]}"
    return rewritten


def _embeddable(schema, components, fallback_prefix):
    """A flow's JSON Schema as an OpenAPI 3.1 schema object (same dialect, 2020-12).

    Its ``$defs`` move into ``components`` (the document's ``components/schemas``, updated in
    place) under the first free prefix: one whose definitions are absent or identical there,
    so the same schema served by two flows is lifted once, and two different schemas with
    the same ``$id`` never overwrite each other's definitions.
    """
    schema = copy.deepcopy(schema)
    prefix = _schema_prefix(schema, fallback_prefix)
    for key in ("$id", "$schema"):
        schema.pop(key, None)
    definitions = schema.pop("$defs", None) or {}
    candidate, number = prefix, 1
    while True:
        lifted = {
            f"{candidate}.{name}": _rewrite_refs(definition, candidate)
            for name, definition in definitions.items()
        }
        if all(components.get(name, body) == body for name, body in lifted.items()):
            components.update(lifted)
            return _rewrite_refs(schema, candidate)
        number += 1
        candidate = f"{prefix}-{number}"


# ----------------------------------------------------------------------------------------
# Webhook operations, one per active inbound flow
# ----------------------------------------------------------------------------------------
def _webhook_content(flow, components):
    """The request body's media types and schemas of one flow."""
    fmt = flow.get("payload_format", "json")
    if fmt != "json":
        return {
            media: {"schema": {"type": "string"}} for media in ("application/edi-x12", "text/plain")
        }
    fallback = f"{flow['backend']}.{flow['flow']}"
    schemas = [
        _embeddable(schema, components, f"{fallback}-{index}")
        for index, schema in enumerate(flow.get("schemas") or [], start=1)
        if isinstance(schema, dict)
    ]
    if len(schemas) == 1:
        body_schema = schemas[0]
    elif schemas:
        body_schema = {"oneOf": schemas}
    else:
        body_schema = {"type": "object"}
    # FHIR clients send their JSON as application/fhir+json: the same body
    return {
        media: {"schema": body_schema} for media in ("application/json", "application/fhir+json")
    }


def _webhook_parameters():
    header = {"in": "header", "required": True}
    return [
        dict(header, name="webhook-id", schema={"type": "string", "maxLength": 255}),
        dict(header, name="webhook-timestamp", schema={"type": "string"}),
        dict(header, name="webhook-signature", schema={"type": "string"}),
        {"in": "header", "name": "traceparent", "required": False, "schema": {"type": "string"}},
    ]


def _webhook_responses():
    location = {"description": "Status of the event.", "schema": {"type": "string"}}
    return {
        "202": _json_response(
            "Accepted: the event is stored in the queue.",
            "Accepted",
            dict(_TRACEPARENT_OUT, Location=location),
        ),
        "200": _json_response(
            "Duplicate: this event was already received; the original message is returned.",
            "Accepted",
            _TRACEPARENT_OUT,
        ),
        "400": _problem_response("Malformed body or headers."),
        "401": _problem_response("Signature missing or invalid, or timestamp too old."),
        "404": _problem_response("Unknown or inactive backend or flow."),
        "413": _problem_response("Body larger than the flow's limit."),
        "415": _problem_response("Content type not accepted by the flow."),
        "422": _problem_response(
            "The event does not match the flow's schema (errors listed with their "
            "paths), or the webhook-id was reused with a different body."
        ),
        "429": _problem_response("Rate limit of the backend reached.", _RETRY_AFTER),
        "503": _problem_response("Database unavailable; retry later.", _RETRY_AFTER),
    }


def _webhook_operation(flow, components):
    fmt = flow.get("payload_format", "json")
    return {
        "operationId": f"webhook_{flow['backend']}_{flow['flow']}".replace("-", "_"),
        "summary": flow.get("name") or f"{flow['backend']}/{flow['flow']}",
        "description": (
            f"Signed inbound event `{flow.get('event_type') or fmt}` "
            f"(schema versions: {', '.join(flow.get('versions') or []) or 'any'}). "
            "Standard Webhooks signature over `id.timestamp.body`; the body is limited to "
            f"{flow.get('max_body_bytes')} bytes. Stored first, processed asynchronously."
        ),
        "tags": ["webhooks"],
        "parameters": _webhook_parameters(),
        "requestBody": {"required": True, "content": _webhook_content(flow, components)},
        "responses": _webhook_responses(),
    }


def _webhook_paths(flows, components):
    return {
        f"/healthcare/webhook/{flow['backend']}/{flow['flow']}": {
            "post": _webhook_operation(flow, components)
        }
        for flow in sorted(flows, key=lambda f: (f["backend"], f["flow"]))
    }


# ----------------------------------------------------------------------------------------
# The fixed routes: status look-up, health, metrics, this document
# ----------------------------------------------------------------------------------------
def _status_path():
    event_id = {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}
    return {
        "/healthcare/api/v1/messages/{event_id}": {
            "get": {
                "operationId": "get_message_status",
                "summary": "Status of an event sent by the caller's system",
                "tags": ["status"],
                "security": [{"apiKey": []}],
                "parameters": [
                    {"in": "path", "name": "event_id", "required": True, "schema": event_id}
                ],
                "responses": {
                    "200": _json_response("The message of this event.", "MessageStatus"),
                    "401": _problem_response("Missing or invalid API key."),
                    "404": _problem_response("No such event for this API key."),
                    "503": _problem_response("Database unavailable; retry later.", _RETRY_AFTER),
                },
            }
        }
    }


def _extract_path():
    """The governed extracts served to the data warehouse (``controllers/extract.py``)."""
    text = {"schema": {"type": "string"}}
    header = {"schema": {"type": "string"}}
    return {
        "/healthcare/extract/{code}": {
            "get": {
                "operationId": "get_extract_page",
                "summary": "A page of a governed extract (CSV or JSON Lines)",
                "tags": ["extracts"],
                "security": [{"apiKey": []}],
                "parameters": [
                    {
                        "in": "path",
                        "name": "code",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[a-z0-9_]{1,64}$"},
                    },
                    {
                        "in": "query",
                        "name": "after",
                        "required": False,
                        "description": "Watermark to continue after (X-HC-Watermark-To of "
                        "the previous page); the extract's own watermark when omitted.",
                        "schema": {"type": "string", "pattern": "^(0|[0-9]{8}T[0-9]{12}Z_[0-9]+)$"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The rows after the watermark, at most one page.",
                        "headers": {
                            name: header
                            for name in (
                                "X-HC-Watermark-From",
                                "X-HC-Watermark-To",
                                "X-HC-Row-Count",
                                "X-HC-SHA256",
                            )
                        },
                        "content": {"text/csv": text, "application/x-ndjson": text},
                    },
                    "400": _problem_response("The after parameter is not a watermark."),
                    "401": _problem_response("Missing or invalid API key."),
                    "403": _problem_response("This key may not pull this extract."),
                    "404": _problem_response("No extract with this code is served."),
                    "503": _problem_response("Database unavailable; retry later.", _RETRY_AFTER),
                },
            }
        }
    }


def _operations_paths():
    unavailable = _problem_response("Database unavailable.", _RETRY_AFTER)
    metrics_media = "text/plain; version=0.0.4"
    return {
        "/healthcare/health": {
            "get": {
                "operationId": "get_health",
                "summary": "Liveness and queue summary",
                "tags": ["operations"],
                "responses": {
                    "200": _json_response("The service and its database answer.", "Health"),
                    "503": unavailable,
                },
            }
        },
        "/healthcare/metrics": {
            "get": {
                "operationId": "get_metrics",
                "summary": "Prometheus metrics (text format 0.0.4)",
                "tags": ["operations"],
                "security": [{"metricsToken": []}],
                "responses": {
                    "200": {
                        "description": "Metrics.",
                        "content": {metrics_media: {"schema": {"type": "string"}}},
                    },
                    "401": _problem_response("Missing or invalid metrics token."),
                    "503": unavailable,
                },
            }
        },
        "/healthcare/api/openapi.json": {
            "get": {
                "operationId": "get_openapi",
                "summary": "This document",
                "tags": ["operations"],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "503": unavailable,
                },
            }
        },
    }


_SECURITY_SCHEMES = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "An Odoo API key of the backend's integration user.",
    },
    "metricsToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The metrics token set in the Integrations settings.",
    },
}


def build_document(flows, version="1.0.0", server_url=None):
    """The OpenAPI 3.1 document.

    ``flows``: iterable of dicts with ``backend``, ``flow`` (codes), ``name``,
    ``payload_format`` (json/x12), ``event_type``, ``versions`` (list), ``schemas`` (list
    of JSON Schemas, one per version) and ``max_body_bytes``.
    """
    schemas = {
        "Problem": _PROBLEM,
        "Accepted": _ACCEPTED,
        "MessageStatus": _MESSAGE_STATUS,
        "Health": _HEALTH,
    }
    paths = _webhook_paths(flows, schemas)  # lifts the flows' $defs into ``schemas``
    paths.update(_status_path())
    paths.update(_operations_paths())
    paths.update(_extract_path())
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Healthcare Integration Suite — HTTP API",
            "version": version,
            "description": (
                "Signed inbound webhooks (Standard Webhooks), status look-ups for sending "
                "systems, health and metrics. Errors are RFC 9457 problem details."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": copy.deepcopy(_SECURITY_SCHEMES),
        },
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
