import os

from odoo import api, fields, models
from odoo.exceptions import UserError

#: domains of the accounts the settings offer
ANY_ACCOUNT = "[('company_ids', 'in', company_id)]"
RECEIVABLE = "[('account_type', '=', 'asset_receivable'), ('company_ids', 'in', company_id)]"


def _company_setting(name, domain=None, kind=fields.Many2one):
    """The company's field ``name`` as an editable setting (through ``related``)."""
    extra = {"domain": domain} if domain else {}
    return kind(related=f"company_id.{name}", readonly=False, **extra)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    hc_rcm_journal_id = _company_setting(
        "hc_rcm_journal_id", "[('type', '=', 'general'), ('company_id', '=', company_id)]"
    )
    hc_rcm_payment_journal_id = _company_setting(
        "hc_rcm_payment_journal_id",
        "[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
    )
    hc_rcm_insurance_receivable_account_id = _company_setting(
        "hc_rcm_insurance_receivable_account_id", RECEIVABLE
    )
    hc_rcm_patient_receivable_account_id = _company_setting(
        "hc_rcm_patient_receivable_account_id", RECEIVABLE
    )
    hc_rcm_allowance_account_id = _company_setting("hc_rcm_allowance_account_id", ANY_ACCOUNT)
    hc_rcm_allowance_policy = _company_setting("hc_rcm_allowance_policy", kind=fields.Selection)
    hc_rcm_allowance_reserve_account_id = _company_setting(
        "hc_rcm_allowance_reserve_account_id",
        "[('reconcile', '=', True), ('company_ids', 'in', company_id)]",
    )
    hc_rcm_lock_date_policy = _company_setting("hc_rcm_lock_date_policy", kind=fields.Selection)
    hc_rcm_collections_policy = _company_setting("hc_rcm_collections_policy", kind=fields.Selection)
    hc_rcm_collections_receivable_account_id = _company_setting(
        "hc_rcm_collections_receivable_account_id", RECEIVABLE
    )
    hc_rcm_reassociation_days = _company_setting("hc_rcm_reassociation_days", kind=fields.Integer)
    hc_rcm_denial_account_id = _company_setting("hc_rcm_denial_account_id", ANY_ACCOUNT)
    hc_rcm_interest_account_id = _company_setting("hc_rcm_interest_account_id", ANY_ACCOUNT)
    hc_rcm_recoupment_account_id = _company_setting("hc_rcm_recoupment_account_id", ANY_ACCOUNT)
    hc_rcm_forward_balance_account_id = _company_setting(
        "hc_rcm_forward_balance_account_id", ANY_ACCOUNT
    )
    hc_rcm_writeoff_bad_debt_account_id = _company_setting(
        "hc_rcm_writeoff_bad_debt_account_id", ANY_ACCOUNT
    )
    hc_rcm_writeoff_charity_account_id = _company_setting(
        "hc_rcm_writeoff_charity_account_id", ANY_ACCOUNT
    )
    hc_rcm_writeoff_small_balance_account_id = _company_setting(
        "hc_rcm_writeoff_small_balance_account_id", ANY_ACCOUNT
    )
    hc_rcm_writeoff_administrative_account_id = _company_setting(
        "hc_rcm_writeoff_administrative_account_id", ANY_ACCOUNT
    )
    hc_rcm_inbound_folder = _company_setting("hc_rcm_inbound_folder", kind=fields.Char)
    hc_rcm_inbound_flow_id = _company_setting(
        "hc_rcm_inbound_flow_id",
        "[('handler_model', '=', 'hc.rcm.handler.remittance'), ('company_id', '=', company_id)]",
    )

    # the related folder reaches the company when the settings record is created (before
    # set_values, where a check would compare the company's new value with itself)
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            self._hc_rcm_check_inbound_folder(vals, company)
        return super().create(vals_list)

    def write(self, vals):
        self._hc_rcm_check_inbound_folder(vals, self.company_id[:1] or self.env.company)
        return super().write(vals)

    @api.model
    def _hc_rcm_check_inbound_folder(self, vals, company):
        """A new 835 inbound folder must be an existing absolute path on this server."""
        folder = vals.get("hc_rcm_inbound_folder")
        if not folder or folder == company.hc_rcm_inbound_folder:
            return
        if not os.path.isabs(folder):
            raise UserError(self.env._("The 835 inbound folder must be an absolute path."))
        if not os.path.isdir(folder):
            raise UserError(
                self.env._("The 835 inbound folder %s does not exist on the server.", folder)
            )

    def action_hc_rcm_setup_accounting(self):
        """Create the missing revenue-cycle accounts and journals with default names."""
        self.env["hc.integration.audit"]._log(
            "config.rcm_setup", "revenue-cycle accounts and journals completed"
        )
        self.company_id._hc_rcm_setup_accounting()
        return {"type": "ir.actions.client", "tag": "reload"}
