import os

from odoo import fields, models
from odoo.exceptions import UserError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hc_rcm_journal_id = fields.Many2one(
        related="company_id.hc_rcm_journal_id",
        readonly=False,
        domain="[('type', '=', 'general'), ('company_id', '=', company_id)]",
    )
    hc_rcm_payment_journal_id = fields.Many2one(
        related="company_id.hc_rcm_payment_journal_id",
        readonly=False,
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
    )
    hc_rcm_insurance_receivable_account_id = fields.Many2one(
        related="company_id.hc_rcm_insurance_receivable_account_id",
        readonly=False,
        domain="[('account_type', '=', 'asset_receivable'), ('company_ids', 'in', company_id)]",
    )
    hc_rcm_patient_receivable_account_id = fields.Many2one(
        related="company_id.hc_rcm_patient_receivable_account_id",
        readonly=False,
        domain="[('account_type', '=', 'asset_receivable'), ('company_ids', 'in', company_id)]",
    )
    hc_rcm_allowance_account_id = fields.Many2one(
        related="company_id.hc_rcm_allowance_account_id",
        readonly=False,
        domain="[('company_ids', 'in', company_id)]",
    )
    hc_rcm_allowance_policy = fields.Selection(
        related="company_id.hc_rcm_allowance_policy", readonly=False
    )
    hc_rcm_allowance_reserve_account_id = fields.Many2one(
        related="company_id.hc_rcm_allowance_reserve_account_id",
        readonly=False,
        domain="[('reconcile', '=', True), ('company_ids', 'in', company_id)]",
    )
    hc_rcm_lock_date_policy = fields.Selection(
        related="company_id.hc_rcm_lock_date_policy", readonly=False
    )
    hc_rcm_collections_policy = fields.Selection(
        related="company_id.hc_rcm_collections_policy", readonly=False
    )
    hc_rcm_collections_receivable_account_id = fields.Many2one(
        related="company_id.hc_rcm_collections_receivable_account_id",
        readonly=False,
        domain="[('account_type', '=', 'asset_receivable'), ('company_ids', 'in', company_id)]",
    )
    hc_rcm_reassociation_days = fields.Integer(
        related="company_id.hc_rcm_reassociation_days", readonly=False
    )
    hc_rcm_denial_account_id = fields.Many2one(
        related="company_id.hc_rcm_denial_account_id",
        readonly=False,
        domain="[('company_ids', 'in', company_id)]",
    )
    hc_rcm_interest_account_id = fields.Many2one(
        related="company_id.hc_rcm_interest_account_id",
        readonly=False,
        domain="[('company_ids', 'in', company_id)]",
    )
    hc_rcm_recoupment_account_id = fields.Many2one(
        related="company_id.hc_rcm_recoupment_account_id",
        readonly=False,
        domain="[('company_ids', 'in', company_id)]",
    )
    hc_rcm_forward_balance_account_id = fields.Many2one(
        related="company_id.hc_rcm_forward_balance_account_id",
        readonly=False,
        domain="[('company_ids', 'in', company_id)]",
    )
    hc_rcm_writeoff_bad_debt_account_id = fields.Many2one(
        related="company_id.hc_rcm_writeoff_bad_debt_account_id",
        readonly=False,
        domain="[('company_ids', 'in', company_id)]",
    )
    hc_rcm_writeoff_charity_account_id = fields.Many2one(
        related="company_id.hc_rcm_writeoff_charity_account_id",
        readonly=False,
        domain="[('company_ids', 'in', company_id)]",
    )
    hc_rcm_writeoff_small_balance_account_id = fields.Many2one(
        related="company_id.hc_rcm_writeoff_small_balance_account_id",
        readonly=False,
        domain="[('company_ids', 'in', company_id)]",
    )
    hc_rcm_writeoff_administrative_account_id = fields.Many2one(
        related="company_id.hc_rcm_writeoff_administrative_account_id",
        readonly=False,
        domain="[('company_ids', 'in', company_id)]",
    )
    hc_rcm_inbound_folder = fields.Char(related="company_id.hc_rcm_inbound_folder", readonly=False)
    hc_rcm_inbound_flow_id = fields.Many2one(
        related="company_id.hc_rcm_inbound_flow_id",
        readonly=False,
        domain="[('handler_model', '=', 'hc.rcm.handler.remittance'), "
        "('company_id', '=', company_id)]",
    )

    def set_values(self):
        folder = self.hc_rcm_inbound_folder
        if folder and folder != self.company_id.hc_rcm_inbound_folder:
            if not os.path.isabs(folder):
                raise UserError(self.env._("The 835 inbound folder must be an absolute path."))
            if not os.path.isdir(folder):
                raise UserError(
                    self.env._("The 835 inbound folder %s does not exist on the server.", folder)
                )
        return super().set_values()

    def action_hc_rcm_setup_accounting(self):
        """Create the missing revenue-cycle accounts and journals with default names."""
        self.env["hc.integration.audit"]._log(
            "config.rcm_setup", "revenue-cycle accounts and journals completed"
        )
        self.company_id._hc_rcm_setup_accounting()
        return {"type": "ir.actions.client", "tag": "reload"}
