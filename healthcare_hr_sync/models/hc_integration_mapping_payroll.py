from odoo import api, fields, models

#: A payroll code (earning, deduction, employer contribution) maps to the account it posts
#: to; an employer contribution also credits ``hc_hr_payroll_liability_account_id``.
PAYROLL_MAPPING_TARGETS = {"earning_code": "account.account"}


# The payroll side of hc.integration.mapping, in a file of its own (one concern per file).
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationMapping(models.Model):
    _inherit = "hc.integration.mapping"

    hc_hr_payroll_liability_account_id = fields.Many2one(
        "account.account",
        string="Contribution liability",
        help="Payroll codes of employer contributions: the liability credited (e.g. employer "
        "taxes payable), the mapped account being the expense. Empty: the company's "
        "employer contributions payable account.",
    )

    @api.model
    def _hc_mapping_types(self):
        return [
            *super()._hc_mapping_types(),
            ("earning_code", self.env._("Payroll code")),
        ]

    @api.model
    def _mapping_target_models(self):
        targets = super()._mapping_target_models()
        targets.update(PAYROLL_MAPPING_TARGETS)
        return targets
