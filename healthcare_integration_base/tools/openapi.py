"""OpenAPI 3.1 description of the suite's HTTP surface (pure Python).

``build_document(flows, version)`` takes plain descriptions of the active inbound flows
(see :func:`build_document`) so it can be built and tested without Odoo; the addon serves
it at ``/healthcare/api/openapi.json`` from its live configuration.
"""

import copy

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


def _embeddable(schema):
    """A flow's JSON Schema as an OpenAPI 3.1 schema object (same dialect, 2020-12)."""
    schema = copy.deepcopy(schema)
    for key in ("$id", "$schema"):
        schema.pop(key, None)
    return schema


def _webhook_operation(flow):
    fmt = flow.get("payload_format", "json")
    schemas = [_embeddable(s) for s in flow.get("schemas") or [] if isinstance(s, dict)]
    if fmt == "json":
        if len(schemas) == 1:
            body_schema = schemas[0]
        elif schemas:
            body_schema = {"oneOf": schemas}
        else:
            body_schema = {"type": "object"}
        # FHIR clients send their JSON as application/fhir+json: the same body
        media_types = ("application/json", "application/fhir+json")
        content = {media: {"schema": body_schema} for media in media_types}
    else:
        content = {
            media: {"schema": {"type": "string"}} for media in ("application/edi-x12", "text/plain")
        }
    header = {"in": "header", "required": True}
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
        "parameters": [
            dict(header, name="webhook-id", schema={"type": "string", "maxLength": 255}),
            dict(header, name="webhook-timestamp", schema={"type": "string"}),
            dict(header, name="webhook-signature", schema={"type": "string"}),
            {
                "in": "header",
                "name": "traceparent",
                "required": False,
                "schema": {"type": "string"},
            },
        ],
        "requestBody": {"required": True, "content": content},
        "responses": {
            "202": {
                "description": "Accepted: the event is stored in the queue.",
                "headers": dict(
                    _TRACEPARENT_OUT,
                    Location={
                        "description": "Status of the event.",
                        "schema": {"type": "string"},
                    },
                ),
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}
                },
            },
            "200": {
                "description": "Duplicate: this event was already received; the original "
                "message is returned.",
                "headers": _TRACEPARENT_OUT,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}
                },
            },
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
        },
    }


def build_document(flows, version="1.0.0", server_url=None):
    """The OpenAPI 3.1 document.

    ``flows``: iterable of dicts with ``backend``, ``flow`` (codes), ``name``,
    ``payload_format`` (json/x12), ``event_type``, ``versions`` (list), ``schemas`` (list
    of JSON Schemas, one per version) and ``max_body_bytes``.
    """
    paths = {}
    for flow in sorted(flows, key=lambda f: (f["backend"], f["flow"])):
        paths[f"/healthcare/webhook/{flow['backend']}/{flow['flow']}"] = {
            "post": _webhook_operation(flow)
        }
    paths["/healthcare/api/v1/messages/{event_id}"] = {
        "get": {
            "operationId": "get_message_status",
            "summary": "Status of an event sent by the caller's system",
            "tags": ["status"],
            "security": [{"apiKey": []}],
            "parameters": [
                {
                    "in": "path",
                    "name": "event_id",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
                }
            ],
            "responses": {
                "200": {
                    "description": "The message of this event.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/MessageStatus"}
                        }
                    },
                },
                "401": _problem_response("Missing or invalid API key."),
                "404": _problem_response("No such event for this API key."),
                "503": _problem_response("Database unavailable; retry later.", _RETRY_AFTER),
            },
        }
    }
    paths["/healthcare/health"] = {
        "get": {
            "operationId": "get_health",
            "summary": "Liveness and queue summary",
            "tags": ["operations"],
            "responses": {
                "200": {
                    "description": "The service and its database answer.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}
                    },
                },
                "503": _problem_response("Database unavailable.", _RETRY_AFTER),
            },
        }
    }
    paths["/healthcare/metrics"] = {
        "get": {
            "operationId": "get_metrics",
            "summary": "Prometheus metrics (text format 0.0.4)",
            "tags": ["operations"],
            "security": [{"metricsToken": []}],
            "responses": {
                "200": {
                    "description": "Metrics.",
                    "content": {"text/plain; version=0.0.4": {"schema": {"type": "string"}}},
                },
                "401": _problem_response("Missing or invalid metrics token."),
                "503": _problem_response("Database unavailable.", _RETRY_AFTER),
            },
        }
    }
    paths["/healthcare/api/openapi.json"] = {
        "get": {
            "operationId": "get_openapi",
            "summary": "This document",
            "tags": ["operations"],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1 document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "503": _problem_response("Database unavailable.", _RETRY_AFTER),
            },
        }
    }
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
            "schemas": {
                "Problem": _PROBLEM,
                "Accepted": _ACCEPTED,
                "MessageStatus": _MESSAGE_STATUS,
                "Health": _HEALTH,
            },
            "securitySchemes": {
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
            },
        },
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
