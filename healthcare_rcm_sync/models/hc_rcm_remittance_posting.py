from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, ConflictError

from ..tools import x12_835
from ..tools.amounts import money

ZERO = Decimal(0)
#: Settings a remittance needs before anything is posted.
REMITTANCE_SETTINGS = (
    "journal",
    "payment_journal",
    "insurance_receivable",
    "patient_receivable",
    "allowance",
    "denial",
    "interest",
    "recoupment",
)
REVERSAL = x12_835.CLAIM_STATUS_REVERSAL
DENIED = x12_835.CLAIM_STATUS_DENIED


# hc.rcm.remittance is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcRcmRemittance(models.Model):
    """Posting a parsed remittance: the remittance, its claims and adjustments, then (see
    ``hc_rcm_remittance_accounting.py``) its payment and journal entry."""

    _inherit = "hc.rcm.remittance"

    # Called by the remittance handler, inside the message's savepoint.
    @api.model
    def _hc_rcm_post_remittance(self, message, rem, content_hash):
        """Post one valid remittance (:class:`x12_835.Remittance`) received by ``message``.

        Creates the remittance, its claims and adjustments, the payer's payment (BPR02,
        memo = trace number) and one journal entry for the adjustments: contractual to the
        allowance, patient responsibility to patient receivable, other adjustments to the
        denial/write-off account, provider-level adjustments on their own lines, reversals
        as the exact opposite of the claim's earlier posting. Denied claims are not written
        off: they open a follow-up exception for the billing team.

        Idempotent by payer + trace number (the same content returns the earlier records,
        other content is a conflict) and by payer + claim id + claim status. Returns the
        records to link to the message.
        """
        company = message.backend_id.company_id
        settings = company._hc_rcm_settings(REMITTANCE_SETTINGS)
        payer, payer_code = self._hc_rcm_resolve_payer(message.backend_id, rem)
        existing = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("payer_id", "=", payer.id),
                ("trace_number", "=", rem.trace.number),
            ],
            limit=1,
        )
        if existing:
            return existing._hc_rcm_received_again(message, content_hash)
        currency = self.env["hc.rcm.handler.remittance"]._hc_rcm_currency(rem.payment.currency)
        payment_date = rem.payment.date or rem.production_date or fields.Date.context_today(self)
        posting_date = company._hc_rcm_posting_date(
            payment_date, settings["journal"] | settings["payment_journal"]
        )
        originals = self._hc_rcm_match_reversals(company, payer, rem)
        self._hc_rcm_check_claim_keys(company, payer, rem, originals)
        remittance = self.create(
            self._hc_rcm_header_values(message, rem, payer, payer_code, currency, content_hash)
            | {"posting_date": posting_date}
        )
        lines = remittance._hc_rcm_create_claims(rem, originals)
        plb_records = remittance._hc_rcm_create_provider_adjustments(rem)
        move = remittance._hc_rcm_post_entry(rem, lines, originals, plb_records, settings)
        payment = remittance._hc_rcm_post_payment(rem, settings)
        remittance.write({"move_id": move.id, "payment_id": payment.id})
        remittance._hc_rcm_settle_earlier_denials(lines)
        remittance._hc_rcm_reconcile_books(settings)
        self.env["account.bank.statement.line"]._hc_rcm_reassociate_payment(payment)
        remittance._hc_rcm_reconcile_forward_balances()
        remittance._hc_rcm_open_denial_exception(message)
        return remittance._hc_rcm_records()

    @api.model
    def _hc_rcm_resolve_payer(self, backend, rem):
        """``(partner, payer code)`` of the remittance's payer through the payer mapping."""
        handler = self.env["hc.rcm.handler.remittance"]
        payer_code = handler._hc_rcm_payer_code(rem)
        payer = handler._hc_map(backend, "payer", payer_code)
        if not payer:
            raise BusinessError(
                self.env._(
                    "Payer %(payer)s is marked as ignored in the mappings: its remittance "
                    "%(trace)s was not posted. Map the payer to a contact and retry.",
                    payer=payer_code,
                    trace=rem.trace.number,
                ),
                # the record to fix, and the payer the desk groups by
                record=self.env["hc.integration.mapping"]._lookup(backend, "payer", payer_code),
            )
        return payer, payer_code

    def _hc_rcm_received_again(self, message, content_hash):
        """The payer's trace number is already posted as this remittance: the same content
        returns its records, other content is a conflicting resend."""
        self.ensure_one()
        if self.content_hash != content_hash:
            raise ConflictError(
                self.env._(
                    "Conflicting resend: %(payer)s already sent a remittance with trace number "
                    "%(trace)s, with different content; nothing of this one was posted.\n"
                    "Compare it with remittance %(existing)s and ask the payer or the "
                    "clearinghouse which one is right; a corrected remittance needs a new "
                    "trace number.",
                    payer=self.payer_id.display_name,
                    trace=self.trace_number,
                    existing=self.display_name,
                ),
                record=self,
            )
        if self.open_denial_count and self.message_id == message:
            # a replay: the processor resolves the exceptions open before the run, so the
            # denials still to work get a fresh follow-up exception
            message.exception_ids.filtered(lambda e: e.state == "open")._close(
                "resolved", self.env._("Superseded: the message was processed again.")
            )
            self._hc_rcm_open_denial_exception(message)
        return self._hc_rcm_records()

    @api.model
    def _hc_rcm_header_values(self, message, rem, payer, payer_code, currency, content_hash):
        totals = rem.totals()
        payment = rem.payment
        envelope = rem.envelope or x12_835.Envelope()
        fb_total = sum(
            (p.amount for p in rem.provider_adjustments if p.reason == "FB" and p.amount), ZERO
        )
        return {
            "company_id": message.backend_id.company_id.id,
            "backend_id": message.backend_id.id,
            "message_id": message.id,
            "payer_id": payer.id,
            "payer_code": payer_code,
            "payer_name": rem.payer.name if rem.payer else False,
            "payee_name": rem.payee.name if rem.payee else False,
            "payee_identifier": rem.payee.id if rem.payee else False,
            "trace_number": rem.trace.number,
            "trace_originator": rem.trace.originator,
            "handling_code": payment.handling_code
            if payment.handling_code in x12_835.HANDLING_CODES
            else False,
            "payment_method": payment.method
            if payment.method in x12_835.PAYMENT_METHODS
            else False,
            "payment_date": payment.date or rem.production_date or fields.Date.context_today(self),
            "production_date": rem.production_date,
            "currency_id": currency.id,
            "amount": money(payment.signed_amount),
            "claims_charged": money(totals["claims_charged"]),
            "claims_paid": money(totals["claims_paid"]),
            "plb_total": money(totals["plb_total"]),
            "forward_balance_amount": money(fb_total),
            "claim_count": len(rem.claims),
            "denied_count": sum(1 for claim in rem.claims if claim.status == DENIED),
            "reversal_count": sum(1 for claim in rem.claims if claim.status == REVERSAL),
            "interchange_control_number": envelope.interchange_control_number,
            "group_control_number": envelope.group_control_number,
            "transaction_control_number": envelope.transaction_control_number,
            "content_hash": content_hash,
        }

    # --- claims and adjustments -------------------------------------------------------------
    def _hc_rcm_create_claims(self, rem, originals):
        """Claim lines and their claim- and service-level adjustments, in batches."""
        self.ensure_one()
        self._hc_rcm_retire_originals(originals)
        header = self._hc_rcm_header_copy()
        lines = self.env["hc.rcm.claim.line"].create(
            [
                self._hc_rcm_claim_values(header, index, claim, original)
                for index, (claim, original) in enumerate(zip(rem.claims, originals, strict=True))
            ]
        )
        for original, line in zip(originals, lines, strict=True):
            if original:
                original.reversed_by_id = line
        self._hc_rcm_create_claim_adjustments(rem, lines, header)
        return lines

    @api.model
    def _hc_rcm_retire_originals(self, originals):
        """The claims reversed now leave the (payer, claim id, status) key before the
        corrected claims take it."""
        reversed_originals = self.env["hc.rcm.claim.line"].sudo().browse()
        for original in originals:
            reversed_originals |= original
        if reversed_originals:
            denied = reversed_originals.filtered(lambda line: line.denial_state == "open")
            reversed_originals.write({"state": "reversed"})
            denied.write({"denial_state": "reversed"})
            reversed_originals.flush_recordset()

    @api.model
    def _hc_rcm_claim_values(self, header, index, claim, original):
        sums = defaultdict(Decimal)
        remarks = list(claim.remarks)
        for adjustment in claim_adjustments(claim):
            sums[adjustment.group] += adjustment.amount or ZERO
        for service in claim.services:
            remarks.extend(r for r in service.remarks if r not in remarks)
        return {
            **header,
            "sequence": index,
            "claim_id": claim.claim_id,
            "status": claim.status,
            "charged": money(claim.charged),
            "paid": money(claim.paid),
            "patient_responsibility": money(claim.patient_responsibility),
            "contractual_amount": money(sums["CO"] + sums["PI"]),
            "patient_amount": money(sums["PR"]),
            "other_adjustment_amount": money(sums["OA"]),
            "payer_claim_control_number": claim.payer_claim_control_number,
            "original_reference": claim.original_reference,
            "filing_indicator": claim.filing_indicator,
            "facility_code": claim.facility_code,
            "frequency": claim.frequency,
            "remarks": ", ".join(remarks) or False,
            "service_count": len(claim.services),
            "state": "reversal"
            if claim.status == REVERSAL
            else "denied"
            if claim.status == DENIED
            else "posted",
            "denial_state": "open" if claim.status == DENIED else False,
            "reverses_id": original.id or False,
        }

    def _hc_rcm_create_claim_adjustments(self, rem, lines, header):
        codes = self.env["hc.rcm.code"]._hc_rcm_lookup()
        values = []
        for claim, line in zip(rem.claims, lines, strict=True):
            for adjustment in claim.adjustments:
                values.append(self._hc_rcm_adjustment_values(header, adjustment, line, codes))
            for service in claim.services:
                procedure = _procedure_label(service.procedure)
                for adjustment in service.adjustments:
                    values.append(
                        self._hc_rcm_adjustment_values(
                            header, adjustment, line, codes, level="service", procedure=procedure
                        )
                    )
        self.env["hc.rcm.adjustment"].create(values)

    def _hc_rcm_header_copy(self):
        """Header values copied on each claim and adjustment (see hc.rcm.claim.line)."""
        self.ensure_one()
        return {
            "remittance_id": self.id,
            "company_id": self.company_id.id,
            "payer_id": self.payer_id.id,
            "currency_id": self.currency_id.id,
            "payment_date": self.payment_date,
        }

    def _hc_rcm_adjustment_values(
        self, header, adjustment, line, codes, level="claim", procedure=None
    ):
        code = codes.get(("carc", adjustment.reason))
        return {
            **header,
            "claim_line_id": line.id,
            "level": level,
            "group_code": adjustment.group,
            "reason_code": adjustment.reason,
            "code_id": code[0] if code else False,
            "amount": money(adjustment.amount),
            "quantity": float(adjustment.quantity) if adjustment.quantity is not None else 0.0,
            "procedure_code": procedure or False,
        }

    def _hc_rcm_create_provider_adjustments(self, rem):
        self.ensure_one()
        codes = self.env["hc.rcm.code"]._hc_rcm_lookup()
        header = self._hc_rcm_header_copy()
        values = []
        for plb in rem.provider_adjustments:
            code = codes.get(("plb", plb.reason))
            values.append(
                {
                    **header,
                    "level": "provider",
                    "reason_code": plb.reason,
                    "code_id": code[0] if code else False,
                    "amount": money(plb.amount),
                    "reference": plb.reference,
                    "provider_identifier": plb.provider_id,
                    "fiscal_date": plb.fiscal_date,
                }
            )
        return self.env["hc.rcm.adjustment"].create(values)


def claim_adjustments(claim):
    """Claim-level then service-level adjustments of a parsed claim."""
    yield from claim.adjustments
    for service in claim.services:
        yield from service.adjustments


def _procedure_label(procedure):
    if not procedure:
        return None
    parts = [procedure.qualifier, procedure.code, *procedure.modifiers]
    return ":".join(part for part in parts if part)
