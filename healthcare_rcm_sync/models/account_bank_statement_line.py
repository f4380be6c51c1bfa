from odoo import api, models

from ..tools.trace_reference import trace_candidates


class AccountBankStatementLine(models.Model):
    """EFT↔ERA reassociation: a deposit on the payer payments journal whose label or
    reference carries a payer's trace number (TRN02) and whose amount matches is matched
    with that payer payment (the 835's or the cash posting's) and reconciled, however the
    statement was imported (CSV, OFX, CAMT, by hand)."""

    _inherit = "account.bank.statement.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._hc_rcm_reassociate()
        return lines

    def _hc_rcm_reassociate(self):
        """Match the open deposits among these lines with their payer payments; returns the
        lines matched."""
        matched = self.browse()
        for st_line in self._hc_rcm_open_deposits():
            payment = st_line._hc_rcm_find_payment()
            if payment:
                st_line._hc_rcm_reconcile_with(payment)
                matched |= st_line
        matched._hc_rcm_refresh_alerts()
        return matched

    def _hc_rcm_refresh_alerts(self):
        """A match may resolve a reassociation alert at once (not only at the next cron)."""
        Alert = self.env["hc.integration.alert"].sudo()
        for company in self.company_id:
            if Alert.search_count(
                [
                    ("company_id", "=", company.id),
                    ("kind", "in", ("rcm_era_without_eft", "rcm_eft_without_era")),
                    ("state", "=", "active"),
                ],
                limit=1,
            ):
                Alert._hc_rcm_check_reassociation(company)

    def _hc_rcm_open_deposits(self):
        """Lines of a payer payments journal not yet reconciled."""
        return self.filtered(
            lambda line: (
                line.journal_id == line.company_id.sudo().hc_rcm_payment_journal_id
                and not line.is_reconciled
                and not line.company_id.currency_id.is_zero(line.amount)
            )
        )

    def _hc_rcm_find_payment(self):
        """The one unmatched payer payment of this journal whose trace number is a word of
        the label or reference and whose amount is this line's; empty when none or several
        fit (a person decides)."""
        self.ensure_one()
        candidates = trace_candidates(self.payment_ref, self.ref)
        if not candidates:
            return self.env["account.payment"]
        payments = (
            self.env["account.payment"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("journal_id", "=", self.journal_id.id),
                    ("partner_type", "=", "customer"),
                    ("payment_reference", "in", candidates),
                    ("state", "=", "in_process"),
                    ("is_matched", "=", False),
                ]
            )
        )
        currency = self.foreign_currency_id or self.currency_id
        amount = self.amount_currency if self.foreign_currency_id else self.amount
        payments = payments.filtered(lambda pay: pay._hc_rcm_same_deposit(amount, currency))
        return payments if len(payments) == 1 else payments.browse()

    def _hc_rcm_reconcile_with(self, payment):
        """Replace the suspense item of the deposit by the payment's outstanding account and
        reconcile both (Community has no reconciliation widget; this is what it does)."""
        self.ensure_one()
        if self.partner_id != payment.partner_id:
            self.partner_id = payment.partner_id
        outstanding, _counterpart, _writeoff = payment._seek_for_lines()
        _liquidity, suspense, _other = self.with_context(
            skip_account_move_synchronization=True
        )._seek_for_lines()
        suspense.with_context(skip_account_move_synchronization=True).write(
            {"account_id": outstanding.account_id.id, "partner_id": payment.partner_id.id}
        )
        (suspense | outstanding).reconcile()

    @api.model
    def _hc_rcm_reassociate_payment(self, payment):
        """A payer payment just posted: match it with a deposit already on the statement."""
        if not payment or not payment.payment_reference:
            return self.browse()
        lines = self.search(
            [
                ("company_id", "=", payment.company_id.id),
                ("journal_id", "=", payment.journal_id.id),
                ("is_reconciled", "=", False),
                "|",
                ("payment_ref", "ilike", payment.payment_reference),
                ("ref", "ilike", payment.payment_reference),
            ]
        )
        for st_line in lines:
            if st_line._hc_rcm_find_payment() == payment:
                st_line._hc_rcm_reconcile_with(payment)
                st_line._hc_rcm_refresh_alerts()
                return st_line
        return self.browse()

    @api.model
    def _cron_hc_rcm_reassociate(self):
        """Match the open deposits of every payer payments journal, then raise or clear the
        reassociation alerts."""
        companies = (
            self.env["res.company"].sudo().search([("hc_rcm_payment_journal_id", "!=", False)])
        )
        matched = self.browse()
        for company in companies:
            lines = self.search(
                [
                    ("company_id", "=", company.id),
                    ("journal_id", "=", company.hc_rcm_payment_journal_id.id),
                    ("is_reconciled", "=", False),
                ]
            )
            matched |= lines._hc_rcm_reassociate()
            self.env["hc.integration.alert"]._hc_rcm_check_reassociation(company)
        return len(matched)
