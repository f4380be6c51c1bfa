from odoo import api, fields, models
from odoo.exceptions import UserError


class HcIntegrationException(models.Model):
    _inherit = "hc.integration.exception"

    hc_hr_kind = fields.Selection(
        [
            ("leaver_followup", "Leaver follow-up"),
            ("credential_restriction", "Credential restriction"),
            ("detached_leaver", "Detached leaver"),
        ],
        string="HR follow-up",
        readonly=True,
        index=True,
    )

    @api.model
    def _hc_hr_open_followup(self, message, kind, title, description, record=None):
        """An exception for people about a message that was applied: e.g. the leaver still
        has direct reports. It stays open after the message ends ``done`` (the processor
        closes only the exceptions open before the run)."""
        existing = self.sudo().search(
            [
                ("message_id", "=", message.id),
                ("hc_hr_kind", "=", kind),
                ("state", "=", "open"),
            ],
            limit=1,
        )
        if existing:
            existing._engine().write({"description": description})
            return existing
        flow = message.flow_id
        exception = (
            self.sudo()
            .with_context(mail_create_nolog=True)
            .create(
                {
                    "name": f"{flow.name}: {title}"[:200],
                    "message_id": message.id,
                    "flow_id": flow.id,
                    "backend_id": message.backend_id.id,
                    "company_id": message.company_id.id,
                    "group_id": flow.owning_group_id.id,
                    "user_id": flow.responsible_user_id.id,
                    "category": "conflict",
                    "description": description,
                    "hc_hr_kind": kind,
                    "res_model": record._name if record else False,
                    "res_id": record.id if record else False,
                }
            )
        )
        exception.message_post(body=description, subtype_xmlid="mail.mt_note")
        if flow.responsible_user_id:
            exception.activity_schedule(
                "healthcare_integration_base.mail_activity_type_exception",
                user_id=flow.responsible_user_id.id,
                note=description,
            )
        self.env["hc.integration.audit"]._log(
            "exception.open",
            f"follow-up exception #{exception.id} ({kind}) opened",
            message=message,
            backend=message.backend_id,
        )
        return exception

    def action_hc_hr_hand_to_manager(self):
        """Leaver follow-up: hand the leaver's open work (expense reports, purchase orders,
        approver roles) to their manager, audited; the exception is resolved."""
        self.ensure_one()
        self.check_access("write")
        if self.hc_hr_kind != "leaver_followup" or self.res_model != "hr.employee":
            raise UserError(self.env._("Only a leaver's follow-up can be handed to a manager."))
        employee = (
            self.env["hr.employee"].sudo().with_context(active_test=False).browse(self.res_id)
        )
        handed = self.env["hc.hr.sync"]._hand_to_manager(employee, exception=self.sudo())
        if handed is None:
            raise UserError(
                self.env._(
                    "The leaver's manager has no Odoo user: assign the work by hand, or give "
                    "the manager a user first."
                )
            )
        note = self.env._(
            "Open work handed to the manager: %(items)s.",
            items=", ".join(f"{count} {label}" for label, count in handed.items()) or "—",
        )
        self.sudo()._close("resolved", note)
        return True
