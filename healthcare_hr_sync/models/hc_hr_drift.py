from odoo import api, fields, models
from odoo.exceptions import UserError

from .hr_employee import UPSERT_HANDLER


class HcHrDrift(models.Model):
    """A difference between the HRIS roster and Odoo found by a reconciliation run:
    an employee missing in Odoo, one in Odoo the HRIS no longer lists (extra), or fields
    that differ. Reported, never overwritten silently: a person re-applies the HRIS
    version (an ``employee.upsert`` through the normal queue) or ignores the line."""

    _name = "hc.hr.drift"
    _description = "HRIS Roster Drift"
    _order = "state_order, run_at desc, id"
    _rec_name = "external_id"

    backend_id = fields.Many2one(
        "hc.integration.backend", string="HRIS", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    run_at = fields.Datetime(string="Found on", required=True, readonly=True, index=True)
    external_id = fields.Char(string="HRIS ID", required=True, readonly=True, index=True)
    employee_id = fields.Many2one(
        "hr.employee", readonly=True, index=True, ondelete="cascade", context={"active_test": False}
    )
    kind = fields.Selection(
        [
            ("missing", "Missing in Odoo"),
            ("extra", "Not in the HRIS"),
            ("different", "Different"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    field_names = fields.Char(string="Fields", readonly=True)
    details = fields.Text(readonly=True)
    hris_data = fields.Json(
        string="HRIS version",
        readonly=True,
        groups="healthcare_hr_sync.group_hr_resolver,"
        "healthcare_integration_base.group_integration_manager",
    )
    state = fields.Selection(
        [("open", "Open"), ("resolved", "Re-applied"), ("ignored", "Ignored")],
        required=True,
        default="open",
        readonly=True,
        index=True,
    )
    state_order = fields.Integer(compute="_compute_state_order", store=True)
    resolution_message_id = fields.Many2one(
        "hc.integration.message", string="Re-applied by", readonly=True, ondelete="set null"
    )
    can_reapply = fields.Boolean(compute="_compute_can_reapply")

    @api.depends("state")
    def _compute_state_order(self):
        for drift in self:
            drift.state_order = {"open": 0, "resolved": 1, "ignored": 2}.get(drift.state, 9)

    @api.depends("kind", "state")
    def _compute_can_reapply(self):
        for drift in self:
            drift.can_reapply = drift.state == "open" and drift.kind in ("missing", "different")

    def action_reapply(self):
        """Queue the HRIS version of each selected line as an ``employee.upsert`` (stamped
        now, so it is not stale); the queue applies it like any event."""
        self.check_access("write")
        todo = self.sudo().filtered("can_reapply")
        if not todo:
            raise UserError(self.env._("Only open missing or different lines can be re-applied."))
        messages = self.env["hc.integration.message"]
        now = fields.Datetime.now()
        for drift in todo:
            messages |= drift._reapply(now)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%s HRIS version(s) queued.", len(messages)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _reapply(self, now):
        """Queue this line's HRIS version through the backend's upsert flow (audited);
        returns the message."""
        self.ensure_one()
        if self.employee_id.sudo().hc_sync_state == "detached":
            raise UserError(
                self.env._(
                    "%(employee)s is detached from the sync: re-attach them first.",
                    employee=self.employee_id.name,
                )
            )
        flow = self._reapply_flow()
        payload = self._reapply_payload(flow, now)
        message, _status = self.env["hc.integration.message"]._hc_enqueue(
            flow,
            payload,
            external_id=f"reconcile-{self.id}-{now.strftime('%Y%m%d%H%M%S')}",
        )
        self.write({"state": "resolved", "resolution_message_id": message.id})
        self.env["hc.integration.audit"]._log(
            "hr.drift.reapply",
            f"drift #{self.id} ({self.kind}): HRIS version queued again",
            message=message,
            backend=self.backend_id,
            actor_type="user",
        )
        return message

    def _reapply_flow(self):
        flow = (
            self.env["hc.integration.flow"]
            .sudo()
            .search(
                [("backend_id", "=", self.backend_id.id), ("handler_model", "=", UPSERT_HANDLER)],
                limit=1,
            )
        )
        if not flow:
            raise UserError(
                self.env._(
                    "%(backend)s has no active employee upsert flow to re-apply through.",
                    backend=self.backend_id.name,
                )
            )
        return flow

    def _reapply_payload(self, flow, now):
        """The ``employee.upsert`` event of the HRIS version, checked against the flow's
        contract like a delivery (a version the contract refuses is not queued)."""
        payload = {
            "event_type": "employee.upsert",
            "schema_version": "1.0",
            "occurred_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "employee": self.hris_data or {},
        }
        errors = flow._validate_payload(payload)
        if errors:
            raise UserError(
                self.env._(
                    "The HRIS version of %(id)s does not pass the contract: %(errors)s",
                    id=self.external_id,
                    errors="; ".join(f"{e['path']} {e['message']}" for e in errors),
                )
            )
        return payload

    def action_ignore(self):
        self.check_access("write")
        todo = self.filtered(lambda d: d.state == "open")
        todo.sudo().write({"state": "ignored"})
        for drift in todo:
            self.env["hc.integration.audit"]._log(
                "hr.drift.ignore",
                f"drift #{drift.id} ({drift.kind}) ignored",
                backend=drift.backend_id,
                actor_type="user",
            )
        return True
