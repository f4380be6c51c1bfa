"""SCIM 2.0 PATCH operations and attribute selection on a resource as a dict, without Odoo
imports (RFC 7644 §3.5.2 and §3.9).

The endpoint reads the current resource, applies the operations here and saves the
result as it would save a PUT: one path for validation, ownership rules and audit.
Platform habits accepted: a capitalised ``op`` (Entra sends "Replace", "Add"), a value
without ``path`` whose keys are attribute paths, a manager given as a bare id.
"""

import copy

from .scim_filter import ENTERPRISE_USER, ScimError, matches, parse_path, split_schema

#: Attribute names as the schema spells them (lookups are case-insensitive).
NAMES = {
    name.lower(): name
    for name in [
        "schemas",
        "id",
        "externalId",
        "userName",
        "name",
        "displayName",
        "active",
        "emails",
        "meta",
        "familyName",
        "givenName",
        "value",
        "type",
        "primary",
        "employeeNumber",
        "costCenter",
        "department",
        "manager",
        "$ref",
        "created",
        "lastModified",
        "location",
        "version",
        "resourceType",
    ]
}
MULTI_VALUED = ("emails",)
COMPLEX = ("name", "manager", "meta")
ALWAYS_RETURNED = ("schemas", "id")


def canonical(name):
    return NAMES.get((name or "").lower(), name)


def _container(resource, schema, create=True):
    if schema != ENTERPRISE_USER:
        return resource
    if not isinstance(resource.get(ENTERPRISE_USER), dict):
        if not create:
            return {}
        resource[ENTERPRISE_USER] = {}
    return resource[ENTERPRISE_USER]


def _filter_defaults(tree):
    """The ``attr eq value`` conditions of a value filter (and-ed) as an element's
    attributes: ``replace emails[type eq "work"].value`` creates the work e-mail."""
    if tree[0] == "cmp" and tree[2] == "eq":
        return {canonical(tree[1]): tree[3]}
    if tree[0] == "and":
        return {**_filter_defaults(tree[1]), **_filter_defaults(tree[2])}
    return {}


def _set_value(container, attr, sub, value, op):
    if attr == "manager" and isinstance(value, str) and not sub:
        value = {"value": value}  # Entra: the manager's id alone
    if sub:
        target = container.get(attr)
        if not isinstance(target, dict):
            target = container[attr] = {}
        target[canonical(sub)] = value
        return
    if attr in MULTI_VALUED:
        values = value if isinstance(value, list) else [value]
        container[attr] = (list(container.get(attr) or []) if op == "add" else []) + values
    elif attr in COMPLEX and isinstance(value, dict) and isinstance(container.get(attr), dict):
        container[attr] = {**container[attr], **{canonical(k): v for k, v in value.items()}}
    else:
        container[attr] = value


def _apply_filtered(container, attr, tree, sub, op, value):
    items = [item for item in container.get(attr) or [] if isinstance(item, dict)]
    selected = [item for item in items if matches(tree, item)]
    if op == "remove":
        if not selected:
            raise ScimError(400, "No value matches the path's filter.", "noTarget")
        if sub:
            for item in selected:
                item.pop(canonical(sub), None)
            container[attr] = items
        else:
            container[attr] = [item for item in items if item not in selected]
        return
    if not selected:
        item = _filter_defaults(tree)
        items.append(item)
        selected = [item]
    for item in selected:
        if sub:
            item[canonical(sub)] = value
        elif isinstance(value, dict):
            item.update({canonical(k): v for k, v in value.items()})
    container[attr] = items


def _apply_path(resource, op, path, value):
    schema, attr, tree, sub = parse_path(path)
    attr = canonical(attr)
    if attr in ("id", "meta", "schemas"):
        raise ScimError(400, f"'{attr}' cannot be modified.", "mutability")
    if schema == ENTERPRISE_USER and not attr:
        if op == "remove":
            resource.pop(ENTERPRISE_USER, None)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key.lower() != "schemas":
                    _apply_path(resource, op, f"{ENTERPRISE_USER}:{key}", item)
        return
    container = _container(resource, schema, create=op != "remove")
    if tree is not None:
        _apply_filtered(container, attr, tree, sub, op, value)
    elif op == "remove":
        if sub and isinstance(container.get(attr), dict):
            container[attr].pop(canonical(sub), None)
        elif not sub:
            container.pop(attr, None)
    else:
        _set_value(container, attr, sub, value, op)


def apply_patch(resource, body):
    """A copy of ``resource`` with the operations of a PatchOp ``body`` applied."""
    operations = body.get("Operations") if isinstance(body, dict) else None
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "A PatchOp needs a non-empty 'Operations' list.", "invalidSyntax")
    result = copy.deepcopy(resource)
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation must be an object.", "invalidSyntax")
        op = str(operation.get("op") or "").lower()  # Entra: "Replace", "Add"
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, f"Unknown PATCH operation '{op}'.", "invalidSyntax")
        path, value = operation.get("path"), operation.get("value")
        if path:
            _apply_path(result, op, path, value)
        elif op == "remove":
            raise ScimError(400, "A remove operation needs a path.", "noTarget")
        elif isinstance(value, dict):
            for key, item in value.items():
                if key.lower() != "schemas":
                    _apply_path(result, op, key, item)
        else:
            raise ScimError(400, "An operation without path needs an object value.", "invalidValue")
    return result


def _split_paths(paths):
    """``[(schema, attribute, sub)]`` of comma-separated attribute paths."""
    found = []
    for text in paths:
        for raw in (text or "").split(","):
            raw = raw.strip()
            if not raw:
                continue
            schema, rest = split_schema(raw)
            attr, _dot, sub = rest.partition(".")
            found.append((schema, canonical(attr), canonical(sub) if sub else None))
    return found


def project(resource, attributes=None, excluded=None):
    """The resource limited to ``attributes`` or without ``excluded`` (lists of
    comma-separated paths); ``schemas`` and ``id`` are always returned."""
    if attributes:
        result = {key: resource[key] for key in ALWAYS_RETURNED if key in resource}
        for schema, attr, sub in _split_paths(attributes):
            source = resource.get(ENTERPRISE_USER) if schema == ENTERPRISE_USER else resource
            if not isinstance(source, dict):
                continue
            if not attr:
                result[ENTERPRISE_USER] = copy.deepcopy(source)
                continue
            if attr not in source:
                continue
            target = result.setdefault(ENTERPRISE_USER, {}) if source is not resource else result
            if sub and isinstance(source[attr], dict):
                if sub in source[attr]:
                    target.setdefault(attr, {})[sub] = source[attr][sub]
            elif sub and isinstance(source[attr], list):
                target[attr] = [{sub: item[sub]} for item in source[attr] if sub in item]
            else:
                target[attr] = copy.deepcopy(source[attr])
        return result
    result = copy.deepcopy(resource)
    for schema, attr, sub in _split_paths(excluded or []):
        target = result.get(ENTERPRISE_USER) if schema == ENTERPRISE_USER else result
        if not isinstance(target, dict) or attr in ALWAYS_RETURNED:
            continue
        if not attr:
            result.pop(ENTERPRISE_USER, None)
        elif sub and isinstance(target.get(attr), dict):
            target[attr].pop(sub, None)
        elif sub and isinstance(target.get(attr), list):
            for item in target[attr]:
                item.pop(sub, None)
        else:
            target.pop(attr, None)
    return result
