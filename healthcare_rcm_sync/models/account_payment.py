from odoo import api, fields, models

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

    @api.model
    def _hc_rcm_find_deposit(self, company, payer, trace):
        """The posted payment of ``payer`` carrying the payer's trace number (TRN02 / the
        cash posting's ``trace_number``): one deposit, whichever system reported it."""
        if not trace or not payer:
            return self.browse()
        return self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "=", payer.id),
                ("payment_reference", "=", trace),
                ("state", "not in", ("draft", "canceled", "rejected")),
            ],
            order="id",
            limit=1,
        )

    def _hc_rcm_same_deposit(self, amount, currency):
        """Whether this payment is for ``amount`` (signed: negative is outbound) in
        ``currency``."""
        self.ensure_one()
        signed = self.amount if self.payment_type == "inbound" else -self.amount
        return self.currency_id == currency and currency.compare_amounts(signed, amount) == 0
