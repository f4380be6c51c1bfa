from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, ConflictError

PAYMENT_TYPE = "payment"


class HcRcmHandlerPaymentPosted(models.AbstractModel):
    """``payment.posted`` (near real-time): cash the billing system recorded from a payer
    becomes an ``account.payment`` on the payer payments journal, against the insurance
    receivable, with the trace number as memo (bank reconciliation matches on it). A
    deposit already posted for the same payer and trace (its 835 came first) is linked,
    never posted twice.
    Idempotent by ``payment_id``: the same payment again changes nothing, the same id
    with other figures is a conflict for a person."""

    _name = "hc.rcm.handler.payment.posted"
    _inherit = ["hc.integration.handler", "hc.rcm.handler.mixin"]
    _description = "Revenue cycle: cash posting"
    _hc_allowlist = (
        "payment_id",
        "payer_code",
        "amount",
        "currency",
        "received_on",
        "method",
        "trace_number",
    )

    @api.model
    def _hc_ordering_key(self, flow, payload):
        payment_id = payload.get("payment_id")
        return payment_id and f"{PAYMENT_TYPE}:{payment_id}"

    @api.model
    def _hc_check_payload(self, flow, payload):
        return self._hc_rcm_positive_amount_errors(payload)

    def _hc_process(self, message):
        """Post the payer's payment once: a replay of the same payment links the one already
        posted, a deposit already posted by its 835 is linked, anything else is a new
        payment reconciled with the payer's open items and the bank."""
        payload = message.payload or {}
        backend = message.backend_id
        company = backend.company_id
        payment_id = str(payload.get("payment_id") or "")
        currency = self._hc_rcm_currency(payload.get("currency"))
        amount = float(self._hc_rcm_decimal(payload.get("amount")))
        received_on = fields.Date.to_date(payload.get("received_on"))
        payer = self._hc_rcm_payment_payer(backend, payload)
        bindings = self._hc_binding()
        existing = bindings._find_record(backend, PAYMENT_TYPE, payment_id, "account.payment")
        if existing:
            self._hc_rcm_check_same_payment(
                existing, payment_id, payer, currency, amount, received_on
            )
            return [existing, existing.move_id]
        deposit = self._hc_rcm_deposit_already_posted(company, payer, payload, amount, currency)
        if deposit:
            bindings._bind(backend, PAYMENT_TYPE, payment_id, deposit, message.occurred_at)
            return [deposit, deposit.move_id]
        payment = self._hc_rcm_post_payment(company, payer, payload, amount, currency, received_on)
        bindings._bind(backend, PAYMENT_TYPE, payment_id, payment, message.occurred_at)
        return [payment, payment.move_id]

    def _hc_rcm_payment_payer(self, backend, payload):
        """The payer's contact; a payer mapped as ignored stops the payment."""
        payer = self._hc_map(backend, "payer", payload.get("payer_code"))
        if not payer:
            raise BusinessError(
                self.env._(
                    "Payer %(payer)s is marked as ignored in the mappings: payment %(id)s was "
                    "not posted. Map the payer to a contact and retry.",
                    payer=payload.get("payer_code"),
                    id=payload.get("payment_id"),
                ),
                record=self.env["hc.integration.mapping"]._lookup(
                    backend, "payer", payload.get("payer_code")
                ),
            )
        return payer

    def _hc_rcm_check_same_payment(
        self, existing, payment_id, payer, currency, amount, received_on
    ):
        """A replayed payment must carry the figures already posted, or it is a conflict."""
        same = (
            existing.partner_id == payer
            and existing.currency_id == currency
            and existing.currency_id.compare_amounts(existing.amount, amount) == 0
            # a later date: posted at the first open date (locked period) or by its 835
            and (existing.date >= received_on or existing.hc_rcm_remittance_id)
        )
        if same:
            return
        raise ConflictError(
            self.env._(
                "Payment %(id)s was already posted as %(payment)s with other figures "
                "(payer, amount, currency or date); this event was not applied. Correct "
                "the payment in Odoo or in the billing system.",
                id=payment_id,
                payment=existing.display_name,
            ),
            record=existing,
        )

    def _hc_rcm_post_payment(self, company, payer, payload, amount, currency, received_on):
        """A new posted payment to the insurance receivable, reconciled with the payer's
        open items and matched with a bank deposit carrying its trace."""
        settings = company._hc_rcm_settings(("payment_journal", "insurance_receivable"))
        reference = payload.get("trace_number") or str(payload.get("payment_id") or "")
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": payer.id,
                "amount": amount,
                "currency_id": currency.id,
                "date": company._hc_rcm_posting_date(received_on, settings["payment_journal"]),
                "journal_id": settings["payment_journal"].id,
                "memo": reference,
                "payment_reference": reference,
                "destination_account_id": settings["insurance_receivable"].id,
            }
        )
        payment.action_post()
        self.env["hc.rcm.remittance"]._hc_rcm_reconcile_open_items(
            company, payer, settings["insurance_receivable"]
        )
        self.env["account.bank.statement.line"]._hc_rcm_reassociate_payment(payment)
        return payment

    @api.model
    def _hc_rcm_deposit_already_posted(self, company, payer, payload, amount, currency):
        """The payer's deposit with this trace number is already posted (by its 835, or by
        another cash posting): the same amount is linked, no second payment; another amount
        is a conflict for finance."""
        trace = payload.get("trace_number")
        deposit = self.env["account.payment"]._hc_rcm_find_deposit(company, payer, trace)
        if not deposit or deposit._hc_rcm_same_deposit(amount, currency):
            return deposit
        raise ConflictError(
            self.env._(
                "Payment %(id)s of %(amount)s has the trace number %(trace)s of %(payment)s, "
                "which is for another amount; no second payment was posted. Check the deposit "
                "on the bank statement and correct the payment in Odoo or in the billing "
                "system.",
                id=payload.get("payment_id"),
                amount=f"{amount:.2f}",
                trace=trace,
                payment=deposit.display_name,
            ),
            record=deposit,
        )
