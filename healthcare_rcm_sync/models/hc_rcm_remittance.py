from collections import Counter, defaultdict
from decimal import Decimal

from odoo import Command, api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, ConflictError

from ..tools import x12_835

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
#: Claim lines that hold the (payer, claim id, status) key: posted or denied, not reversed.
ACTIVE_CLAIM_STATES = ("posted", "denied")
REVERSAL = x12_835.CLAIM_STATUS_REVERSAL
DENIED = x12_835.CLAIM_STATUS_DENIED


def _money(value):
    return float(value or 0)


def _short_list(items, limit=5):
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit})" if len(items) > limit else "")


class _EntryBuilder:
    """Journal item values of one entry, amounts in the document currency (Decimal),
    converted to the company currency with the rounding residual on the largest line so
    that the entry stays balanced."""

    def __init__(self, company, currency, date):
        self.company = company
        self.currency = currency
        self.date = date
        self.lines = []
        self.raw = []

    def add(self, account_id, amount, label, partner_id=False, **links):
        if not amount:
            return
        self.lines.append(
            dict(
                links,
                account_id=account_id,
                partner_id=partner_id or False,
                name=label,
                amount=amount,
            )
        )

    def add_reversal_of(self, move_line, **links):
        """The exact opposite of a posted journal item (no new currency conversion)."""
        self.raw.append(
            dict(
                links,
                account_id=move_line.account_id.id,
                partner_id=move_line.partner_id.id,
                name=self.company.env._("Reversal: %s", move_line.name or ""),
                balance=-move_line.balance,
                amount_currency=-move_line.amount_currency,
                currency_id=move_line.currency_id.id,
                analytic_distribution=move_line.analytic_distribution,
            )
        )

    def __bool__(self):
        return bool(self.lines or self.raw)

    def commands(self):
        company_currency = self.company.currency_id
        values = []
        if self.currency == company_currency:
            for line in self.lines:
                amount = line.pop("amount")
                values.append(dict(line, balance=float(amount)))
        else:
            total = 0.0
            for line in self.lines:
                amount = float(line.pop("amount"))
                balance = self.currency._convert(amount, company_currency, self.company, self.date)
                values.append(
                    dict(
                        line,
                        balance=balance,
                        amount_currency=amount,
                        currency_id=self.currency.id,
                    )
                )
                total += balance
            residual = company_currency.round(-total)
            if values and not company_currency.is_zero(residual):
                largest = max(values, key=lambda vals: abs(vals["balance"]))
                largest["balance"] = company_currency.round(largest["balance"] + residual)
        values.extend(self.raw)
        return [Command.create(vals) for vals in values]


