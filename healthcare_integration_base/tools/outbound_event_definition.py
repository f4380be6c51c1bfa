"""Outbound event definitions (pure Python): what an outbound flow sends when an Odoo
record changes, and the id that makes one change one event.

An outbound definition (imported like an inbound one, ``direction`` = ``outbound``)::

    {"code": "po_approved", "name": "Approved PO", "direction": "outbound",
     "event_type": "purchase_order.approved", "outbound_path": "/orders",
     "source_model": "purchase.order", "root": "order",
     "trigger": {"on": "on_create_or_write",               # base.automation trigger
                 "domain": [["state", "=", "purchase"]],   # after the change
                 "before_domain": [["state", "!=", "purchase"]],  # before it
                 "fields": ["state"]},                     # only when these change
     "fields": {
        "name": {"key": "number"},                         # plain value, renamed
        "partner_id": {"key": "supplier", "as": "code"},   # many2one: code, name,
        "currency_id": {"as": "name"},                     #   external_id (with
        "user_id": {"as": "external_id", "object": "user"},  #  "object") or id
        "order_line": {"key": "lines", "fields": {"product_qty": {}}}  # nested lines
     }}

Only the declared fields are sent (minimum necessary). The event is
``{"event_type", "schema_version", "occurred_at", <root>: {...}}``.
"""

import hashlib
import json

TRIGGERS = ("on_create_or_write", "on_create", "on_write")
MANY2ONE_AS = ("code", "name", "external_id", "id")
#: Fields a many2one ``"as": "code"`` reads on the comodel, first found wins.
CODE_FIELDS = ("default_code", "code", "ref", "barcode")
_SPEC_KEYS = {"key", "as", "object", "code_field", "fields"}
_TRIGGER_KEYS = {"on", "domain", "before_domain", "fields"}
_DEFINITION_KEYS = {
    "code", "name", "event_type", "sync_mode", "schema_versions", "direction",
    "outbound_path", "source_model", "root", "trigger", "fields",
}  # fmt: skip


def is_outbound(definition):
    return isinstance(definition, dict) and definition.get("direction") == "outbound"


def shape_problems(definition):
    """Problems of structure only (no Odoo needed)."""
    problems = [
        f"'{key}' is required"
        for key in ("code", "name", "event_type", "source_model", "fields")
        if not definition.get(key)
    ]
    unknown = set(definition) - _DEFINITION_KEYS
    if unknown:
        problems.append(f"unknown key(s) {', '.join(sorted(unknown))}")
    if definition.get("sync_mode", "realtime") not in ("realtime", "batch"):
        problems.append("'sync_mode' must be realtime or batch")
    root = definition.get("root", "record")
    if not isinstance(root, str) or not root.isidentifier():
        problems.append("'root' must be a plain key")
    if "trigger" in definition:
        problems += _trigger_problems(definition["trigger"])
    if isinstance(definition.get("fields"), dict):
        problems += _fields_problems(definition["fields"], "fields")
    elif "fields" in definition:
        problems.append("'fields' must be an object: field name → spec")
    return problems


def _trigger_problems(trigger):
    if not isinstance(trigger, dict):
        return ["'trigger' must be an object"]
    problems = []
    unknown = set(trigger) - _TRIGGER_KEYS
    if unknown:
        problems.append(f"trigger: unknown key(s) {', '.join(sorted(unknown))}")
    if trigger.get("on", "on_create_or_write") not in TRIGGERS:
        problems.append(f"trigger: 'on' must be one of {', '.join(TRIGGERS)}")
    for key in ("domain", "before_domain", "fields"):
        if key in trigger and not isinstance(trigger[key], list):
            problems.append(f"trigger: '{key}' must be a list")
    return problems


def _fields_problems(fields_map, where):
    problems = []
    for name, spec in fields_map.items():
        label = f"{where}.{name}"
        if not isinstance(spec, dict):
            problems.append(f"{label}: the spec must be an object")
            continue
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            problems.append(f"{label}: unknown key(s) {', '.join(sorted(unknown))}")
        if "key" in spec and not (isinstance(spec["key"], str) and spec["key"].isidentifier()):
            problems.append(f"{label}: 'key' must be a plain key")
        if spec.get("as") and spec["as"] not in MANY2ONE_AS:
            problems.append(f"{label}: 'as' must be one of {', '.join(MANY2ONE_AS)}")
        if spec.get("as") == "external_id" and not spec.get("object"):
            problems.append(f"{label}: 'as': 'external_id' needs an 'object' (binding type)")
        if "fields" in spec:
            if not isinstance(spec["fields"], dict) or not spec["fields"]:
                problems.append(f"{label}: 'fields' of lines must be a non-empty object")
            else:
                problems += _fields_problems(spec["fields"], label)
    return problems


def event_id(flow_ref, model, record_id, changed_at, content_hash):
    """The id of one change of one record on one flow: the same change queued twice
    (a replayed automation) has the same id, so it is stored and sent once."""
    raw = json.dumps([flow_ref, model, record_id, changed_at, content_hash])
    return "odoo-" + hashlib.sha256(raw.encode()).hexdigest()[:40]
