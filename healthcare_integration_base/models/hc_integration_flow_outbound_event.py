import json

from odoo import api, models
from odoo.exceptions import ValidationError

from ..tools import outbound_event_definition as oed
from ..tools.payload import canonical_json, sha256_hex
from .hc_integration_flow_declarative import _STORED_ON_FLOW

RECORD_HANDLER = "hc.integration.handler.outbound.record"
#: Context key through which the enqueue hands the record's ordering key to the handler.
ORDERING_CONTEXT_KEY = "hc_record_ordering_key"
#: Field types an event may carry (binary, html and properties never leave Odoo this way).
_PLAIN_TYPES = {"char", "text", "selection", "integer", "float", "monetary", "boolean", "date"}
_PLAIN_TYPES |= {"datetime"}
_RELATIONAL_TYPES = {"many2one", "one2many", "many2many"}
#: Precommit data key of the record changes to publish when the transaction commits.
PENDING_KEY = "hc_integration.record_events"
#: Keys of an outbound definition kept on flow fields rather than in the stored map.
_OUTBOUND_FLOW_KEYS = ("direction", "outbound_path")


# hc.integration.flow is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationFlow(models.Model):
    """Outbound flows fed by Odoo's own record changes (issue 14 §3): the definition (stored
    like a declarative one, versioned and audited) names the source model, the fields to
    send and the ``base.automation`` trigger; the server action "Send to integration flow"
    queues one event per changed record through :meth:`_hc_enqueue_record_events`."""

    _inherit = "hc.integration.flow"

    def _hc_is_record_event_flow(self):
        return self.handler_model == RECORD_HANDLER

    # ----------------------------------------------------------------------------------
    # Definition checks against the live models
    # ----------------------------------------------------------------------------------
    @api.model
    def _hc_definition_problems(self, definition):
        if not oed.is_outbound(definition):
            return super()._hc_definition_problems(definition)
        return self._hc_outbound_definition_problems(definition)

    @api.model
    def _hc_outbound_definition_problems(self, definition):
        """Every reason the outbound ``definition`` cannot be stored."""
        problems = oed.shape_problems(definition)
        if problems:
            return problems
        model_name = definition["source_model"]
        if model_name not in self.env:
            return [f"unknown model '{model_name}'"]
        model = self.env[model_name]
        refused = self.env["hc.integration.handler.declarative"]._hc_refused_model(model_name)
        if refused or model._abstract or model._transient:
            return [f"the model '{model_name}' may not be published by an integration flow"]
        problems += self._hc_event_fields_problems(model, definition["fields"], "fields")
        return problems + self._hc_trigger_problems(model, definition.get("trigger") or {})

    @api.model
    def _hc_event_fields_problems(self, model, fields_map, where):
        problems = []
        for name, spec in fields_map.items():
            label = f"{where}.{name}"
            field = model._fields.get(name)
            if not field:
                problems.append(f"{label}: {model._name} has no field '{name}'")
            elif field.groups:
                problems.append(f"{label}: a group-restricted field cannot be sent")
            elif field.type not in _PLAIN_TYPES | _RELATIONAL_TYPES:
                problems.append(f"{label}: {field.type} fields cannot be sent")
            elif field.type in _RELATIONAL_TYPES and field.comodel_name not in self.env:
                problems.append(f"{label}: the field cannot be read")
            elif field.type not in _RELATIONAL_TYPES and ("as" in spec or "fields" in spec):
                problems.append(f"{label}: 'as' and 'fields' apply to relational fields only")
            elif field.type == "many2one" and "fields" in spec:
                problems.append(f"{label}: nested 'fields' need a one2many or many2many")
            elif "fields" in spec:
                comodel = self.env[field.comodel_name]
                problems += self._hc_event_fields_problems(comodel, spec["fields"], label)
            elif field.type in _RELATIONAL_TYPES and spec.get("as") == "code":
                comodel = self.env[field.comodel_name]
                if not self._hc_code_field(comodel, spec):
                    problems.append(f"{label}: {comodel._name} has no code field")
        return problems

    @api.model
    def _hc_code_field(self, comodel, spec):
        names = [spec["code_field"]] if spec.get("code_field") else oed.CODE_FIELDS
        return next((name for name in names if name in comodel._fields), None)

    @api.model
    def _hc_trigger_problems(self, model, trigger):
        problems = [
            f"trigger.fields: {model._name} has no field '{name}'"
            for name in trigger.get("fields") or []
            if name not in model._fields
        ]
        for key in ("domain", "before_domain"):
            try:
                model.sudo().search_count(trigger.get(key) or [], limit=1)
            except Exception:  # noqa: BLE001 - any invalid domain is refused, with its key
                problems.append(f"trigger.{key}: not a valid domain on {model._name}")
        return problems

    @api.constrains("handler_model", "declarative_definition", "direction")
    def _check_outbound_event_definition(self):
        for flow in self.filtered(lambda f: f._hc_is_record_event_flow()):
            definition = dict(flow._hc_definition(), direction="outbound")
            problems = self._hc_outbound_definition_problems(definition)
            if flow.direction != "outbound":
                problems.append("a flow fed by Odoo record changes must be outbound")
            if problems:
                raise ValidationError(
                    self.env._(
                        "The definition of flow %(flow)s is refused: %(problems)s.",
                        flow=flow.code,
                        problems="; ".join(problems),
                    )
                )

    # ----------------------------------------------------------------------------------
    # Import / export
    # ----------------------------------------------------------------------------------
    @api.model
    def _hc_definition_flow_values(self, backend, definition):
        values = super()._hc_definition_flow_values(backend, definition)
        if not oed.is_outbound(definition):
            return values
        skipped = _STORED_ON_FLOW + _OUTBOUND_FLOW_KEYS
        stored = {key: value for key, value in definition.items() if key not in skipped}
        values.update(
            direction="outbound",
            handler_model=RECORD_HANDLER,
            outbound_path=definition.get("outbound_path") or False,
            declarative_definition=json.dumps(stored, indent=2, sort_keys=True),
        )
        return values

    def hc_export_definition(self):
        definition = super().hc_export_definition()
        if self._hc_is_record_event_flow():
            definition.update(direction="outbound", outbound_path=self.outbound_path or "")
        return definition

    # ----------------------------------------------------------------------------------
    # The automation rule (Odoo's base.automation decides when; this flow what)
    # ----------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        flows = super().create(vals_list)
        flows._hc_sync_automations()
        return flows

    def write(self, vals):
        result = super().write(vals)
        if "declarative_definition" in vals or "handler_model" in vals:
            self._hc_sync_automations()
        return result

    def _hc_sync_automations(self):
        """A definition with a ``trigger`` owns its automation rule, kept in step with it
        (without one, managers attach the flow's action to rules of their own)."""
        for flow in self.filtered(lambda f: f._hc_is_record_event_flow()):
            if flow._hc_definition().get("trigger"):
                flow._hc_sync_automation()

    def action_hc_open_automation(self):
        self.ensure_one()
        rule = self._hc_automation_action().base_automation_id
        return {
            "type": "ir.actions.act_window",
            "res_model": "base.automation",
            "res_id": rule.id,
            "view_mode": "form",
        }

    def _hc_automation_action(self):
        return (
            self.env["ir.actions.server"]
            .sudo()
            .search(
                [("hc_flow_id", "=", self.id), ("base_automation_id", "!=", False)],
                limit=1,
            )
        )

    def _hc_sync_automation(self):
        """Create or update the automation rule of the definition's ``trigger`` (engine
        write path: the caller is an Integration Manager; audited)."""
        self.ensure_one()
        definition = self._hc_definition()
        trigger = definition.get("trigger") or {}
        model = self.env["ir.model"].sudo()._get(definition["source_model"])
        fields_ids = (
            self.env["ir.model.fields"]
            .sudo()
            .search([("model_id", "=", model.id), ("name", "in", trigger.get("fields") or [])])
        )
        values = {
            "name": self.env._("%s (integration flow)", self.name),
            "model_id": model.id,
            "trigger": trigger.get("on") or "on_create_or_write",
            "filter_domain": repr(trigger.get("domain") or []),
            "filter_pre_domain": repr(trigger["before_domain"])
            if trigger.get("before_domain")
            else False,
            "trigger_field_ids": [(6, 0, fields_ids.ids)],
        }
        action = self._hc_automation_action()
        if action:
            action.base_automation_id.write(values)
        else:
            # conditions are written after create: base.automation computes them from the
            # trigger at creation
            rule = (
                self.env["base.automation"]
                .sudo()
                .create({key: values[key] for key in ("name", "model_id", "trigger")})
            )
            rule.write(values)
            action = action.create(
                {
                    "name": self.env._("Send to %s", self.name),
                    "model_id": model.id,
                    "base_automation_id": rule.id,
                    "usage": "base_automation",
                    "state": "hc_integration_flow",
                    "hc_flow_id": self.id,
                }
            )
        self.env["hc.integration.audit"]._log(
            "flow.automation",
            f"{self.code}: automation rule #{action.base_automation_id.id} on {model.model} "
            f"({values['trigger']}) set by the definition",
            record=self,
            backend=self.backend_id,
        )
        return action.base_automation_id

    # ----------------------------------------------------------------------------------
    # Events
    # ----------------------------------------------------------------------------------
    def _hc_enqueue_record_events_at_commit(self, records, rule_name=None):
        """Queue the events of ``records`` when the transaction commits, with the records
        as they are then: one event per record and transaction, so a change saved in
        several writes (a payment posted, then numbered) is one event, in the order of
        the first change of each record."""
        self.ensure_one()
        data = self.env.cr.precommit.data
        if PENDING_KEY not in data:
            pending = data[PENDING_KEY] = {}
            env = self.env
            self.env.cr.precommit.add(
                lambda: env["hc.integration.flow"]._hc_publish_pending(pending)
            )
        for record in records:
            key = (self.id, record._name, record.id)
            data[PENDING_KEY].setdefault(key, (_changed_at(record), rule_name))

    @api.model
    def _hc_publish_pending(self, pending):
        """Precommit: queue the pending record events. A change undone since (its
        savepoint rolled back: the write date is the earlier one again) is not sent."""
        for (flow_id, model, record_id), (changed_at, rule_name) in pending.items():
            flow = self.sudo().browse(flow_id).exists()
            record = self.env[model].sudo().browse(record_id).exists()
            if flow.active and record and _changed_at(record) == changed_at:
                flow._hc_enqueue_record_events(record, rule_name=rule_name)
        pending.clear()
        self.env.flush_all()  # the commit does not flush again after precommit hooks

    def _hc_enqueue_record_events(self, records, rule_name=None):
        """Queue one event per record on this outbound flow; returns the messages stored
        (a change already queued — same flow, record, write date and content — is not
        stored again: a replayed automation sends nothing twice). Engine write path:
        sudo inside, audited with the user whose change triggered it."""
        self.ensure_one()
        flow = self.sudo()
        definition = flow._hc_definition()
        messages = self.env["hc.integration.message"]
        for record in records.sudo():
            payload = flow._hc_record_event(record, definition)
            content_hash = sha256_hex(canonical_json(payload))
            event_id = oed.event_id(
                f"{flow.backend_id.code}/{flow.code}",
                record._name,
                record.id,
                payload["occurred_at"],
                content_hash,
            )
            ordering = {ORDERING_CONTEXT_KEY: f"{flow.code}:{record._name}:{record.id}"}
            message, status = messages.sudo()._hc_enqueue(
                flow.with_context(**ordering),
                payload,
                external_id=event_id,
                content_hash=content_hash,
            )
            if status == "created":
                self.env["hc.integration.audit"]._log(
                    "message.record_event",
                    f"{flow.code}: {record._name} #{record.id} changed by user "
                    f"#{self.env.uid}" + (f", rule '{rule_name}'" if rule_name else ""),
                    message=message,
                    backend=flow.backend_id,
                )
                messages |= message
        return messages

    def _hc_record_event(self, record, definition):
        """The event document of ``record``: the envelope and the declared fields only."""
        versions = self._get_accepted_versions() or ["1.0"]
        changed_at = _changed_at(record)
        return {
            "event_type": self.event_type,
            "schema_version": versions[0],
            "occurred_at": changed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if changed_at else None,
            definition.get("root") or "record": self._hc_record_values(
                record, definition["fields"]
            ),
        }

    def _hc_record_values(self, record, fields_map):
        values = {}
        for name, spec in fields_map.items():
            field = record._fields[name]
            value = record[name]
            if field.type in ("one2many", "many2many"):
                if spec.get("fields"):
                    result = [self._hc_record_values(line, spec["fields"]) for line in value]
                else:
                    result = [self._hc_related_value(line, spec) for line in value]
            elif field.type == "many2one":
                result = self._hc_related_value(value, spec) if value else None
            else:
                result = self._hc_plain_value(field, value)
            values[spec.get("key") or name] = result
        return values

    @api.model
    def _hc_plain_value(self, field, value):
        if field.type == "boolean":
            return bool(value)
        if value is False or value is None:
            return None
        if field.type == "datetime":
            return value.strftime("%Y-%m-%dT%H:%M:%SZ")
        if field.type == "date":
            return value.isoformat()
        return value

    def _hc_related_value(self, related, spec):
        kind = spec.get("as") or "name"
        if kind == "id":
            return related.id
        if kind == "code":
            return related[self._hc_code_field(related, spec)] or None
        if kind == "external_id":
            bindings = self.env["hc.integration.binding"]._bindings_of(related, spec["object"])
            binding = bindings.filtered(lambda b: b.backend_id == self.backend_id)[:1]
            return binding.external_id or None
        return related.display_name


def _changed_at(record):
    """When ``record`` last changed (None for models without access log fields)."""
    if "write_date" not in record._fields:
        return None
    return record.write_date or record.create_date
