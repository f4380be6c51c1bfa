from odoo import Command, api, models
from odoo.exceptions import UserError, ValidationError

from ..exceptions import BusinessError, MappingError, StaleEventError
from ..tools import declarative_definition as decl

#: Model prefixes a declarative flow may never write: security, technical, the engine.
REFUSED_PREFIXES = ("ir.", "res.users", "res.groups", "hc.integration.", "base.", "bus.")
REFUSED_MODELS = {"res.company", "res.config.settings", "mail.message", "mail.followers"}
#: Post-actions a definition may name, per target model (extend with ``super()``).
POST_ACTIONS = {
    "purchase.order": ("button_confirm", "button_approve"),
    "stock.picking": ("action_confirm", "action_assign", "button_validate"),
    "account.move": ("action_post",),
    "sale.order": ("action_confirm",),
    "crm.lead": (),
    "maintenance.request": (),
    "res.partner": (),
}

#: Stored computed fields that Odoo's own forms let people set, per model.
WRITABLE_COMPUTED = {
    "stock.move.line": ("expiration_date",),  # product_expiry: the lot's expiry at receipt
}


class HcIntegrationHandlerDeclarative(models.AbstractModel):
    """The handler of declarative flows: the flow's definition (target model, match key,
    field map, child lines, post-actions) is the code. The JSON Schema and the
    allow-list are derived from the map, so only mapped paths are ever stored."""

    _name = "hc.integration.handler.declarative"
    _inherit = "hc.integration.handler"
    _description = "Declarative (configured in the flow)"

    # ----------------------------------------------------------------------------------
    # Contract
    # ----------------------------------------------------------------------------------
    @api.model
    def _hc_refused_model(self, model_name):
        return model_name in REFUSED_MODELS or model_name.startswith(REFUSED_PREFIXES)

    @api.model
    def _hc_post_actions(self, model_name):
        return POST_ACTIONS.get(model_name, ())

    @api.model
    def _hc_writable_computed(self, model_name):
        return WRITABLE_COMPUTED.get(model_name, ())

    @api.model
    def _hc_default_allowlist(self, flow):
        return decl.allowlist(flow._hc_definition())

    @api.model
    def _hc_schema_path(self, flow, version):
        return None  # the schema is derived, see _hc_schemas

    @api.model
    def _hc_schemas(self, flow, versions):
        definition = flow._hc_definition()
        types = flow._hc_definition_field_types(definition)
        return [decl.json_schema(definition, version, types) for version in versions]

    @api.model
    def _hc_contract_problems(self, flow):
        return flow._hc_definition_problems(flow._hc_definition())

    @api.model
    def _hc_ordering_key(self, flow, payload):
        match = flow._hc_definition().get("match") or {}
        path = match.get("external_id") or match.get("path")
        value = path and decl.get_path(payload, path)
        return value not in (None, "") and f"{flow.code}:{value}" or None

    # ----------------------------------------------------------------------------------
    # Processing
    # ----------------------------------------------------------------------------------
    def _hc_process(self, message):
        flow = message.flow_id
        definition = flow._hc_definition()
        if message.declarative_version != flow.declarative_version:  # a replay after a change
            message.sudo()._engine().declarative_version = flow.declarative_version
        backend, payload = message.backend_id, message.payload or {}
        record = self._hc_apply(backend, definition, payload, message)
        self._hc_run_post_actions(record, definition)
        records = [record]
        for part in definition.get("also") or []:
            other = self._hc_apply(backend, part, payload, message)
            self._hc_run_post_actions(other, part)
            records.append(other)
        return records

    def _hc_apply(self, backend, definition, payload, message=None):
        """Create or update the target record from ``payload``; returns it (bound when
        the match is an external id)."""
        model = self.env[definition["target_model"]]
        record, binding, external_id = self._hc_match(backend, model, definition, payload, message)
        values = self._hc_values(backend, model, definition["fields"], payload, "", message, record)
        if record:
            record.write(values)
        else:
            record = model.create(values)
        if external_id is not None:
            self._hc_bind(
                backend, definition["match"]["object"], external_id, record, binding, message
            )
        return record

    def _hc_bind(self, backend, object_type, external_id, record, binding, message):
        """Bind ``record`` with the binding the match found (none: an empty recordset),
        rather than searching for it again."""
        event_at = message and message.occurred_at
        self._hc_binding()._bind(backend, object_type, external_id, record, event_at, binding)

    def _hc_match(self, backend, model, definition, payload, message):
        """``(existing record or empty, its binding or None, external id or None)``."""
        match = definition.get("match") or {}
        if match.get("external_id"):
            external_id = decl.get_path(payload, match["external_id"])
            if external_id in (None, ""):
                raise BusinessError(f"The event has no {match['external_id']}.")
            external_id = str(external_id)
            binding = self._hc_binding()._find_binding(backend, match["object"], external_id)
            if binding and message and binding._is_stale(message.occurred_at):
                raise StaleEventError("An event more recent than this one was already applied.")
            record = binding.record if binding else None
            return (record or model.browse()), binding, external_id
        if match.get("field"):
            value = decl.get_path(payload, match["path"])
            if value in (None, ""):
                raise BusinessError(f"The event has no {match['path']}.")
            return model.search([(match["field"], "=", value)], limit=2)[:1], None, None
        return model.browse(), None, None

    def _hc_values(self, backend, model, fields_map, payload, prefix, message, record=None):
        """Field values from ``payload`` by the map; every missing mapping is collected
        into one :class:`MappingError` so a person maps them in one go."""
        values, missing = {}, []
        for name, spec in fields_map.items():
            field = model._fields[name]
            label = spec.get("path") or name
            if "fields" in spec:
                lines = [
                    self._hc_values(backend, self.env[field.comodel_name], spec["fields"],
                                    line, name, message)
                    for line in decl.get_path(payload, spec["path"]) or []
                    if isinstance(line, dict)
                ]  # fmt: skip
                values[name] = self._hc_line_commands(record, name, spec, lines)
                continue
            raw = spec["value"] if "value" in spec else decl.get_path(payload, spec["path"])
            if raw in (None, ""):
                if spec.get("required"):
                    raise BusinessError(f"{prefix and prefix + ': '}{label} is required.")
                if "value" in spec or self._hc_path_present(payload, spec["path"]):
                    values[name] = False
                continue
            try:
                values[name] = self._hc_field_value(backend, field, spec, raw, message)
            except MappingError as error:
                missing.extend(error.missing)
        if missing:
            raise MappingError(backend, missing)
        return values

    @staticmethod
    def _hc_line_commands(record, name, spec, lines):
        """Child lines: without a ``key`` they are replaced; with one, an existing line
        with the same key value is updated, new keys create lines, and lines whose key is
        no longer sent are removed (``"missing": "remove"``, the default) or kept."""
        key = spec.get("key")
        if not key:
            return [Command.clear()] + [Command.create(values) for values in lines]
        existing = {}
        for line in record[name] if record else ():
            value = line[key]
            existing.setdefault(value.id if hasattr(value, "_name") else value, []).append(line)
        commands, kept = [], set()
        for values in lines:
            candidates = existing.get(values.get(key)) or []
            if candidates:
                line = candidates.pop(0)
                kept.add(line.id)
                commands.append(Command.update(line.id, values))
            else:
                commands.append(Command.create(values))
        if spec.get("missing", "remove") == "remove" and record:
            commands += [Command.unlink(line.id) for line in record[name] if line.id not in kept]
        return commands

    @staticmethod
    def _hc_path_present(payload, path):
        *parents, leaf = path.split(".")
        node = decl.get_path(payload, ".".join(parents)) if parents else payload
        return isinstance(node, dict) and leaf in node

    def _hc_field_value(self, backend, field, spec, raw, message):
        label = spec.get("path") or field.name
        try:
            value = decl.convert_for(raw, spec, field.type)
        except ValueError as error:
            raise BusinessError(f"{label}: {error}.") from None
        if field.type != "many2one":
            return value
        comodel = self.env[field.comodel_name]
        if spec.get("binding"):
            return self._hc_binding()._require(backend, spec["binding"], str(value), message).id
        if spec.get("mapping"):
            target = self._hc_map(backend, spec["mapping"], str(value))
            return target.id if target else False
        found = comodel.search([(spec["lookup"], "=", value)], limit=2)
        if len(found) != 1:
            raise BusinessError(
                f"{label}: {len(found) and 'several' or 'no'} {comodel._description} "
                f"with {spec['lookup']} '{value}'.",
                category="mapping",
            )
        return found.id

    def _hc_run_post_actions(self, record, definition):
        """Allow-listed methods of the target, in the message's savepoint."""
        allowed = self._hc_post_actions(record._name)
        for action in definition.get("post_actions") or []:
            if action not in allowed:  # re-checked: the allow-list may have shrunk
                raise BusinessError(f"The post-action {action} is not allowed on this model.")
            try:
                result = getattr(record, action)()
            except (UserError, ValidationError) as error:
                raise BusinessError(
                    f"{action} on {record.display_name} was refused, nothing was applied: "
                    f"{error.args[0] if error.args else error}"
                ) from None
            if isinstance(result, dict) and result.get("type") == "ir.actions.act_window":
                # a wizard (backorder, expired lot…) asks a person: nothing is applied
                raise BusinessError(
                    f"{action} on {record.display_name} needs a decision in Odoo "
                    f"({result.get('name') or result.get('res_model')}); nothing was applied."
                )
