from decimal import Decimal

from odoo import api, fields, models

from ..tools.amounts import to_decimal
from ..tools.journal_entry import EntryBuilder

ZERO = Decimal(0)


# hc.rcm.remittance is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcRcmRemittance(models.Model):
    """Tying the books out with Odoo's own reconciliation: the payer's receivable credits
    (835 payment and adjustments, cash postings) are matched with its open billing debits,
    oldest first, and — under the *estimated at billing* policy — the contractual actually
    granted is applied against the payer's allowance reserve."""

    _inherit = "hc.rcm.remittance"

    @api.model
    def _hc_rcm_reconcile_open_items(self, company, partner, account):
        """Reconcile the open posted items of ``partner`` on ``account`` (a reconcilable
        account): Odoo sorts them by due date, so the oldest open debit is matched first,
        partially when the credits do not cover it."""
        if not account.reconcile or not partner:
            return
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", company.id),
                ("account_id", "=", account.id),
                ("partner_id", "=", partner.id),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ]
        )
        debits = lines.filtered(lambda line: line.amount_residual > 0)
        credits = lines.filtered(lambda line: line.amount_residual < 0)
        if debits and credits:
            lines.reconcile()

    @api.model
    def _hc_rcm_open_reserve(self, company, partner, account):
        """What is left of the payer's contractual estimates (a positive Decimal)."""
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", company.id),
                ("account_id", "=", account.id),
                ("partner_id", "=", partner.id),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ]
        )
        return -(to_decimal(round(sum(lines.mapped("amount_residual")), 2)) or ZERO)

    def _hc_rcm_apply_reserve(self, builder, settings):
        """Under *estimated at billing*: the contractual this remittance books to the
        allowance is first taken from the payer's reserve (the billing estimates), so only
        the difference reaches the allowance."""
        self.ensure_one()
        if self.company_id.hc_rcm_allowance_policy != "estimated":
            return
        reserve = self.company_id._hc_rcm_settings(("allowance_reserve",))["allowance_reserve"]
        allowance = settings["allowance"].id
        booked = sum(
            (line["amount"] for line in builder.lines if line["account_id"] == allowance), ZERO
        ) + sum(
            (Decimal(str(raw["balance"])) for raw in builder.raw if raw["account_id"] == allowance),
            ZERO,
        )
        applied = min(booked, self._hc_rcm_open_reserve(self.company_id, self.payer_id, reserve))
        if applied <= 0:
            return
        label = self.env._("Contractual estimate applied %s", self.trace_number)
        builder.add(allowance, -applied, label, self.payer_id.id)
        builder.add(reserve.id, applied, label, self.payer_id.id)

    def _hc_rcm_reconcile_books(self, settings):
        """After posting: match the payer's receivable, then its reserve, and release the
        estimates of billing batches now fully remitted."""
        self.ensure_one()
        company, payer = self.company_id, self.payer_id
        self._hc_rcm_reconcile_open_items(company, payer, settings["insurance_receivable"])
        if company.hc_rcm_allowance_reserve_account_id:
            self._hc_rcm_release_reserves(company, payer, settings)

    @api.model
    def _hc_rcm_release_reserves(self, company, payers, settings):
        """Estimates exceeded the contractual granted: once a billing batch's receivable of a
        payer is fully reconciled (its claims are remitted), what is left of its estimate
        goes back from the reserve to the allowance, so the allowance equals the actual
        contractual."""
        reserve = company.sudo().hc_rcm_allowance_reserve_account_id
        if not reserve.reconcile:
            return
        for payer in payers:
            self._hc_rcm_reconcile_open_items(company, payer, reserve)
            leftovers = self._hc_rcm_reserve_leftovers(company, payer, reserve, settings)
            if not leftovers:
                continue
            builder = EntryBuilder(company, company.currency_id, fields.Date.context_today(self))
            for line in leftovers:
                amount = to_decimal(round(line.amount_residual, 2))
                label = self.env._("Estimate released: %s", line.move_id.ref or "")
                builder.add(reserve.id, -amount, label, payer.id)
                builder.add(settings["allowance"].id, amount, label, payer.id)
            move = builder.post(
                self.env,
                settings["journal"],
                self.env._("Contractual estimates released (%s)", payer.display_name),
            )
            release = move.line_ids.filtered(lambda item: item.account_id == reserve)
            (release | leftovers).reconcile()

    @api.model
    def _hc_rcm_reserve_leftovers(self, company, payer, reserve, settings):
        """Open reserve credits of billing batches whose receivable of ``payer`` is fully
        reconciled."""
        Line = self.env["account.move.line"]
        open_reserve = Line.search(
            [
                ("company_id", "=", company.id),
                ("account_id", "=", reserve.id),
                ("partner_id", "=", payer.id),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
                ("move_id.hc_rcm_billing_batch_id", "!=", False),
            ]
        )
        receivable = settings["insurance_receivable"]
        return open_reserve.filtered(
            lambda line: all(
                item.reconciled
                for item in line.move_id.line_ids
                if item.account_id == receivable and item.partner_id == payer
            )
        )
