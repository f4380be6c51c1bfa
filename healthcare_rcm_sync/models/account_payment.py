from odoo import fields, models

from .account_move import SOURCE_GROUPS


class AccountPayment(models.Model):
    """Payer payments posted by the revenue-cycle flows link back to their remittance and
    to their sync history."""

    _name = "account.payment"
    _inherit = ["account.payment", "hc.integration.linked.mixin"]

    hc_rcm_remittance_id = fields.Many2one(
        "hc.rcm.remittance",
        string="Remittance",
        readonly=True,
        index="btree_not_null",
        copy=False,
        groups=SOURCE_GROUPS,
    )

    def action_view_hc_rcm_remittance(self):
        self.ensure_one()
        return self.hc_rcm_remittance_id._get_records_action()
