from odoo import fields, models

SOURCE_GROUPS = (
    "healthcare_rcm_sync.group_rcm_resolver,"
    "healthcare_integration_base.group_integration_manager,"
    "account.group_account_manager"
)


class AccountMove(models.Model):
    """Journal entries posted by the revenue-cycle flows link back to their source
    (remittance, billing batch, write-off) and to their sync history."""

    _name = "account.move"
    _inherit = ["account.move", "hc.integration.linked.mixin"]

    hc_rcm_remittance_id = fields.Many2one(
        "hc.rcm.remittance",
        string="Remittance",
        readonly=True,
        index="btree_not_null",
        copy=False,
        groups=SOURCE_GROUPS,
    )
    hc_rcm_billing_batch_id = fields.Many2one(
        "hc.rcm.billing.batch",
        string="Billing batch",
        readonly=True,
        index="btree_not_null",
        copy=False,
        groups=SOURCE_GROUPS,
    )
    hc_rcm_writeoff_id = fields.Many2one(
        "hc.rcm.writeoff",
        string="Write-off",
        readonly=True,
        index="btree_not_null",
        copy=False,
        groups=SOURCE_GROUPS,
    )

    def action_view_hc_rcm_source(self):
        """Smart button: the remittance, billing batch or write-off behind this entry."""
        self.ensure_one()
        source = (
            self.hc_rcm_remittance_id or self.hc_rcm_billing_batch_id or self.hc_rcm_writeoff_id
        )
        return source._get_records_action() if source else False