class HcRcmRemittance(models.Model):
    """One payer remittance: an X12 835 transaction (ST/SE) or its JSON equivalent, as
    posted to accounting. Patient names and member ids never reach this model (the parser
    drops them); claims are identified by the provider's claim id (CLP01)."""

    _name = "hc.rcm.remittance"
    _description = "Payer remittance"
    _inherit = ["mail.thread"]
    _order = "payment_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    backend_id = fields.Many2one("hc.integration.backend", readonly=True, ondelete="restrict")
    message_id = fields.Many2one(
        "hc.integration.message",
        string="Integration message",
        readonly=True,
        ondelete="restrict",
        index="btree_not_null",
    )
    payer_id = fields.Many2one("res.partner", required=True, readonly=True, index=True)
    payer_code = fields.Char(
        readonly=True, help="Payer identifier in the 835 (N1*PR N104, else TRN03)."
    )
    payer_name = fields.Char(string="Payer name in file", readonly=True)
    payee_name = fields.Char(readonly=True)
    payee_identifier = fields.Char(string="Payee id", readonly=True, help="N1*PE N104 (NPI…).")
    trace_number = fields.Char(
        required=True,
        readonly=True,
        index=True,
        help="EFT trace or cheque number (TRN02): the payment's memo, for bank reconciliation.",
    )
    trace_originator = fields.Char(readonly=True, help="TRN03: payer identifier.")
    handling_code = fields.Selection(
        list(x12_835.HANDLING_CODES.items()), readonly=True, help="BPR01"
    )
    payment_method = fields.Selection(
        list(x12_835.PAYMENT_METHODS.items()), readonly=True, help="BPR04"
    )
    payment_date = fields.Date(readonly=True, index=True, help="BPR16")
    production_date = fields.Date(readonly=True, help="DTM*405")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        string="Payment amount", readonly=True, help="BPR02, negative for a debit."
    )
    claims_charged = fields.Monetary(readonly=True)
    claims_paid = fields.Monetary(readonly=True)
    plb_total = fields.Monetary(string="Provider adjustments total", readonly=True)
    forward_balance_amount = fields.Monetary(
        string="Forward balance",
        readonly=True,
        help="Sum of the forward-balance (PLB FB) adjustments of this remittance: negative "
        "when the payer defers a recovery to a later payment, positive when it recovers one.",
    )
    claim_count = fields.Integer(readonly=True)
    denied_count = fields.Integer(readonly=True)
    reversal_count = fields.Integer(readonly=True)
    interchange_control_number = fields.Char(readonly=True)
    group_control_number = fields.Char(readonly=True)
    transaction_control_number = fields.Char(readonly=True)
    content_hash = fields.Char(readonly=True)
    state = fields.Selection(
        [("posted", "Posted"), ("denials", "Open denials")],
        compute="_compute_state",
        store=True,
        index=True,
    )
    open_denial_count = fields.Integer(compute="_compute_state", store=True)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)
    move_id = fields.Many2one("account.move", string="Adjustment entry", readonly=True, copy=False)
    move_ids = fields.One2many("account.move", "hc_rcm_remittance_id", string="Journal entries")
    move_count = fields.Integer(compute="_compute_move_count")
    claim_line_ids = fields.One2many("hc.rcm.claim.line", "remittance_id", string="Claims")
    adjustment_ids = fields.One2many("hc.rcm.adjustment", "remittance_id", string="Adjustments")
    provider_adjustment_ids = fields.One2many(
        "hc.rcm.adjustment",
        "remittance_id",
        string="Provider adjustments",
        domain=[("level", "=", "provider")],
    )
    payer_forward_balance = fields.Monetary(
        string="Open forward balance with payer",
        compute="_compute_payer_forward_balance",
        help="What this payer still has to recover from later payments (deferred minus "
        "recovered forward balances of all its remittances).",
    )

    _sql_constraints = [
        (
            "trace_payer_unique",
            "unique(company_id, payer_id, trace_number)",
            "A remittance with this trace number from this payer is already posted.",
        ),
    ]

    @api.depends("payer_code", "trace_number")
    def _compute_name(self):
        for remittance in self:
            remittance.name = f"{remittance.payer_code or ''}/{remittance.trace_number or ''}"

    @api.depends("claim_line_ids.denial_state")
    def _compute_state(self):
        counts = dict(
            self.env["hc.rcm.claim.line"]
            .sudo()
            ._read_group(
                [("remittance_id", "in", self.ids), ("denial_state", "=", "open")],
                ["remittance_id"],
                ["__count"],
            )
        )
        for remittance in self:
            count = counts.get(remittance, 0)
            remittance.open_denial_count = count
            remittance.state = "denials" if count else "posted"

    def _compute_move_count(self):
        for remittance in self:
            remittance.move_count = len(remittance.move_ids)

    def _compute_payer_forward_balance(self):
        Adjustment = self.env["hc.rcm.adjustment"].sudo()
        totals = dict(
            Adjustment._read_group(
                [
                    ("level", "=", "provider"),
                    ("reason_code", "=", "FB"),
                    ("payer_id", "in", self.payer_id.ids),
                    ("company_id", "in", self.company_id.ids),
                ],
                ["payer_id"],
                ["amount:sum"],
            )
        )
        for remittance in self:
            remittance.payer_forward_balance = -totals.get(remittance.payer_id, 0.0)

    # ------------------------------------------------------------------------------------
    # Posting (called by the remittance handler, inside the message's savepoint)
    # ------------------------------------------------------------------------------------
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
        backend = message.backend_id
        company = backend.company_id
        settings = company._hc_rcm_settings(REMITTANCE_SETTINGS)
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
                )
            )
        existing = self.sudo().search(
            [
                ("company_id", "=", company.id),
                ("payer_id", "=", payer.id),
                ("trace_number", "=", rem.trace.number),
            ],
            limit=1,
        )
        if existing:
            if existing.content_hash == content_hash:
                if existing.open_denial_count and existing.message_id == message:
                    # a replay: the processor resolves the exceptions open before the run,
                    # so the denials still to work get a fresh follow-up exception
                    message.exception_ids.filtered(lambda e: e.state == "open")._close(
                        "resolved", self.env._("Superseded: the message was processed again.")
                    )
                    existing._hc_rcm_open_denial_exception(message)
                return existing._hc_rcm_records()
            raise ConflictError(
                self.env._(
                    "Conflicting resend: %(payer)s already sent a remittance with trace number "
                    "%(trace)s, with different content; nothing of this one was posted.\n"
                    "Compare it with remittance %(existing)s and ask the payer or the "
                    "clearinghouse which one is right; a corrected remittance needs a new "
                    "trace number.",
                    payer=payer.display_name,
                    trace=rem.trace.number,
                    existing=existing.display_name,
                ),
                record=existing,
            )
        currency = handler._hc_rcm_currency(rem.payment.currency)
        originals = self._hc_rcm_match_reversals(company, payer, rem)
        self._hc_rcm_check_claim_keys(company, payer, rem, originals)
        remittance = self.create(
            self._hc_rcm_header_values(message, rem, payer, payer_code, currency, content_hash)
        )
        lines = remittance._hc_rcm_create_claims(rem, originals)
        plb_records = remittance._hc_rcm_create_provider_adjustments(rem)
        move = remittance._hc_rcm_post_entry(rem, lines, originals, plb_records, settings)
        payment = remittance._hc_rcm_post_payment(rem, settings)
        remittance.write({"move_id": move.id, "payment_id": payment.id})
        remittance._hc_rcm_reconcile_forward_balances()
        remittance._hc_rcm_open_denial_exception(message)
        return remittance._hc_rcm_records()

    def _hc_rcm_records(self):
        self.ensure_one()
        return [
            records
            for records in (self, self.payment_id, self.payment_id.move_id, self.move_ids)
            if records
        ]

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
            "amount": _money(payment.signed_amount),
            "claims_charged": _money(totals["claims_charged"]),
            "claims_paid": _money(totals["claims_paid"]),
            "plb_total": _money(totals["plb_total"]),
            "forward_balance_amount": _money(fb_total),
            "claim_count": len(rem.claims),
            "denied_count": sum(1 for claim in rem.claims if claim.status == DENIED),
            "reversal_count": sum(1 for claim in rem.claims if claim.status == REVERSAL),
            "interchange_control_number": envelope.interchange_control_number,
            "group_control_number": envelope.group_control_number,
            "transaction_control_number": envelope.transaction_control_number,
            "content_hash": content_hash,
        }

    # --- reversals and claim idempotency ---------------------------------------------------
    @api.model
    def _hc_rcm_match_reversals(self, company, payer, rem):
        """For each claim of ``rem``, the earlier claim line a reversal (status 22) undoes
        (empty for other claims). An unknown original or amounts that do not mirror it
        reject the whole remittance."""
        ClaimLine = self.env["hc.rcm.claim.line"].sudo()
        result, unknown, mismatched, used = [], [], [], ClaimLine.browse()
        for claim in rem.claims:
            if claim.status != REVERSAL:
                result.append(ClaimLine.browse())
                continue
            candidates = (
                ClaimLine.search(
                    [
                        ("company_id", "=", company.id),
                        ("payer_id", "=", payer.id),
                        ("claim_id", "=", claim.claim_id),
                        ("state", "in", ACTIVE_CLAIM_STATES),
                    ],
                    order="id desc",
                )
                - used
            )
            original = (
                candidates.filtered(
                    lambda line, claim=claim: (
                        claim.original_reference
                        and line.payer_claim_control_number == claim.original_reference
                    )
                )[:1]
                or candidates.filtered(
                    lambda line, claim=claim: (
                        claim.payer_claim_control_number
                        and line.payer_claim_control_number == claim.payer_claim_control_number
                    )
                )[:1]
                or (candidates if len(candidates) == 1 else ClaimLine.browse())
            )
            if not original:
                unknown.append(claim.claim_id)
            elif Decimal(str(original.charged)) != -(claim.charged or ZERO) or Decimal(
                str(original.paid)
            ) != -(claim.paid or ZERO):
                mismatched.append(claim.claim_id)
            used |= original
            result.append(original)
        if unknown:
            raise BusinessError(
                self.env._(
                    "Remittance %(trace)s from %(payer)s reverses claims that no earlier "
                    "remittance of this payer posted; nothing was posted.\n"
                    "Claims: %(claims)s.\n"
                    "If the original remittance is still to come, retry this message once it "
                    "is posted; otherwise ask the payer which payment is reversed.",
                    trace=rem.trace.number,
                    payer=payer.display_name,
                    claims=_short_list(unknown),
                ),
                category="dependency",
            )
        if mismatched:
            raise BusinessError(
                self.env._(
                    "Remittance %(trace)s from %(payer)s reverses claims with amounts that do "
                    "not mirror their earlier posting; nothing was posted.\n"
                    "Claims: %(claims)s.\n"
                    "Ask the payer for a corrected remittance.",
                    trace=rem.trace.number,
                    payer=payer.display_name,
                    claims=_short_list(mismatched),
                ),
                category="conflict",
            )
        return result

    @api.model
    def _hc_rcm_check_claim_keys(self, company, payer, rem, originals):
        """Idempotency by claim: a (payer, claim id, status) already posted and not reversed
        in this remittance may not be posted again (a payer re-paying a claim must reverse
        it first)."""
        keys = [(c.claim_id, c.status) for c in rem.claims if c.status != REVERSAL]
        repeated = sorted({claim_id for (claim_id, _s), n in Counter(keys).items() if n > 1})
        reversed_now = set().union(*(original.ids for original in originals))
        existing = (
            self.env["hc.rcm.claim.line"]
            .sudo()
            .search_read(
                [
                    ("company_id", "=", company.id),
                    ("payer_id", "=", payer.id),
                    ("claim_id", "in", list({claim_id for claim_id, _s in keys})),
                    ("state", "in", ACTIVE_CLAIM_STATES),
                ],
                ["claim_id", "status", "remittance_id"],
            )
        )
        wanted = set(keys)
        posted = sorted(
            {
                row["claim_id"]
                for row in existing
                if (row["claim_id"], row["status"]) in wanted and row["id"] not in reversed_now
            }
        )
        if repeated or posted:
            raise ConflictError(
                self.env._(
                    "Remittance %(trace)s from %(payer)s pays claims with a status that is "
                    "already posted; nothing was posted.\n"
                    "Claims: %(claims)s.\n"
                    "A payer that pays a claim again must reverse the earlier payment first "
                    "(claim status 22). Check the claim's history with the payer.",
                    trace=rem.trace.number,
                    payer=payer.display_name,
                    claims=_short_list(repeated + posted),
                )
            )

    # --- records ----------------------------------------------------------------------------
    def _hc_rcm_create_claims(self, rem, originals):
        """Claim lines and their claim- and service-level adjustments, in batches."""
        self.ensure_one()
        codes = self.env["hc.rcm.code"]._hc_rcm_lookup()
        # originals leave the (payer, claim id, status) key before the corrected claim takes it
        reversed_originals = self.env["hc.rcm.claim.line"].sudo().browse()
        for original in originals:
            reversed_originals |= original
        if reversed_originals:
            denied = reversed_originals.filtered(lambda line: line.denial_state == "open")
            reversed_originals.write({"state": "reversed"})
            denied.write({"denial_state": "reversed"})
            reversed_originals.flush_recordset()
        header = self._hc_rcm_header_copy()
        line_values = []
        for index, claim in enumerate(rem.claims):
            sums = defaultdict(Decimal)
            remarks = list(claim.remarks)
            for adjustment in _claim_adjustments(claim):
                sums[adjustment.group] += adjustment.amount or ZERO
            for service in claim.services:
                remarks.extend(r for r in service.remarks if r not in remarks)
            line_values.append(
                {
                    **header,
                    "sequence": index,
                    "claim_id": claim.claim_id,
                    "status": claim.status,
                    "charged": _money(claim.charged),
                    "paid": _money(claim.paid),
                    "patient_responsibility": _money(claim.patient_responsibility),
                    "contractual_amount": _money(sums["CO"] + sums["PI"]),
                    "patient_amount": _money(sums["PR"]),
                    "other_adjustment_amount": _money(sums["OA"]),
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
                    "reverses_id": originals[index].id or False,
                }
            )
        lines = self.env["hc.rcm.claim.line"].create(line_values)
        for original, line in zip(originals, lines, strict=True):
            if original:
                original.reversed_by_id = line
        adjustment_values = []
        for claim, line in zip(rem.claims, lines, strict=True):
            for adjustment in claim.adjustments:
                adjustment_values.append(
                    self._hc_rcm_adjustment_values(header, adjustment, line, codes)
                )
            for service in claim.services:
                procedure = _procedure_label(service.procedure)
                for adjustment in service.adjustments:
                    adjustment_values.append(
                        self._hc_rcm_adjustment_values(
                            header, adjustment, line, codes, level="service", procedure=procedure
                        )
                    )
        self.env["hc.rcm.adjustment"].create(adjustment_values)
        return lines

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
            "amount": _money(adjustment.amount),
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
                    "amount": _money(plb.amount),
                    "reference": plb.reference,
                    "provider_identifier": plb.provider_id,
                    "fiscal_date": plb.fiscal_date,
                }
            )
        return self.env["hc.rcm.adjustment"].create(values)

    # --- accounting ---------------------------------------------------------------------
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
        builder = _EntryBuilder(self.company_id, self.currency_id, self.payment_date)
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
        if not builder:
            return self.env["account.move"]
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": settings["journal"].id,
                "date": self.payment_date,
                "ref": f"835 {self.payer_code} {self.trace_number}",
                "currency_id": self.currency_id.id,
                "hc_rcm_remittance_id": self.id,
                "line_ids": builder.commands(),
            }
        )
        move.action_post()
        return move

    def _hc_rcm_post_payment(self, rem, settings):
        """The payer's payment for BPR02 (none for a zero-pay remittance)."""
        self.ensure_one()
        amount = rem.payment.signed_amount or ZERO
        if not amount:
            return self.env["account.payment"]
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound" if amount > 0 else "outbound",
                "partner_type": "customer",
                "partner_id": self.payer_id.id,
                "amount": abs(float(amount)),
                "currency_id": self.currency_id.id,
                "date": self.payment_date,
                "journal_id": settings["payment_journal"].id,
                "memo": self.trace_number,
                "payment_reference": self.trace_number,
                "destination_account_id": settings["insurance_receivable"].id,
                "hc_rcm_remittance_id": self.id,
            }
        )
        payment.action_post()
        return payment

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

    # --- denials ------------------------------------------------------------------------------
    def _hc_rcm_open_denial_exception(self, message):
        """Denied claims are not written off: the billing team gets a follow-up exception on
        the (successful) message, closed once every denial is worked."""
        self.ensure_one()
        denied = self.claim_line_ids.filtered(lambda line: line.denial_state == "open")
        if not denied:
            return
        lines = []
        for line in denied:
            reasons = "; ".join(
                f"{adjustment.group_code or ''}-{adjustment.reason_code}"
                + (f" ({adjustment.code_id.name})" if adjustment.code_id else "")
                for adjustment in line.adjustment_ids
            )
            lines.append(
                self.env._(
                    "• %(claim)s: charged %(charged)s, paid %(paid)s — %(reasons)s",
                    claim=line.claim_id,
                    charged=f"{line.charged:.2f}",
                    paid=f"{line.paid:.2f}",
                    reasons=reasons or self.env._("no reason code given"),
                )
            )
        description = self.env._(
            "%(payer)s denied %(count)s claim(s) in remittance %(trace)s; they were not "
            "written off.\n%(lines)s\n"
            "Open the remittance and, for each denied claim, choose Write off denial (posts "
            "its adjustments to the denial account) or Appealed (the balance stays open "
            "until the payer decides again). This exception closes when no denial of the "
            "remittance is left open.",
            payer=self.payer_id.display_name,
            count=len(denied),
            trace=self.trace_number,
            lines="\n".join(lines),
        )
        self.env["hc.integration.exception"]._hc_open_for(
            message,
            "validation",
            description,
            record=self,
            title=self.env._(
                "Denied claims to work: %s", _short_list(denied.mapped("claim_id"), 3)
            ),
        )

    def _hc_rcm_close_denial_exception(self, note):
        """Close the follow-up exception once no denial of the remittance is open."""
        for remittance in self.sudo():
            if remittance.open_denial_count or not remittance.message_id:
                continue
            remittance.message_id.exception_ids.filtered(
                lambda exception: exception.state == "open"
            )._close("resolved", note)

    # ------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------
    def action_view_payment(self):
        self.ensure_one()
        return self.payment_id._get_records_action() if self.payment_id else False

    def action_view_moves(self):
        self.ensure_one()
        return self.move_ids._get_records_action(name=self.env._("Journal entries"))

    def action_view_message(self):
        self.ensure_one()
        return self.message_id._get_records_action() if self.message_id else False


def _claim_adjustments(claim):
    yield from claim.adjustments
    for service in claim.services:
        yield from service.adjustments


def _procedure_label(procedure):
    if not procedure:
        return None
    parts = [procedure.qualifier, procedure.code, *procedure.modifiers]
    return ":".join(part for part in parts if part)


def _add_claim_lines(builder, claim, line, route, receivable, patient, payer):
    """A claim's adjustments, one journal item per account and reason code, against the
    payer's insurance receivable. Patient responsibility has no partner (no patient data
    is kept)."""
    buckets = defaultdict(Decimal)
    for adjustment in _claim_adjustments(claim):
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
