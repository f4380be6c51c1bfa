from odoo import api, fields, models
from odoo.exceptions import UserError


class HcHrAttendanceSummary(models.Model):
    """Hours of one employee over one period on one cost centre, as the HRIS (or the
    time-keeping system behind it) summarised them. Approved summaries are sent to payroll
    as the labour allocation of their pay period."""

    _name = "hc.hr.attendance.summary"
    _description = "Attendance Summary"
    _order = "period_start desc, employee_id, id"

    backend_id = fields.Many2one(
        "hc.integration.backend", string="HRIS", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    employee_id = fields.Many2one(
        "hr.employee", required=True, readonly=True, index=True, ondelete="restrict"
    )
    department_id = fields.Many2one(
        "hr.department", related="employee_id.department_id", store=True
    )
    period_start = fields.Date(required=True, readonly=True, index=True)
    period_end = fields.Date(required=True, readonly=True)
    period = fields.Char(compute="_compute_period", store=True)
    cost_center_id = fields.Many2one(
        "account.analytic.account", string="Cost centre", readonly=True, index=True
    )
    regular_hours = fields.Float(readonly=True, digits=(16, 2))
    overtime_hours = fields.Float(readonly=True, digits=(16, 2))
    leave_hours = fields.Float(readonly=True, digits=(16, 2))
    total_hours = fields.Float(compute="_compute_total_hours", store=True, digits=(16, 2))
    state = fields.Selection(
        [("draft", "To approve"), ("approved", "Approved"), ("exported", "Sent to payroll")],
        required=True,
        default="draft",
        readonly=True,
        index=True,
    )
    approved_by_id = fields.Many2one("res.users", readonly=True)
    approved_at = fields.Datetime(readonly=True)
    message_id = fields.Many2one(
        "hc.integration.message", string="Received in", readonly=True, ondelete="set null"
    )
    export_message_id = fields.Many2one(
        "hc.integration.message", string="Sent in", readonly=True, ondelete="set null"
    )

    _sql_constraints = [
        (
            "line_unique",
            "unique(backend_id, employee_id, period_start, period_end, cost_center_id)",
            "This employee already has a summary for this period and cost centre.",
        ),
    ]

    @api.depends("period_start", "period_end")
    def _compute_period(self):
        for summary in self:
            summary.period = (
                f"{summary.period_start} → {summary.period_end}"
                if summary.period_start and summary.period_end
                else False
            )

    @api.depends("regular_hours", "overtime_hours", "leave_hours")
    def _compute_total_hours(self):
        for summary in self:
            summary.total_hours = round(
                summary.regular_hours + summary.overtime_hours + summary.leave_hours, 2
            )

    @api.depends("employee_id", "period")
    def _compute_display_name(self):
        for summary in self:
            summary.display_name = f"{summary.employee_id.name or ''} · {summary.period or ''}"

    def action_approve(self):
        """Approve summaries for payroll (HR)."""
        self.check_access("write")
        todo = self.filtered(lambda s: s.state == "draft")
        if not todo:
            raise UserError(self.env._("Only summaries to approve can be approved."))
        todo.write(
            {
                "state": "approved",
                "approved_by_id": self.env.uid,
                "approved_at": fields.Datetime.now(),
            }
        )
        self.env["hc.integration.audit"]._log(
            "hr.attendance.approved",
            f"{len(todo)} attendance summary line(s) approved",
            actor_type="user",
        )
        return True

    def action_reset_to_draft(self):
        self.check_access("write")
        todo = self.filtered(lambda s: s.state == "approved")
        if not todo:
            raise UserError(self.env._("Only approved summaries not yet sent can be reset."))
        todo.write({"state": "draft", "approved_by_id": False, "approved_at": False})
        return True

    def action_send_to_payroll(self):
        """Send the approved summaries of the selected periods to payroll now."""
        self.check_access("write")
        approved = self.filtered(lambda s: s.state == "approved")
        if not approved:
            raise UserError(self.env._("Approve the summaries before sending them to payroll."))
        messages = self.env["hc.hr.handler.labour.allocation"]._hc_produce(summaries=approved)
        if not messages:
            raise UserError(
                self.env._(
                    "No active outbound labour allocation flow: set one up on the payroll "
                    "backend (Configuration → Backends → Set up HR flows)."
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%s labour allocation(s) queued for payroll.", len(messages)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
