from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    hc_rcm_claim_line_id = fields.Many2one(
        "hc.rcm.claim.line",
        string="Remittance claim",
        readonly=True,
        index="btree_not_null",
        copy=False,
        ondelete="set null",
    )
    hc_rcm_adjustment_id = fields.Many2one(
        "hc.rcm.adjustment",
        string="Provider adjustment",
        readonly=True,
        index="btree_not_null",
        copy=False,
        ondelete="set null",
    )
