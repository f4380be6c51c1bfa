from odoo import api, fields, models

from ..tools import x12_835


class HcRcmAdjustment(models.Model):
    """One adjustment of a remittance: a CAS triple of a claim or a service line (group
    code, reason code, amount), or a provider-level PLB pair (reason, reference, amount).
    A positive amount reduces what the payer pays; a negative one increases it."""

    _name = "hc.rcm.adjustment"
    _description = "Remittance adjustment"
    _order = "remittance_id desc, claim_line_id, id"

    remittance_id = fields.Many2one(
        "hc.rcm.remittance", required=True, readonly=True, ondelete="cascade", index=True
    )
    claim_line_id = fields.Many2one(
        "hc.rcm.claim.line", string="Claim", readonly=True, ondelete="cascade", index=True
    )
    # copies of the remittance header, written at creation (see hc.rcm.claim.line)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    payer_id = fields.Many2one("res.partner", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    payment_date = fields.Date(readonly=True)
    level = fields.Selection(
        [("claim", "Claim"), ("service", "Service line"), ("provider", "Provider (PLB)")],
        required=True,
        readonly=True,
    )
    group_code = fields.Selection(
        list(x12_835.ADJUSTMENT_GROUPS.items()), string="Group", readonly=True
    )
    reason_code = fields.Char(required=True, readonly=True)
    code_id = fields.Many2one("hc.rcm.code", string="Reason", readonly=True)
    reason_description = fields.Char(related="code_id.name", string="Reason description")
    group_reason = fields.Char(
        string="Adjustment reason",
        compute="_compute_group_reason",
        store=True,
        help="Group and reason, e.g. CO-45, or PLB-L6 for a provider-level adjustment.",
    )
    amount = fields.Monetary(readonly=True)
    quantity = fields.Float(readonly=True)
    procedure_code = fields.Char(
        readonly=True, help="Service line procedure (qualifier:code:modifiers)."
    )
    reference = fields.Char(readonly=True, help="PLB reference (claim or payer reference).")
    provider_identifier = fields.Char(string="Provider id", readonly=True, help="PLB01")
    fiscal_date = fields.Date(readonly=True, help="PLB02")

    @api.depends("level", "group_code", "reason_code")
    def _compute_group_reason(self):
        for adjustment in self:
            prefix = "PLB" if adjustment.level == "provider" else adjustment.group_code or ""
            adjustment.group_reason = f"{prefix}-{adjustment.reason_code or ''}"

    @api.depends("group_reason", "amount")
    def _compute_display_name(self):
        for adjustment in self:
            adjustment.display_name = f"{adjustment.group_reason} {adjustment.amount:.2f}"
