import psycopg2

from odoo import api, fields, models

from ..exceptions import DependencyError, RetryableError


class HcIntegrationBinding(models.Model):
    """External id ↔ Odoo record, per backend and external object type.

    Bindings make upserts idempotent (the same external id always finds the same record)
    and remember the time of the last event applied, so older events arriving late are
    ignored instead of overwriting newer data.
    """

    _name = "hc.integration.binding"
    _description = "Integration Binding"
    _order = "backend_id, external_type, external_id"
    _rec_name = "external_id"

    backend_id = fields.Many2one(
        "hc.integration.backend", required=True, ondelete="restrict", index=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    external_type = fields.Char(required=True, help="e.g. employee, payer, claim")
    external_id = fields.Char(required=True)
    res_model = fields.Char(required=True, index=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True, index=True)
    record_ref = fields.Reference(
        selection="_selection_record_models", compute="_compute_record_ref", string="Record"
    )
    last_event_at = fields.Datetime(help="Time of the last event applied to the record.")
    detached = fields.Boolean(
        help="Detached records are no longer updated by the sync (see the HR addon)."
    )

    _sql_constraints = [
        (
            "external_unique",
            "unique(backend_id, external_type, external_id)",
            "This external id is already bound on this backend.",
        ),
        (
            "record_unique",
            "unique(backend_id, external_type, res_model, res_id)",
            "This record is already bound to another external id of the same type.",
        ),
    ]

    @api.model
    def _selection_record_models(self):
        return [(model.model, model.name) for model in self.env["ir.model"].sudo().search([])]

    @api.depends("res_model", "res_id")
    def _compute_record_ref(self):
        for binding in self:
            binding.record_ref = (
                f"{binding.res_model},{binding.res_id}" if binding.res_model in self.env else False
            )

    @api.depends("backend_id.code", "external_type", "external_id")
    def _compute_display_name(self):
        for binding in self:
            binding.display_name = (
                f"{binding.backend_id.code}:{binding.external_type}:{binding.external_id}"
            )

    @property
    def record(self):
        """The bound record (archived records included)."""
        self.ensure_one()
        return self.env[self.res_model].with_context(active_test=False).browse(self.res_id).exists()

    # ------------------------------------------------------------------------------------
    # API for handlers
    # ------------------------------------------------------------------------------------
    @api.model
    def _dependency_key(self, backend, external_type, external_id):
        return f"binding:{backend.id}:{external_type}:{external_id}"

    @api.model
    def _find_binding(self, backend, external_type, external_id):
        return self.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("external_type", "=", external_type),
                ("external_id", "=", str(external_id)),
            ],
            limit=1,
        )

    @api.model
    def _find_record(self, backend, external_type, external_id, model=None):
        """The record bound to an external id, or an empty recordset of ``model``."""
        binding = self._find_binding(backend, external_type, external_id)
        if binding:
            return binding.record
        return self.env[model] if model else None

    @api.model
    def _require(self, backend, external_type, external_id, message=None):
        """The bound record, or a :class:`DependencyError`: the message waits until the
        binding is created (see ``_bind``)."""
        binding = self._find_binding(backend, external_type, external_id)
        record = binding.record if binding else None
        if record:
            return record
        raise DependencyError(
            self._dependency_key(backend, external_type, external_id),
            f"Waiting for {external_type} '{external_id}' to be synchronised first.",
        )

    @api.model
    def _bind(self, backend, external_type, external_id, record, event_at=None, known=None):
        """Create or update the binding of ``record``; creating one releases the messages
        waiting for it. ``event_at`` moves the last applied event time forward only.
        ``known``: what the caller's own ``_find_binding`` returned (saves a search)."""
        record.ensure_one()
        binding = (
            self._find_binding(backend, external_type, external_id) if known is None else known
        )
        if binding:
            values = {}
            if (binding.res_model, binding.res_id) != (record._name, record.id):
                values.update(res_model=record._name, res_id=record.id)
            if event_at and (not binding.last_event_at or event_at > binding.last_event_at):
                values["last_event_at"] = event_at
            if values:
                binding.write(values)
            return binding
        try:
            with self.env.cr.savepoint():
                binding = self.sudo().create(
                    {
                        "backend_id": backend.id,
                        "external_type": external_type,
                        "external_id": str(external_id),
                        "res_model": record._name,
                        "res_id": record.id,
                        "last_event_at": event_at,
                    }
                )
        except psycopg2.IntegrityError as error:
            raise RetryableError(
                f"{external_type} '{external_id}' is being bound by another worker"
            ) from error
        self.env["hc.integration.message"]._release_waiting(
            self._dependency_key(backend, external_type, external_id)
        )
        return binding

    def _is_stale(self, event_at):
        """True when ``event_at`` is older than the last event applied through this binding."""
        self.ensure_one()
        return bool(event_at and self.last_event_at and event_at < self.last_event_at)

    @api.model
    def _bindings_of(self, records, external_type=None):
        domain = [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        if external_type:
            domain.append(("external_type", "=", external_type))
        return self.sudo().search(domain)

    @api.model
    def _dependency_satisfied(self, key):
        """For a ``binding:…`` wait key, True when the binding now exists."""
        parts = (key or "").split(":", 3)
        if len(parts) != 4 or parts[0] != "binding":
            return False
        backend = self.env["hc.integration.backend"].browse(int(parts[1])).exists()
        return bool(backend and self._find_binding(backend, parts[2], parts[3]))
