from odoo import fields, models


# The payroll journal settings, in a file of its own (one concern per file).
# pylint: disable=consider-merging-classes-inherited
class ResConfigSettings(models.TransientModel):
    """Payroll journal posting settings of the current company."""

    _inherit = "res.config.settings"

    hc_hr_payroll_journal_id = fields.Many2one(
        related="company_id.hc_hr_payroll_journal_id",
        readonly=False,
        domain="[('type', '=', 'general'), ('company_id', '=', company_id)]",
    )
    hc_hr_payroll_net_pay_account_id = fields.Many2one(
        related="company_id.hc_hr_payroll_net_pay_account_id",
        readonly=False,
        domain="[('internal_group', '=', 'liability'), ('company_ids', 'in', company_id)]",
    )
    hc_hr_payroll_contribution_account_id = fields.Many2one(
        related="company_id.hc_hr_payroll_contribution_account_id",
        readonly=False,
        domain="[('internal_group', '=', 'liability'), ('company_ids', 'in', company_id)]",
    )

    def action_hc_hr_payroll_setup_accounting(self):
        """Button: create the missing payroll journal and liability accounts."""
        self.env["hc.integration.audit"]._log(
            "config.hr_payroll_setup", "payroll journal and liability accounts completed"
        )
        self.company_id._hc_hr_payroll_setup_accounting()
        return {"type": "ir.actions.client", "tag": "reload"}
