from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..exceptions import MappingError
from ..tools.actions import filtered_action

STATE_ORDER = {"pending": 0, "mapped": 1, "ignored": 2}


class HcIntegrationMapping(models.Model):
    """External code → Odoo record, per mapping type (and optionally per backend).

    Handlers call :meth:`_resolve`; an unknown code becomes a ``pending`` row and an
    exception, and mapping the row re-queues every message that waited for it.
    Other addons add types by extending :meth:`_hc_mapping_types` and their target model
    by overriding :meth:`_mapping_target_models`; declarative flows declare types as data
    (``hc.integration.mapping.type``), hence a selection computed by a method.
    """

    _name = "hc.integration.mapping"
    _description = "Integration Value Mapping"
    _inherit = ["hc.integration.audited.mixin"]
    _order = "state_order, mapping_type, external_code"
    _hc_audit_action = "mapping"

    backend_id = fields.Many2one(
        "hc.integration.backend",
        ondelete="cascade",
        index=True,
        help="Leave empty for a mapping shared by every backend.",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    mapping_type = fields.Selection(
        selection="_selection_mapping_type",
        string="Type",
        required=True,
        index=True,
    )
    external_code = fields.Char(required=True, index=True)
    label = fields.Char(help="What the external system calls this code.")
    target_model = fields.Char(compute="_compute_target_model")
    target_ref = fields.Reference(
        selection="_selection_target_models",
        string="Maps to",
        help="The Odoo record this code stands for.",
    )
    target_name = fields.Char(
        string="Maps to (name)",
        compute="_compute_target_name",
        inverse="_inverse_target_name",
        help="Name of the target record: convenient for CSV import.",
    )
    group_ids = fields.Many2many(
        "res.groups",
        string="Groups",
        help="For roles: the access groups a user with this role receives.",
    )
    state = fields.Selection(
        [("pending", "To map"), ("mapped", "Mapped"), ("ignored", "Ignored")],
        required=True,
        default="mapped",
        index=True,
    )
    state_order = fields.Integer(compute="_compute_state_order", store=True)
    note = fields.Text()
    waiting_message_count = fields.Integer(compute="_compute_waiting_message_count")

    def init(self):
        # unique per backend, and once among the shared (backend-less) mappings
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS hc_integration_mapping_code_uniq
                ON hc_integration_mapping (COALESCE(backend_id, 0), mapping_type, external_code)
            """
        )

    # ------------------------------------------------------------------------------------
    # Types and targets
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_mapping_types(self):
        """``[(code, label)]`` of the types defined in code. Extend with ``super()``."""
        return [
            ("role", self.env._("Role")),
            ("agency", self.env._("Agency")),
            ("payer", self.env._("Payer")),
            ("partner_category", self.env._("Contact tag")),
        ]

    @api.model
    def _selection_mapping_type(self):
        return self._hc_mapping_types()

    @api.model
    def _mapping_target_models(self):
        """Mapping type → target model. Extend with ``super()`` in other addons."""
        return {
            "role": "res.groups",
            "agency": "res.partner",
            "payer": "res.partner",
            "partner_category": "res.partner.category",
        }

    @api.model
    def _selection_target_models(self):
        names = set(self._mapping_target_models().values())
        models_ = self.env["ir.model"].sudo().search([("model", "in", list(names))])
        return [(model.model, model.name) for model in models_]

    @api.depends("mapping_type")
    def _compute_target_model(self):
        targets = self._mapping_target_models()
        for mapping in self:
            mapping.target_model = targets.get(mapping.mapping_type)

    @api.depends("state")
    def _compute_state_order(self):
        for mapping in self:
            mapping.state_order = STATE_ORDER.get(mapping.state, 9)

    @api.depends("target_ref")
    def _compute_target_name(self):
        for mapping in self:
            mapping.target_name = mapping.target_ref.display_name if mapping.target_ref else False

    def _inverse_target_name(self):
        for mapping in self:
            if not mapping.target_name:
                continue
            if mapping.target_ref and mapping.target_ref.display_name == mapping.target_name:
                continue
            model = self._mapping_target_models().get(mapping.mapping_type)
            if not model or model not in self.env:
                raise ValidationError(
                    self.env._(
                        "Mappings of type %(type)s have no target model.", type=mapping.mapping_type
                    )
                )
            found = self.env[model].name_search(mapping.target_name, operator="=", limit=2)
            if len(found) != 1:
                raise ValidationError(
                    self.env._(
                        "'%(name)s' matches %(count)s %(model)s records; "
                        "give the exact name of one.",
                        name=mapping.target_name,
                        count=len(found),
                        model=self.env[model]._description,
                    )
                )
            mapping.target_ref = f"{model},{found[0][0]}"

    def _compute_waiting_message_count(self):
        messages = self.env["hc.integration.message"].sudo()
        for mapping in self:
            mapping.waiting_message_count = (
                messages.search_count(
                    [("state", "=", "exception"), ("wait_key", "=", f"mapping:{mapping.id}")]
                )
                if mapping.id
                else 0
            )

    @api.depends("mapping_type", "external_code", "backend_id.code")
    def _compute_display_name(self):
        types = dict(self._fields["mapping_type"]._description_selection(self.env))
        for mapping in self:
            prefix = f"[{mapping.backend_id.code}] " if mapping.backend_id else ""
            mapping.display_name = (
                f"{prefix}{types.get(mapping.mapping_type, '')} {mapping.external_code or ''}"
            )

    @api.constrains("state", "target_ref", "group_ids", "mapping_type")
    def _check_target(self):
        targets = self._mapping_target_models()
        for mapping in self:
            if mapping.target_ref and mapping.target_ref._name != targets.get(mapping.mapping_type):
                raise ValidationError(
                    self.env._(
                        "A %(type)s code must map to a %(model)s record.",
                        type=mapping.mapping_type,
                        model=targets.get(mapping.mapping_type),
                    )
                )
            if mapping.state == "mapped" and not mapping._has_target():
                raise ValidationError(
                    self.env._(
                        "Choose what '%(code)s' maps to before marking it mapped (or ignore it).",
                        code=mapping.external_code,
                    )
                )

    def _has_target(self):
        self.ensure_one()
        if self.mapping_type == "role":
            return bool(self.group_ids or self.target_ref)
        return bool(self.target_ref)

    def _get_target(self):
        """The mapped record(s); an empty recordset when ignored."""
        self.ensure_one()
        model = self._mapping_target_models().get(self.mapping_type)
        if self.state != "mapped":
            return self.env[model] if model else None
        if self.mapping_type == "role":
            groups = self.group_ids
            if self.target_ref:
                groups |= self.target_ref
            return groups
        return self.target_ref

    # ------------------------------------------------------------------------------------
    # Resolve API
    # ------------------------------------------------------------------------------------
    @api.model
    def _lookup(self, backend, mapping_type, code):
        rows = self.sudo().search(
            [
                ("mapping_type", "=", mapping_type),
                ("external_code", "=", code),
                ("backend_id", "in", [backend.id, False] if backend else [False]),
            ]
        )
        return rows.filtered(lambda m: m.backend_id == backend)[:1] or rows[:1]

    @api.model
    def _resolve(self, backend, mapping_type, code, required=True):
        """The Odoo record an external code stands for.

        Empty code → ``None``. Ignored code → empty recordset. Unknown or pending code →
        :class:`MappingError` (the processor creates the pending row and the exception),
        or an empty recordset when ``required`` is False.
        """
        if code in (None, False, ""):
            return None
        code = str(code)
        mapping = self._lookup(backend, mapping_type, code)
        if mapping and mapping.state != "pending":
            return mapping._get_target()
        if required:
            raise MappingError(backend, [(mapping_type, code)])
        model = self._mapping_target_models().get(mapping_type)
        return self.env[model] if model else None

    @api.model
    def _ensure_pending(self, backend, missing):
        """Rows for ``[(mapping_type, code)]``: existing ones, or new ``pending`` rows."""
        rows = self.browse()
        for mapping_type, code in missing:
            row = self._lookup(backend, mapping_type, code)
            if not row:
                row = self.sudo().create(
                    {
                        "backend_id": backend.id,
                        "company_id": backend.company_id.id,
                        "mapping_type": mapping_type,
                        "external_code": code,
                        "state": "pending",
                    }
                )
            rows |= row
        return rows

    # ------------------------------------------------------------------------------------
    # Mapping a row re-queues what waited for it
    # ------------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            # a row starts pending until it has a target; a target given by name (CSV
            # import) is set by the inverse after creation, which marks the row mapped
            if vals.get("state", "mapped") == "mapped" and not (
                vals.get("target_ref") or vals.get("group_ids")
            ):
                vals["state"] = "pending"
        return super().create(vals_list)

    def write(self, vals):
        if "state" not in vals and (
            vals.get("target_ref") or vals.get("group_ids") or vals.get("target_name")
        ):
            vals = dict(vals, state="mapped")
        was_pending = self.filtered(lambda m: m.state == "pending")
        result = super().write(vals)
        was_pending.filtered(lambda m: m.state != "pending")._requeue_waiting_messages()
        return result

    def _requeue_waiting_messages(self):
        messages = self.env["hc.integration.message"].sudo()
        for mapping in self:
            waiting = messages.search(
                [("state", "=", "exception"), ("wait_key", "=", f"mapping:{mapping.id}")]
            )
            if not waiting:
                continue
            note = self.env._(
                "%(code)s %(state)s by %(user)s.",
                code=mapping.external_code,
                state=dict(self._fields["state"]._description_selection(self.env))[
                    mapping.state
                ].lower(),
                user=self.env.user.name,
            )
            waiting._requeue(note)
            waiting.exception_ids.filtered(lambda e: e.state == "open")._close("resolved", note)

    def action_ignore(self):
        self.write({"state": "ignored"})

    def action_view_waiting_messages(self):
        self.ensure_one()
        return filtered_action(
            self.env, "hc_integration_message_action", [("wait_key", "=", f"mapping:{self.id}")]
        )
