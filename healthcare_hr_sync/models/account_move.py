from odoo import fields, models

#: Who reads payroll journals (amounts per payroll code and cost centre): payroll
#: resolvers, accountants and auditors, accounting administrators.
PAYROLL_READERS = (
    "healthcare_hr_sync.group_payroll_resolver,"
    "account.group_account_readonly,"
    "account.group_account_manager"
)


class AccountMove(models.Model):
    """Entries posted (and reversed) for a payroll journal link back to it."""

    _inherit = "account.move"

    hc_hr_payroll_journal_id = fields.Many2one(
        "hc.hr.payroll.journal",
        string="Payroll journal",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        groups=PAYROLL_READERS,
    )
