"""Declarative flow definitions (pure Python): shape checks, value transforms, and what
the engine derives from a definition — the JSON Schema of its events and the payload
allow-list (only mapped paths are ever stored).

A definition (the minimal form of issue 14 is valid as it is)::

    {"code": "vendor_onboarding", "name": "Vendor onboarding", "event_type": "vendor.upsert",
     "sync_mode": "realtime", "target_model": "res.partner",
     "schema_versions": ["1.0"],                                   # optional
     "match": {"external_id": "vendor.id", "object": "vendor"},
     # or: "match": {"field": "ref", "path": "vendor.code"}
     "fields": {
        "name": {"path": "vendor.name", "required": true, "transform": "trim"},
        "comment": {"value": "onboarded by integration"},
        "category_id": …,                                          # relational fields below
        "parent_id": {"path": "vendor.parent_id", "binding": "vendor"},   # waits for the binding
        "country_id": {"path": "vendor.country", "lookup": "code"},       # search on a field
        "industry_id": {"path": "vendor.sector", "mapping": "industry"},  # value mapping
        "child_ids": {"path": "vendor.contacts", "fields": {"name": {"path": "name"}}}
     },
     "post_actions": ["action_confirm"]}

Paths are dotted and relative to the event's root; child line paths are relative to the
line. Checks that need Odoo (models, fields, allow-listed post-actions) live in
``hc.integration.flow`` (``_hc_check_definition``).
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

TRANSFORMS = ("date", "datetime", "decimal", "integer", "trim", "lower", "upper", "boolean")
TRUE_WORDS = {"1", "true", "t", "yes", "y", "on", "oui", "ja", "si", "x"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "off", "non", "nein", ""}
ENVELOPE = ("event_type", "schema_version", "occurred_at")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_SPEC_KEYS = {
    "path", "value", "required", "transform", "mapping", "binding", "lookup", "fields",
    "max_length", "key", "missing",
}  # fmt: skip
_PART_KEYS = {"target_model", "match", "fields", "post_actions"}
#: field types → JSON Schema types of the payload value (before transform)
_JSON_TYPES = {
    "char": ["string"],
    "text": ["string"],
    "html": ["string"],
    "selection": ["string"],
    "integer": ["integer", "string"],
    "float": ["number", "string"],
    "monetary": ["number", "string"],
    "boolean": ["boolean", "string", "integer"],
    "date": ["string"],
    "datetime": ["string"],
    "many2one": ["string", "integer"],
}
#: transform → the field types it may feed
_TRANSFORM_TARGETS = {
    "date": {"date", "datetime", "char"},
    "datetime": {"datetime", "char"},
    "decimal": {"float", "monetary", "char"},
    "integer": {"integer", "float", "monetary", "char"},
    "boolean": {"boolean"},
    "trim": {"char", "text", "html", "selection", "many2one"},
    "lower": {"char", "text", "html", "selection", "many2one"},
    "upper": {"char", "text", "html", "selection", "many2one"},
}


class DefinitionError(ValueError):
    """A definition that cannot be stored; ``problems`` lists every reason."""

    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


# ---------------------------------------------------------------------------------------
# Shape
# ---------------------------------------------------------------------------------------
def is_path(value):
    return isinstance(value, str) and bool(_PATH.match(value))


def versions_of(definition):
    versions = definition.get("schema_versions") or ["1.0"]
    if isinstance(versions, str):
        versions = [v.strip() for v in versions.split(",") if v.strip()]
    return list(versions)


def shape_problems(definition):
    """Problems of structure only (no Odoo needed): keys, paths, transforms."""
    if not isinstance(definition, dict):
        return ["the definition must be a JSON object"]
    problems = [
        f"'{key}' is required"
        for key in ("code", "name", "event_type", "target_model", "fields")
        if not definition.get(key)
    ]
    if definition.get("sync_mode", "realtime") not in ("realtime", "batch"):
        problems.append("'sync_mode' must be realtime or batch")
    match = definition.get("match")
    if match is not None:
        problems += _match_problems(match)
    problems += mapping_types_problems(definition.get("mapping_types", {}))
    problems += _part_problems(definition, "")
    also = definition.get("also", [])
    if not isinstance(also, list):
        return [*problems, "'also' must be a list of records to write"]
    for index, part in enumerate(also):
        where = f"also[{index}]"
        if not isinstance(part, dict) or set(part) - _PART_KEYS or not part.get("target_model"):
            problems.append(f"{where}: needs target_model and fields (and optionally "
                            "match, post_actions), nothing else")  # fmt: skip
            continue
        problems += _part_problems(part, f"{where}.")
    return problems


def parts(definition):
    """``[(prefix, part)]``: the main record, then the ``also`` records, each with its
    target model, match, fields and post-actions."""
    also = definition.get("also") or []
    return [("", definition)] + [(f"also[{i}].", part) for i, part in enumerate(also)]


def _part_problems(part, where):
    problems = []
    if "match" in part and where:
        problems += [f"{where}{problem}" for problem in _match_problems(part["match"])]
    if not isinstance(part.get("post_actions", []), list):
        problems.append(f"'{where}post_actions' must be a list of method names")
    if isinstance(part.get("fields"), dict) and part["fields"]:
        problems += _fields_problems(part["fields"], f"{where}fields")
    elif "fields" in part or where:
        problems.append(f"'{where}fields' must be an object: field name → spec")
    return problems


def mapping_types_problems(declared):
    """``mapping_types``: ``{code: {"name": …, "target_model": …}}``."""
    if not isinstance(declared, dict):
        return ["'mapping_types' must be an object: code → {name, target_model}"]
    problems = []
    for code, spec in declared.items():
        if not _CODE.match(code):
            problems.append(f"mapping_types: '{code}' is not a code (a-z, 0-9, _)")
        elif not isinstance(spec, dict) or not all(
            isinstance(spec.get(key), str) and spec[key] for key in ("name", "target_model")
        ):
            problems.append(f"mapping_types.{code}: needs a 'name' and a 'target_model'")
    return problems


def _match_problems(match):
    if not isinstance(match, dict):
        return ["'match' must be an object"]
    if "external_id" in match:
        if not is_path(match["external_id"]) or not match.get("object"):
            return ["'match' by external id needs a path 'external_id' and an 'object' name"]
        return []
    if "field" in match:
        return [] if is_path(match.get("path")) else ["'match' by field needs a 'path'"]
    return ["'match' needs 'external_id' (with 'object') or 'field' (with 'path')"]


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
        if ("path" in spec) == ("value" in spec):
            problems.append(f"{label}: give either 'path' or 'value'")
        elif "path" in spec and not is_path(spec["path"]):
            problems.append(f"{label}: '{spec['path']}' is not a dotted path")
        if spec.get("transform") and spec["transform"] not in TRANSFORMS:
            problems.append(f"{label}: unknown transform '{spec['transform']}'")
        if len([k for k in ("mapping", "binding", "lookup") if spec.get(k)]) > 1:
            problems.append(f"{label}: choose one of mapping, binding, lookup")
        if "fields" in spec:
            if not isinstance(spec["fields"], dict) or "path" not in spec:
                problems.append(f"{label}: child lines need a 'path' and a 'fields' object")
            else:
                problems += _fields_problems(spec["fields"], label)
                problems += _line_key_problems(spec, label)
        elif "key" in spec or "missing" in spec:
            problems.append(f"{label}: 'key' and 'missing' are for child lines")
    return problems


def _line_key_problems(spec, label):
    if "key" in spec and spec["key"] not in spec["fields"]:
        return [f"{label}: the key '{spec['key']}' must be one of the line's fields"]
    if "missing" in spec and ("key" not in spec or spec["missing"] not in ("remove", "keep")):
        return [f"{label}: 'missing' (remove or keep) needs a 'key'"]
    return []


def field_type_problem(label, spec, ttype):
    """Why ``spec`` cannot feed a field of type ``ttype`` (None when it can)."""
    transform = spec.get("transform")
    if transform and ttype not in _TRANSFORM_TARGETS[transform]:
        return f"{label}: transform '{transform}' does not fit a {ttype} field"
    if "fields" in spec:
        return None if ttype == "one2many" else f"{label}: child lines need a one2many field"
    if ttype not in _JSON_TYPES:
        return f"{label}: {ttype} fields cannot be mapped"
    if (
        ttype == "many2one"
        and "value" not in spec
        and not (spec.get("binding") or spec.get("lookup") or spec.get("mapping"))
    ):
        return f"{label}: a many2one needs 'binding', 'lookup' or 'mapping'"
    if "value" in spec and spec["value"] is not None:
        try:
            convert(spec["value"], transform or _default_transform(ttype))
        except ValueError:
            return f"{label}: the constant does not fit a {ttype} field"
        if ttype in ("char", "text", "html", "selection") and not isinstance(spec["value"], str):
            return f"{label}: the constant must be a string for a {ttype} field"
    return None


def _default_transform(ttype):
    return {
        "integer": "integer",
        "float": "decimal",
        "monetary": "decimal",
        "boolean": "boolean",
        "date": "date",
        "datetime": "datetime",
    }.get(ttype)


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------
def get_path(payload, path):
    """The value at a dotted path, or None when any step is missing."""
    value = payload
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(transform):
    def apply(value):
        text = str(value).strip()
        return {"lower": text.lower, "upper": text.upper}.get(transform, lambda: text)()

    return apply


def _boolean(value):
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("not a yes/no value")


def _decimal(value):
    if isinstance(value, bool):
        raise ValueError("not a number")  # noqa: TRY004 - callers catch ValueError
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not number.is_finite():
        raise ValueError("not a number")
    return number


def _integer(value):
    number = _decimal(value)
    if number != number.to_integral_value():
        raise ValueError("not an integer")
    return int(number)


def _datetime(value):
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo:  # Odoo stores naive UTC
        parsed = parsed.replace(tzinfo=None) - parsed.utcoffset()
    return parsed


_CONVERTERS = {
    "trim": _text("trim"),
    "lower": _text("lower"),
    "upper": _text("upper"),
    "boolean": _boolean,
    "integer": _integer,
    "decimal": lambda value: float(_decimal(value)),
    "date": lambda value: date.fromisoformat(str(value)[:10]),
    "datetime": _datetime,
}


def convert(value, transform):
    """Apply one transform; raises ``ValueError`` (without the value) when it cannot."""
    if value is None or transform is None:
        return value
    if isinstance(value, (dict, list)):
        raise ValueError("not a plain value")  # noqa: TRY004 - callers catch ValueError
    return _CONVERTERS[transform](value)


def convert_for(value, spec, ttype):
    """``convert`` with the field type's default transform when the spec names none."""
    return convert(value, spec.get("transform") or _default_transform(ttype))


