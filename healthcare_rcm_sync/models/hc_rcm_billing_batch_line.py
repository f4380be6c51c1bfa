from odoo import fields, models


class HcRcmBillingBatchLine(models.Model):
    """One service line of a billing summary: gross charges, the contractual estimate and
    the payer billed (empty: self-pay)."""

    _name = "hc.rcm.billing.batch.line"
    _description = "Billing summary line"
    _order = "batch_id, id"

    batch_id = fields.Many2one(
        "hc.rcm.billing.batch", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="batch_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="batch_id.currency_id", store=True)
    service_date = fields.Date(related="batch_id.service_date", store=True)
    facility_code = fields.Char(related="batch_id.facility_code", store=True)
    state = fields.Selection(related="batch_id.state", store=True)
    service_line_code = fields.Char(required=True, readonly=True)
    account_id = fields.Many2one("account.account", string="Revenue account", readonly=True)
    gross_charges = fields.Monetary(readonly=True)
    contractual_adjustments = fields.Monetary(readonly=True)
    net_charges = fields.Monetary(readonly=True)
    payer_code = fields.Char(
        readonly=True, help="Payer mapping code (schema 1.1); empty: self-pay."
    )
    payer_id = fields.Many2one(
        "res.partner",
        readonly=True,
        index="btree_not_null",
        help="The payer whose receivable the charges were debited to; empty: self-pay "
        "(patient receivable).",
    )
