import hashlib

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .hc_integration_message import _ENGINE  # one sentinel for the engine's models

CATEGORIES = [
    ("validation", "Validation"),
    ("mapping", "Missing mapping"),
    ("conflict", "Conflict"),
    ("dependency", "Dependency"),
    ("technical", "Technical"),
]
#: What a person may write directly: the assignee. Everything else (message, state,
#: notes, what the exception points at) changes through the actions or the engine.
WRITABLE_FIELDS = {"user_id"}


class HcIntegrationException(models.Model):
    """Something a person must resolve, said in business words.

    One open exception per message: a message failing again while its exception is open
    updates it (occurrence count, latest description) without posting again, so the
    chatter shows state changes, not repeats.
    """

    _name = "hc.integration.exception"
    _description = "Integration Exception"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state_order, id desc"

    name = fields.Char(required=True, tracking=True)
    message_id = fields.Many2one(
        "hc.integration.message", required=True, readonly=True, ondelete="restrict", index=True
    )
    message_state = fields.Selection(related="message_id.state", string="Message state")
    flow_id = fields.Many2one("hc.integration.flow", readonly=True, index=True)
    backend_id = fields.Many2one("hc.integration.backend", readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    category = fields.Selection(CATEGORIES, required=True, readonly=True, tracking=True)
    description = fields.Text(
        readonly=True, help="What happened and what to do, in business words."
    )
    technical_detail = fields.Text(
        readonly=True, groups="healthcare_integration_base.group_integration_manager"
    )
    group_id = fields.Many2one("res.groups", string="Owning group", readonly=True)
    user_id = fields.Many2one("res.users", string="Assigned to", tracking=True)
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Resolved"), ("ignored", "Ignored")],
        required=True,
        default="open",
        readonly=True,
        tracking=True,
        index=True,
    )
    state_order = fields.Integer(compute="_compute_state_order", store=True)
    resolution_note = fields.Text(readonly=True, tracking=True)
    mapping_id = fields.Many2one("hc.integration.mapping", readonly=True, ondelete="set null")
    res_model = fields.Char(string="Record model", readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", string="Record", readonly=True)
    occurrence_count = fields.Integer(default=1, readonly=True)
    last_occurred_at = fields.Datetime(default=fields.Datetime.now, readonly=True)
    trace_id = fields.Char(related="message_id.trace_id")

    @api.depends("state")
    def _compute_state_order(self):
        for exception in self:
            exception.state_order = {"open": 0, "resolved": 1, "ignored": 2}[exception.state]

    # ------------------------------------------------------------------------------------
    # Protection of engine-owned fields
    # ------------------------------------------------------------------------------------
    def write(self, vals):
        """Only the assignee, chatter and activities are written directly; re-pointing an
        exception to another message or closing it by a write would bypass the actions
        (and the record rules of the message it would cancel)."""
        if self.env.context.get("hc_engine") is not _ENGINE:
            refused = set(vals) - WRITABLE_FIELDS - self._hc_mail_fields()
            if refused:
                raise AccessError(
                    self.env._(
                        "Integration exceptions change through their actions only (Retry, "
                        "Map value, Ignore, Open record); refused: %(fields)s.",
                        fields=", ".join(sorted(refused)),
                    )
                )
        return super().write(vals)

    @api.model
    def _hc_mail_fields(self):
        return set(self.env["mail.thread"]._fields) | set(self.env["mail.activity.mixin"]._fields)

    def _engine(self):
        """This recordset, allowed to write every field (model code only)."""
        return self.with_context(hc_engine=_ENGINE)

    # ------------------------------------------------------------------------------------
    # Engine API
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_open_for(
        self, message, category, description, detail=None, record=None, mapping=None, title=None
    ):
        """Open (or refresh) the exception of ``message``."""
        existing = self.sudo().search(
            [("message_id", "=", message.id), ("state", "=", "open")], limit=1
        )
        values = {
            "category": category if category in dict(CATEGORIES) else "technical",
            "description": description,
            "technical_detail": detail or False,
            "mapping_id": mapping.id if mapping else False,
        }
        if record:
            values.update(res_model=record._name, res_id=record.id)
        if existing:
            existing._engine().with_context(tracking_disable=True).write(
                dict(
                    values,
                    occurrence_count=existing.occurrence_count + 1,
                    last_occurred_at=fields.Datetime.now(),
                )
            )
            return existing
        flow = message.flow_id
        title = title or (description.splitlines()[0] if description else category)
        exception = (
            self.sudo()
            .with_context(mail_create_nolog=True)
            .create(
                dict(
                    values,
                    name=f"{flow.name}: {title[:120]}",
                    message_id=message.id,
                    flow_id=flow.id,
                    backend_id=message.backend_id.id,
                    company_id=message.company_id.id,
                    group_id=flow.owning_group_id.id,
                    user_id=flow.responsible_user_id.id,
                )
            )
        )
        exception.message_post(
            body=self.env._(
                "New %(category)s exception on %(flow)s.", category=category, flow=flow.name
            ),
            subtype_xmlid="mail.mt_note",
        )
        if flow.responsible_user_id:
            exception._hc_schedule_activity(flow.responsible_user_id, description)
        return exception

    def _hc_schedule_activity(self, user, note):
        """The to-do of the responsible user for this new exception."""
        self.ensure_one()
        self.activity_schedule(
            "healthcare_integration_base.mail_activity_type_exception",
            user_id=user.id,
            note=note,
        )

    def _close(self, state, note):
        """Resolve or ignore; done activities are marked done with the note.

        The note stays on the exception (and its chatter), which the retention purge may
        remove; the append-only audit only records that a note was written, its length
        and SHA-256, since people type names and other personal data into notes.
        """
        for exception in self.sudo():
            if exception.state != "open":
                continue
            exception._engine().write({"state": state, "resolution_note": note})
            exception.activity_ids.action_feedback(feedback=note)
            self.env["hc.integration.audit"]._log(
                f"exception.{state}",
                f"exception #{exception.id} {state}; {self._hc_note_fingerprint(note)}",
                message=exception.message_id,
                backend=exception.backend_id,
                trace_id=exception.message_id.trace_id,
            )

    @api.model
    def _hc_note_fingerprint(self, note):
        """What the audit keeps of a note: its length and SHA-256, never its text."""
        note = note or ""
        digest = hashlib.sha256(note.encode()).hexdigest()
        return f"note of {len(note)} characters, sha256 {digest}"

    # ------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------
    def action_retry(self):
        """Retry the messages of the selected open exceptions (bulk-capable)."""
        self.check_access("write")
        messages = self.filtered(lambda e: e.state == "open").message_id
        messages = messages.filtered(lambda m: m.state in ("exception", "retry", "waiting"))
        if not messages:
            raise UserError(self.env._("None of the selected exceptions has a message to retry."))
        messages.action_retry()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%s message(s) queued again.", len(messages)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_open_record(self):
        self.ensure_one()
        model, res_id = self.res_model, self.res_id
        if not model:
            link = self.message_id.link_ids[:1]
            model, res_id = link.res_model, link.res_id
        if not model:
            raise UserError(self.env._("This exception is not linked to a record yet."))
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "res_id": res_id,
            "view_mode": "form",
            "target": "current",
        }

    def action_map_value(self):
        self.ensure_one()
        if not self.mapping_id:
            raise UserError(self.env._("This exception is not about a missing mapping."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Map value"),
            "res_model": "hc.integration.mapping",
            "res_id": self.mapping_id.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_ignore(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Ignore exception"),
            "res_model": "hc.integration.exception.ignore",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def _ignore(self, note):
        """Ignore with a note; the message will not be processed (cancelled)."""
        if not (note or "").strip():
            raise UserError(self.env._("Say why the exception is ignored."))
        self.check_access("write")
        for exception in self.filtered(lambda e: e.state == "open"):
            message = exception.message_id.sudo()
            exception._close("ignored", note)
            if message.state in ("exception", "waiting", "retry", "pending"):
                message._hc_transition(
                    "cancelled",
                    summary=self.env._("exception ignored by %s", self.env.user.name),
                    actor_type="user",
                    **message._hc_finish_values(),
                )

    def action_view_message(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "hc.integration.message",
            "res_id": self.message_id.id,
            "view_mode": "form",
            "target": "current",
        }