# ---------------------------------------------------------------------------------------
# Derived contract
# ---------------------------------------------------------------------------------------
def allowlist(definition):
    """Every mapped path (the match path too): nothing else is stored."""
    paths = []
    for _prefix, part in parts(definition):
        match = part.get("match") or {}
        for key in ("external_id", "path"):
            if is_path(match.get(key)):
                paths.append(match[key])
        paths += _allow_fields(part.get("fields") or {}, "")
    return list(dict.fromkeys(paths))


def _allow_fields(fields_map, prefix):
    paths = []
    for spec in fields_map.values():
        if not isinstance(spec, dict) or not is_path(spec.get("path")):
            continue
        if "fields" in spec:
            paths += _allow_fields(spec["fields"], f"{prefix}{spec['path']}[].")
        else:
            paths.append(prefix + spec["path"])
    return paths


def json_schema(definition, version, field_types):
    """The JSON Schema (2020-12) of one version of the events. ``field_types`` maps
    ``field name`` (dotted for child lines: ``line_ids.product_qty``) → Odoo type."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{definition.get('event_type')} {version} (declarative flow "
        f"{definition.get('code')})",
        "type": "object",
        "required": list(ENVELOPE),
        "properties": {
            "event_type": {"const": definition.get("event_type")},
            "schema_version": {"const": version},
            "occurred_at": {"type": "string", "format": "date-time", "minLength": 10},
        },
    }
    for prefix, part in parts(definition):
        match = part.get("match") or {}
        match_path = match.get("external_id") or match.get("path")
        if is_path(match_path):
            _put(schema, match_path.split("."), {"type": ["string", "integer"]}, True)
        _schema_fields(schema, part.get("fields") or {}, field_types, prefix)
    return schema


def _schema_fields(schema, fields_map, field_types, prefix):
    for name, spec in fields_map.items():
        if not isinstance(spec, dict) or not is_path(spec.get("path")):
            continue
        if "fields" in spec:
            item = {"type": "object", "properties": {}}
            _schema_fields(item, spec["fields"], field_types, f"{prefix}{name}.")
            leaf = {"type": "array", "items": item}
        else:
            types = list(_JSON_TYPES.get(field_types.get(prefix + name), ["string"]))
            leaf = {"type": types if spec.get("required") else types + ["null"]}
            if "date" in (spec.get("transform"), field_types.get(prefix + name)):
                leaf["minLength"] = 10
        _put(schema, spec["path"].split("."), leaf, bool(spec.get("required")))


def _put(node, parts, leaf, required):
    """Place ``leaf`` at ``parts`` under ``node``, creating the objects on the way; a
    required leaf makes its whole path required."""
    head, rest = parts[0], parts[1:]
    properties = node.setdefault("properties", {})
    if required and head not in node.setdefault("required", []):
        node["required"].append(head)
    if not rest:
        properties[head] = leaf
        return
    child = properties.setdefault(head, {"type": "object", "properties": {}})
    _put(child, rest, leaf, required)
