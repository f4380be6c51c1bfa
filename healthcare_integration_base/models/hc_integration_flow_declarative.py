import functools
import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import declarative_definition as decl
from ..tools import json_schema
from .hc_integration_flow import _describe_schema_error

DECLARATIVE = "hc.integration.handler.declarative"
#: Definition keys that are flow fields; the rest of the definition is stored as is.
_FLOW_KEYS = ("code", "name", "event_type", "sync_mode")
_STORED_ON_FLOW = (*_FLOW_KEYS, "schema_versions")


@functools.lru_cache(maxsize=64)
def _validator(schema_json):
    return json_schema.validator(json.loads(schema_json))


# pylint: disable=consider-merging-classes-inherited
class HcIntegrationFlow(models.Model):
    """Declarative flows: the handler is the flow's definition (JSON), checked against
    the live models when stored, versioned, importable and exportable (also over RPC)."""

    _inherit = "hc.integration.flow"

    declarative_definition = fields.Text(
        string="Definition",
        tracking=True,
        help="JSON: target_model, match, fields (path → field, constant, transform, "
        "mapping, binding, lookup, child lines), post_actions. See the README, "
        "'Adding a flow without code'.",
    )
    declarative_version = fields.Integer(
        string="Definition version",
        readonly=True,
        copy=False,
        default=0,
        help="Incremented on each change of the definition; every message records the "
        "version it was processed with.",
    )
    declarative_target_model = fields.Char(
        string="Target model", compute="_compute_declarative_target_model", store=True
    )

    @api.depends("declarative_definition")
    def _compute_declarative_target_model(self):
        for flow in self:
            flow.declarative_target_model = flow._hc_definition().get("target_model") or False

    def _hc_is_declarative(self):
        return self.handler_model == DECLARATIVE

    def _hc_definition(self):
        """The stored map with the flow's own fields (code, name, event type, sync mode,
        versions) over it: the flow form is the one place to edit those."""
        self.ensure_one()
        try:
            definition = json.loads(self.declarative_definition or "{}")
        except ValueError:
            return {}
        if not isinstance(definition, dict):
            return {}
        definition.update({key: self[key] for key in _FLOW_KEYS if self[key]})
        definition["schema_versions"] = self._get_accepted_versions() or ["1.0"]
        return definition

    # ----------------------------------------------------------------------------------
    # Checks against the live models
    # ----------------------------------------------------------------------------------
    @api.model
    def _hc_definition_problems(self, definition):
        """Every reason ``definition`` cannot be stored (empty when it can)."""
        problems = decl.shape_problems(definition)
        if problems:
            return problems
        declared = definition.get("mapping_types") or {}
        problems += self._hc_mapping_type_problems(declared)
        for prefix, part in decl.parts(definition):
            problems += self._hc_part_problems(part, prefix, declared)
        return problems

    @api.model
    def _hc_part_problems(self, part, prefix, declared):
        """Problems of one record a definition writes (the main one or an ``also``)."""
        handler = self.env[DECLARATIVE]
        model_name = part["target_model"]
        if model_name not in self.env:
            return [f"{prefix}unknown model '{model_name}'"]
        model = self.env[model_name]
        if handler._hc_refused_model(model_name) or model._abstract or model._transient:
            return [f"{prefix}the model '{model_name}' may not be written by an integration flow"]
        problems = self._hc_match_problems(model, part.get("match") or {})
        problems += self._hc_fields_problems(model, part["fields"], f"{prefix}fields", declared)
        allowed = handler._hc_post_actions(model_name)
        problems += [
            f"{prefix}post-action '{action}' is not allowed on {model_name} "
            f"(allowed: {', '.join(allowed) or 'none'})"
            for action in part.get("post_actions") or []
            if action not in allowed
        ]
        return problems

    @api.model
    def _hc_match_problems(self, model, match):
        name = match.get("field")
        if not name:
            return []
        field = model._fields.get(name)
        if not field or not field.store or field.type not in ("char", "integer"):
            return [f"match: '{name}' is not a stored char or integer field of {model._name}"]
        return []

    @api.model
    def _hc_mapping_type_problems(self, declared):
        """A declared type may not take the code of a type defined in code, nor change
        the target of one already declared."""
        problems = []
        mapping_model = self.env["hc.integration.mapping"]
        built_in = dict(mapping_model._hc_mapping_types())
        targets = mapping_model._mapping_target_models()
        handler = self.env[DECLARATIVE]
        for code, spec in declared.items():
            model_name = spec["target_model"]
            if code in built_in:
                problems.append(f"mapping_types.{code}: '{code}' is a built-in mapping type")
            elif code in targets and targets[code] != model_name:
                problems.append(
                    f"mapping_types.{code}: already declared with target {targets[code]}"
                )
            elif model_name not in self.env or handler._hc_refused_model(model_name):
                problems.append(f"mapping_types.{code}: '{model_name}' cannot be a target")
        return problems

    @api.model
    def _hc_fields_problems(self, model, fields_map, where, declared=None):
        problems = []
        mapping_model = self.env["hc.integration.mapping"]
        mapping_types = dict(mapping_model._fields["mapping_type"]._description_selection(self.env))
        targets = mapping_model._mapping_target_models()
        for code, spec in (declared or {}).items():
            mapping_types.setdefault(code, spec["name"])
            targets.setdefault(code, spec["target_model"])
        for name, spec in fields_map.items():
            label = f"{where}.{name}"
            field = model._fields.get(name)
            if not field:
                problems.append(f"{label}: {model._name} has no field '{name}'")
                continue
            if (
                field.readonly
                and not field.inverse
                and field.compute
                and name not in self.env[DECLARATIVE]._hc_writable_computed(model._name)
                or field.type == "many2one"
                and field.comodel_name not in self.env
            ):
                problems.append(f"{label}: the field cannot be written")
                continue
            problem = decl.field_type_problem(label, spec, field.type)
            if problem:
                problems.append(problem)
                continue
            comodel = field.comodel_name and self.env[field.comodel_name]
            if spec.get("lookup") and spec["lookup"] not in comodel._fields:
                problems.append(f"{label}: {comodel._name} has no field '{spec['lookup']}'")
            if spec.get("mapping"):
                if spec["mapping"] not in mapping_types:
                    problems.append(f"{label}: unknown mapping type '{spec['mapping']}'")
                elif targets.get(spec["mapping"]) != field.comodel_name:
                    problems.append(
                        f"{label}: mapping '{spec['mapping']}' does not give a {field.comodel_name}"
                    )
            if "fields" in spec:
                problems += self._hc_fields_problems(comodel, spec["fields"], label, declared)
        return problems

    @api.model
    def _hc_definition_field_types(self, definition):
        """``{"name": "char", "line_ids.product_qty": "float"}`` for the schema."""
        types = {}

        def walk(model, fields_map, prefix):
            for name, spec in fields_map.items():
                field = model._fields.get(name)
                if not field or not isinstance(spec, dict):
                    continue
                types[prefix + name] = field.type
                if "fields" in spec and field.comodel_name in self.env:
                    walk(self.env[field.comodel_name], spec["fields"], f"{prefix}{name}.")

        for prefix, part in decl.parts(definition):
            if part.get("target_model") in self.env:
                walk(self.env[part["target_model"]], part.get("fields") or {}, prefix)
        return types

    @api.constrains("handler_model", "declarative_definition")
    def _check_declarative_definition(self):
        for flow in self.filtered(lambda f: f._hc_is_declarative()):
            problems = self._hc_definition_problems(flow._hc_definition())
            if problems:
                raise ValidationError(
                    self.env._(
                        "The definition of flow %(flow)s is refused: %(problems)s.",
                        flow=flow.code,
                        problems="; ".join(problems),
                    )
                )

    # ----------------------------------------------------------------------------------
    # Versioning
    # ----------------------------------------------------------------------------------
    def write(self, vals):
        if "declarative_definition" not in vals:
            return super().write(vals)
        for flow in self:
            changed = (flow.declarative_definition or "") != (vals["declarative_definition"] or "")
            super(HcIntegrationFlow, flow).write(
                dict(vals, declarative_version=flow.declarative_version + int(changed))
            )
            if changed:
                self.env["hc.integration.audit"]._log(
                    "flow.definition",
                    f"Flow '{flow.display_name}' definition version {flow.declarative_version}",
                    record=flow,
                    backend=flow.backend_id,
                )
        return True

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("declarative_definition"):
                vals.setdefault("declarative_version", 1)
        return super().create(vals_list)

    # ----------------------------------------------------------------------------------
    # Validation of events (the schema is derived, not a file)
    # ----------------------------------------------------------------------------------
    def _validate_payload(self, payload):
        if not self._hc_is_declarative():
            return super()._validate_payload(payload)
        if not isinstance(payload, dict):
            return [{"path": "/", "message": "the body must be a JSON object"}]
        versions = self._get_accepted_versions()
        if payload.get("schema_version") not in versions:
            return [
                {
                    "path": "/schema_version",
                    "message": f"unsupported schema version; accepted: {', '.join(versions)}",
                }
            ]
        (schema,) = self._get_handler()._hc_schemas(self, [payload["schema_version"]])
        validator = _validator(json.dumps(schema, sort_keys=True))
        errors = []
        for error in sorted(validator.iter_errors(payload), key=lambda e: list(e.path)):
            path = "/" + "/".join(str(part) for part in error.absolute_path)
            errors.append({"path": path, "message": _describe_schema_error(error)})
        return errors

    # ----------------------------------------------------------------------------------
    # Import / export (RPC API)
    # ----------------------------------------------------------------------------------
    @api.model
    def hc_import_definition(self, backend_code, definition):
        """Create or update the declarative flow ``definition["code"]`` of the backend
        ``backend_code``; returns the flow id. Integration Managers only. A refused
        definition raises with every reason, and nothing is stored."""
        if not self.env.user.has_group("healthcare_integration_base.group_integration_manager"):
            raise AccessError(self.env._("Only Integration Managers may import flow definitions."))
        if isinstance(definition, str):
            try:
                definition = json.loads(definition)
            except ValueError:
                raise UserError(self.env._("The definition is not valid JSON.")) from None
        problems = self._hc_definition_problems(definition)
        if problems:
            raise UserError(self.env._("The definition is refused: %s.", "; ".join(problems)))
        backend = self.env["hc.integration.backend"].search([("code", "=", backend_code)], limit=1)
        if not backend:
            raise UserError(self.env._("Unknown backend '%s'.", backend_code))
        values = self._hc_definition_flow_values(backend, definition)
        flow = self.search([("backend_id", "=", backend.id), ("code", "=", definition["code"])])
        if flow:
            flow.write(values)
        else:
            flow = self.create(values)
        return flow.id

    @api.model
    def _hc_definition_flow_values(self, backend, definition):
        values = {key: definition[key] for key in _FLOW_KEYS if key in definition}
        values.update(
            backend_id=backend.id,
            direction="inbound",
            payload_format="json",
            handler_model=DECLARATIVE,
            schema_versions=",".join(decl.versions_of(definition)),
            payload_allowlist=False,
            declarative_definition=json.dumps(
                {key: value for key, value in definition.items() if key not in _STORED_ON_FLOW},
                indent=2,
                sort_keys=True,
            ),
        )
        return values

    def hc_export_definition(self):
        """The flow's definition as a dict, as :meth:`hc_import_definition` takes it."""
        self.ensure_one()
        self.check_access("read")
        return self._hc_definition()
