from collections import defaultdict
from decimal import Decimal

from odoo import models

from odoo.addons.healthcare_integration_base.exceptions import ConflictError

from ..tools import x12_835
from ..tools.journal_entry import EntryBuilder
from .hc_rcm_remittance_posting import claim_adjustments

ZERO = Decimal(0)
REVERSAL = x12_835.CLAIM_STATUS_REVERSAL
DENIED = x12_835.CLAIM_STATUS_DENIED


# hc.rcm.remittance is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcRcmRemittance(models.Model):
    """What a remittance posts: the payer's payment and one journal entry for its
    adjustments, with the accounts chosen per adjustment group and reason."""

    _inherit = "hc.rcm.remittance"

    def _hc_rcm_account_router(self, settings):
        """A function ``(group, reason) -> account id`` for claim adjustments and
        ``("PLB", reason) -> account id`` for provider-level ones, honouring the
        ``adjustment_reason`` mapping overrides ("CO-45", "OA", "PLB-WO")."""
        overrides = self.env["hc.integration.mapping"]._hc_rcm_adjustment_accounts(self.backend_id)
        by_group = {
            "CO": settings["allowance"].id,
            "PI": settings["allowance"].id,
            "OA": settings["denial"].id,
            "PR": settings["patient_receivable"].id,
        }
        forward = self.company_id._hc_rcm_forward_balance_account().id
        by_plb = {"L6": settings["interest"].id, "FB": forward}
        recoupment = settings["recoupment"].id

        def route(group, reason):
            key = f"{group}-{reason}".upper()
            if key in overrides:
                return overrides[key]
            if group == "PLB":
                return by_plb.get(reason, recoupment)
            return overrides.get(group, by_group.get(group, settings["denial"].id))

        return route

    def _hc_rcm_post_entry(self, rem, lines, originals, plb_records, settings):
        """One journal entry for the adjustments of the whole remittance (or nothing when
        there is nothing to post)."""
        self.ensure_one()
        route = self._hc_rcm_account_router(settings)
        receivable = settings["insurance_receivable"].id
        patient = settings["patient_receivable"].id
        payer = self.payer_id.id
        builder = EntryBuilder(self.company_id, self.currency_id, self._hc_rcm_date())
        for claim, line, original in zip(rem.claims, lines, originals, strict=True):
            if claim.status == REVERSAL:
                for move_line in original.move_line_ids.filtered(
                    lambda ml: ml.parent_state == "posted"
                ):
                    builder.add_reversal_of(move_line, hc_rcm_claim_line_id=line.id)
                continue
            if claim.status == DENIED:
                continue  # worked by the billing team, see _hc_rcm_open_denial_exception
            _add_claim_lines(builder, claim, line, route, receivable, patient, payer)
        for plb, record in zip(rem.provider_adjustments, plb_records, strict=True):
            label = f"PLB {plb.reason}" + (f" {plb.reference}" if plb.reference else "")
            amount = plb.amount or ZERO
            builder.add(
                route("PLB", plb.reason), amount, label, payer, hc_rcm_adjustment_id=record.id
            )
            builder.add(receivable, -amount, label, payer, hc_rcm_adjustment_id=record.id)
        self._hc_rcm_apply_reserve(builder, settings)
        return builder.post(
            self.env,
            settings["journal"],
            f"835 {self.payer_code} {self.trace_number}",
            hc_rcm_remittance_id=self.id,
        )

    def _hc_rcm_date(self):
        """The one date of the remittance's payment and entries (see ``posting_date``)."""
        self.ensure_one()
        return self.posting_date or self.payment_date

    def _hc_rcm_post_payment(self, rem, settings):
        """The payer's payment for BPR02 (none for a zero-pay remittance)."""
        self.ensure_one()
        amount = rem.payment.signed_amount or ZERO
        if not amount:
            return self.env["account.payment"]
        deposit = self._hc_rcm_cash_already_posted(float(amount))
        if deposit:
            return deposit
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound" if amount > 0 else "outbound",
                "partner_type": "customer",
                "partner_id": self.payer_id.id,
                "amount": abs(float(amount)),
                "currency_id": self.currency_id.id,
                "date": self._hc_rcm_date(),
                "journal_id": settings["payment_journal"].id,
                "memo": self.trace_number,
                "payment_reference": self.trace_number,
                "destination_account_id": settings["insurance_receivable"].id,
                "hc_rcm_remittance_id": self.id,
            }
        )
        payment.action_post()
        return payment

    def _hc_rcm_cash_already_posted(self, amount):
        """The billing system's ``payment.posted`` for the same payer and trace arrived
        first: the same amount is the same deposit (linked, no second payment); another
        amount is a conflict for finance and nothing of the remittance is posted."""
        self.ensure_one()
        deposit = self.env["account.payment"]._hc_rcm_find_deposit(
            self.company_id, self.payer_id, self.trace_number
        )
        if not deposit:
            return deposit
        if deposit.hc_rcm_remittance_id or not deposit._hc_rcm_same_deposit(
            amount, self.currency_id
        ):
            raise ConflictError(
                self.env._(
                    "%(payer)s's remittance %(trace)s pays %(amount)s, but the cash posting "
                    "%(payment)s with the same trace number is for another amount; nothing "
                    "of the remittance was posted. Check the deposit on the bank statement, "
                    "correct or cancel the wrong payment, then retry.",
                    payer=self.payer_id.display_name,
                    trace=self.trace_number,
                    amount=f"{amount:.2f}",
                    payment=deposit.display_name,
                ),
                record=deposit,
            )
        deposit.hc_rcm_remittance_id = self
        return deposit

    def _hc_rcm_reconcile_forward_balances(self):
        """A payer's deferred forward balances (PLB FB < 0) and their recoveries (FB > 0)
        sit on a reconcilable account per payer: once they net to zero, match them."""
        self.ensure_one()
        account = self.company_id._hc_rcm_forward_balance_account()
        if not account.reconcile or not self.provider_adjustment_ids.filtered(
            lambda adjustment: adjustment.reason_code == "FB"
        ):
            return
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", account.id),
                ("partner_id", "=", self.payer_id.id),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("hc_rcm_adjustment_id.reason_code", "=", "FB"),
            ]
        )
        if len(lines) > 1 and self.company_id.currency_id.is_zero(sum(lines.mapped("balance"))):
            lines.reconcile()


def _add_claim_lines(builder, claim, line, route, receivable, patient, payer):
    """A claim's adjustments, one journal item per account and reason code, against the
    payer's insurance receivable. Patient responsibility has no partner (no patient data
    is kept)."""
    buckets = defaultdict(Decimal)
    for adjustment in claim_adjustments(claim):
        account = route(adjustment.group, adjustment.reason)
        buckets[(account, f"{adjustment.group}-{adjustment.reason}")] += adjustment.amount or ZERO
    total = ZERO
    for (account, code), amount in buckets.items():
        if amount:
            partner = False if account == patient else payer
            builder.add(
                account, amount, f"{claim.claim_id} {code}", partner, hc_rcm_claim_line_id=line.id
            )
            total += amount
    builder.add(
        receivable, -total, f"{claim.claim_id} adjustments", payer, hc_rcm_claim_line_id=line.id
    )
