"""X12 input, inside a transaction: the segments between ST and SE become a
:class:`Remittance` (loops 1000A/B, 2000, 2100, 2110 and the PLB summary)."""

from sys import intern

from .x12_835_balance import balance_issues
from .x12_835_codes import (
    ADJUSTMENT_GROUPS,
    CLAIM_STATUSES,
    HANDLING_CODES,
    IMPLEMENTATION,
    PAYMENT_METHODS,
)
from .x12_835_model import (
    Adjustment,
    Claim,
    Party,
    Payee,
    Payment,
    Procedure,
    ProviderAdjustment,
    Remittance,
    ServiceLine,
    Trace,
    X12Issue,
)
from .x12_835_values import (
    CURRENCY_RE,
    ONE,
    count_is,
    get_code,
    get_el,
    get_opt,
    parse_amount,
    parse_quantity,
    parse_x12_date,
    segment_label,
)
from .x12_reader import split_composite

_CLAIM_ENTITIES = frozenset({"QC", "IL", "74", "82", "TT", "PR", "GB"})
_CACHE_SIZE = 4096

# Parsing contexts (where in the 835 the last segment was).
_HEADER, _PAYER, _PAYEE, _LX, _CLAIM, _SERVICE, _SUMMARY = range(7)


class TransactionBuilder:
    """Builds one :class:`Remittance` from the segments of one ST/SE transaction."""

    def __init__(self, position, elements, envelope, component):
        self.remittance = Remittance(
            control_number=get_el(elements, 2), position=position, envelope=envelope
        )
        self.errors = self.remittance.errors
        self.component = component
        self.count = 1  # ST
        self.context = _HEADER
        self.claim = None
        self.service = None
        self.payer_ref_id = None
        self.skip = False
        self.amounts = {}  # amount text -> Decimal, see _remember()
        self.quantities = {}
        self.dispatch = {
            "BPR": self._bpr,
            "TRN": self._trn,
            "CUR": self._cur,
            "REF": self._ref,
            "DTM": self._dtm,
            "N1": self._n1,
            "N3": self._address,
            "N4": self._address,
            "PER": self._per,
            "RDM": self._rdm,
            "LX": self._lx,
            "TS3": self._ts,
            "TS2": self._ts,
            "CLP": self._clp,
            "CAS": self._cas,
            "NM1": self._nm1,
            "MIA": self._mia,
            "MOA": self._moa,
            "AMT": self._amt,
            "QTY": self._qty,
            "SVC": self._svc,
            "LQ": self._lq,
            "PLB": self._plb,
        }
        if get_el(elements, 1) != "835":
            self.error(
                position,
                "ST",
                "ST01 is not 835: the transaction set is not a remittance advice",
                "unsupported_transaction",
            )
            self.skip = True
        implementation = envelope.implementation or ""
        if not implementation.startswith("005010X221"):
            self.error(
                position,
                "ST",
                f"ST03 (else GS08) implementation guide is not supported; expected "
                f"{IMPLEMENTATION}",
                "unsupported_version",
            )

    # -- helpers ------------------------------------------------------------------------------

    def error(self, position, segment_id, message, code="invalid", **values):
        self.errors.append(X12Issue(position, segment_id, message, code, **values))

    def amount(self, elements, index, position, required=True):
        value = elements[index] if index < len(elements) else ""
        if not value:
            if required:
                label = f"{elements[0]}{index:02d}"
                self.error(position, elements[0], f"{label} amount is required", "missing_element")
            return None
        result = self.amounts.get(value)
        if result is None:
            result, problem = parse_amount(value)
            if problem:
                label = f"{elements[0]}{index:02d}"
                self.error(position, elements[0], f"{label} {problem}", "invalid_amount")
                return None
            self._remember(self.amounts, value, result)
        return result

    def quantity(self, elements, index, position):
        value = elements[index] if index < len(elements) else ""
        if not value:
            return None
        result = self.quantities.get(value)
        if result is None:
            result, problem = parse_quantity(value)
            if problem:
                label = f"{elements[0]}{index:02d}"
                self.error(position, elements[0], f"{label} {problem}", "invalid_number")
                return None
            self._remember(self.quantities, value, result)
        return result

    @staticmethod
    def _remember(cache, value, result):
        """Share equal Decimals (amounts repeat a lot in remittances); the cache is bounded."""
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[value] = result

    def date(self, elements, index, position, required=True):
        value = elements[index] if index < len(elements) else ""
        label = f"{elements[0]}{index:02d}"
        if not value:
            if required:
                self.error(position, elements[0], f"{label} date is required", "missing_element")
            return None
        result, problem = parse_x12_date(value)
        if problem:
            self.error(position, elements[0], f"{label} {problem}", "invalid_date")
        return result

    def required(self, elements, index, position, what):
        value = elements[index] if index < len(elements) else ""
        if not value:
            label = f"{elements[0]}{index:02d}"
            self.error(position, elements[0], f"{label} ({what}) is required", "missing_element")
            return None
        return value

    def unexpected(self, position, elements, why="is not expected here"):
        segment_id = segment_label(elements[0])
        self.error(position, segment_id, f"segment {segment_id} {why}", "unexpected_segment")

    def procedure(self, value, position, label):
        parts = split_composite(value, self.component)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            self.error(
                position,
                "SVC",
                f"{label} must be a composite of a qualifier and a code",
                "invalid_procedure",
            )
            return None
        # Components 3-6 are modifiers; 7 (free-text description) and 8 are not kept.
        return Procedure(
            intern(parts[0]), intern(parts[1]), tuple(intern(m) for m in parts[2:6] if m)
        )

    # -- segment handlers ---------------------------------------------------------------------

    def feed(self, position, elements):
        self.count += 1
        if self.skip:
            return
        handler = self.dispatch.get(elements[0])
        if handler is None:
            self.unexpected(position, elements, "is not an 835 segment")
        else:
            handler(position, elements)

    def _bpr(self, position, el):
        if self.context != _HEADER or self.remittance.payment is not None:
            return self.unexpected(position, el)
        handling = self.required(el, 1, position, "transaction handling code")
        if handling and handling not in HANDLING_CODES:
            self.error(position, "BPR", "BPR01 is not a handling code", "invalid_code")
        credit_debit = self.required(el, 3, position, "credit/debit flag")
        if credit_debit and credit_debit not in ("C", "D"):
            self.error(position, "BPR", "BPR03 must be C or D", "invalid_code")
        method = get_opt(el, 4)
        if method and method not in PAYMENT_METHODS:
            self.error(position, "BPR", "BPR04 is not a payment method", "invalid_code")
        # BPR05-BPR15 (bank routing and account numbers) are deliberately not kept.
        self.remittance.payment = Payment(
            handling_code=handling,
            amount=self.amount(el, 2, position),
            credit_debit=credit_debit,
            method=method,
            date=self.date(el, 16, position),
            position=position,
        )

    def _trn(self, position, el):
        if self.context != _HEADER or self.remittance.trace is not None:
            return self.unexpected(position, el)
        self.remittance.trace = Trace(
            number=self.required(el, 2, position, "check or EFT trace number"),
            originator=self.required(el, 3, position, "payer identifier"),
        )

    def _cur(self, position, el):
        if self.context != _HEADER:
            return self.unexpected(position, el)
        if self.remittance.payment is None:
            return self.unexpected(position, el, "must follow BPR")
        currency = get_el(el, 2)
        if not CURRENCY_RE.fullmatch(currency):
            self.error(position, "CUR", "CUR02 is not an ISO 4217 code", "invalid_code")
        else:
            self.remittance.payment.currency = currency

    def _ref(self, position, el):
        context = self.context
        if context in (_SUMMARY, _LX):
            return self.unexpected(position, el)
        qualifier, value = get_el(el, 1), get_el(el, 2)
        if not qualifier or not value:
            return self.error(position, "REF", "REF01 and REF02 are required", "missing_element")
        # Only non-personal references are kept (member, employee, medical record, policy and
        # group numbers are not).
        if context == _CLAIM:
            if qualifier == "F8":
                self.claim.original_reference = value
        elif context == _SERVICE:
            if qualifier == "6R":
                self.service.line_control_number = value
        elif context == _PAYER:
            if qualifier == "2U":
                self.payer_ref_id = value
        elif context == _PAYEE and qualifier == "TJ":
            self.remittance.payee.tax_id = value

    def _dtm(self, position, el):
        context = self.context
        if context in (_PAYER, _PAYEE, _LX, _SUMMARY):
            return self.unexpected(position, el)
        value = self.date(el, 2, position)
        qualifier = get_el(el, 1)
        # Statement and service dates relate to the patient: validated, not kept.
        if context == _HEADER and qualifier == "405":
            self.remittance.production_date = value
        elif context == _CLAIM and qualifier == "050":
            self.claim.received_date = value

    def _n1(self, position, el):
        entity = get_el(el, 1)
        remittance = self.remittance
        if entity == "PR":
            if self.context != _HEADER or remittance.payer is not None:
                return self.unexpected(position, el, "(N1*PR) is not expected here")
            remittance.payer = Party(id=get_opt(el, 4), name=get_opt(el, 2))
            self.context = _PAYER
        elif entity == "PE":
            if self.context not in (_HEADER, _PAYER) or remittance.payee is not None:
                return self.unexpected(position, el, "(N1*PE) is not expected here")
            qualifier, identifier = get_opt(el, 3), get_opt(el, 4)
            remittance.payee = Payee(
                id_qualifier=qualifier,
                id=identifier,
                name=get_opt(el, 2),
                npi=identifier if qualifier == "XX" else None,
                tax_id=identifier if qualifier == "FI" else None,
            )
            self.context = _PAYEE
        else:
            self.error(position, "N1", "N101 must be PR or PE", "invalid_code")

    def _address(self, position, el):
        if self.context not in (_PAYER, _PAYEE):
            return self.unexpected(position, el)

    def _per(self, position, el):
        if self.context not in (_PAYER, _CLAIM):
            return self.unexpected(position, el)

    def _rdm(self, position, el):
        if self.context != _PAYEE:
            return self.unexpected(position, el)

    def _lx(self, position, el):
        if self.context == _SUMMARY:
            return self.unexpected(position, el, "cannot follow PLB")
        self.context = _LX
        self.claim = self.service = None

    def _ts(self, position, el):
        if self.context != _LX:
            return self.unexpected(position, el)

    def _clp(self, position, el):
        if self.context == _SUMMARY:
            return self.unexpected(position, el, "cannot follow PLB")
        status = intern(get_el(el, 2))
        if status not in CLAIM_STATUSES:
            self.error(position, "CLP", "CLP02 is not a claim status code", "invalid_code")
        claim = Claim(
            claim_id=self.required(el, 1, position, "patient control number"),
            status=status,
            charged=self.amount(el, 3, position),
            paid=self.amount(el, 4, position),
            patient_responsibility=self.amount(el, 5, position, required=False),
            filing_indicator=get_code(el, 6),
            payer_claim_control_number=get_opt(el, 7),
            facility_code=get_code(el, 8),
            frequency=get_code(el, 9),
            position=position,
        )
        self.remittance.claims.append(claim)
        self.claim = claim
        self.service = None
        self.context = _CLAIM

    def _cas(self, position, el):
        context = self.context
        if context == _CLAIM:
            target = self.claim.adjustments
        elif context == _SERVICE:
            target = self.service.adjustments
        else:
            return self.unexpected(position, el, "must follow a CLP or SVC segment")
        group = intern(get_el(el, 1))
        if group not in ADJUSTMENT_GROUPS:
            self.error(position, "CAS", "CAS01 is not an adjustment group code", "invalid_code")
        if len(el) > 20:
            self.error(position, "CAS", "CAS holds at most 6 adjustments (19 elements)", "invalid")
        found = False
        for index in range(2, min(len(el), 20), 3):
            reason = el[index]
            if not reason and not get_el(el, index + 1):
                continue
            if not reason:
                self.error(
                    position, "CAS", f"CAS{index:02d} reason code is required", "missing_element"
                )
                continue
            found = True
            target.append(
                Adjustment(
                    group,
                    intern(reason),
                    self.amount(el, index + 1, position),
                    self.quantity(el, index + 2, position),
                )
            )
        if not found:
            self.error(
                position, "CAS", "CAS needs at least one reason code and amount", "missing_element"
            )

    def _nm1(self, position, el):
        if self.context != _CLAIM:
            return self.unexpected(position, el)
        entity = get_el(el, 1)
        if entity not in _CLAIM_ENTITIES:
            return self.error(position, "NM1", "NM101 is not an 835 claim entity", "invalid_code")
        # QC patient, IL insured, 74 corrected patient/insured, GB other subscriber: nothing is
        # kept (names and member ids are protected health information).
        if entity == "82":
            self.claim.rendering_provider = {"id_qualifier": get_code(el, 8), "id": get_opt(el, 9)}
        elif entity == "TT":
            self.claim.crossover_carrier = Party(id=get_opt(el, 9), name=get_opt(el, 3))
        elif entity == "PR":
            self.claim.corrected_priority_payer = Party(id=get_opt(el, 9), name=get_opt(el, 3))

    def _mia(self, position, el):
        if self.context != _CLAIM:
            return self.unexpected(position, el)
        self.claim.remarks.extend(intern(el[i]) for i in (5, 20, 21, 22, 23) if get_el(el, i))

    def _moa(self, position, el):
        if self.context != _CLAIM:
            return self.unexpected(position, el)
        self.claim.remarks.extend(intern(el[i]) for i in range(3, 8) if get_el(el, i))

    def _amt(self, position, el):
        if self.context == _CLAIM:
            target = self.claim.amounts
        elif self.context == _SERVICE:
            target = self.service.amounts
        else:
            return self.unexpected(position, el)
        qualifier = self.required(el, 1, position, "amount qualifier")
        value = self.amount(el, 2, position)
        if qualifier and value is not None:
            target[intern(qualifier)] = value

    def _qty(self, position, el):
        if self.context not in (_CLAIM, _SERVICE):
            return self.unexpected(position, el)
        if not get_el(el, 2):
            return self.error(position, "QTY", "QTY02 quantity is required", "missing_element")
        self.quantity(el, 2, position)

    def _svc(self, position, el):
        if self.context not in (_CLAIM, _SERVICE):
            return self.unexpected(position, el, "must follow a CLP segment")
        units = self.quantity(el, 5, position)
        submitted = get_el(el, 6)
        service = ServiceLine(
            procedure=self.procedure(get_el(el, 1), position, "SVC01"),
            charged=self.amount(el, 2, position),
            paid=self.amount(el, 3, position),
            units=ONE if units is None and not get_el(el, 5) else units,
            revenue_code=get_code(el, 4),
            submitted_procedure=self.procedure(submitted, position, "SVC06") if submitted else None,
            position=position,
        )
        self.claim.services.append(service)
        self.service = service
        self.context = _SERVICE

    def _lq(self, position, el):
        if self.context != _SERVICE:
            return self.unexpected(position, el)
        code = self.required(el, 2, position, "remark code")
        if code:
            self.service.remarks.append(intern(code))

    def _plb(self, position, el):
        if self.context in (_HEADER, _PAYER):
            return self.unexpected(position, el, "must follow the payee (N1*PE) or the claims")
        self.context = _SUMMARY
        self.claim = self.service = None
        provider_id = self.required(el, 1, position, "provider identifier")
        fiscal_date = self.date(el, 2, position)
        if len(el) > 15:
            self.error(position, "PLB", "PLB holds at most 6 adjustments (14 elements)", "invalid")
        found = False
        for index in range(3, min(len(el), 15), 2):
            identifier = el[index]
            if not identifier and not get_el(el, index + 1):
                continue
            parts = split_composite(identifier, self.component)
            if not parts or not parts[0]:
                self.error(
                    position,
                    "PLB",
                    f"PLB{index:02d} adjustment reason code is required",
                    "missing_element",
                )
                continue
            found = True
            self.remittance.provider_adjustments.append(
                ProviderAdjustment(
                    provider_id=provider_id,
                    fiscal_date=fiscal_date,
                    reason=intern(parts[0]),
                    reference=parts[1] if len(parts) > 1 and parts[1] else None,
                    amount=self.amount(el, index + 1, position),
                    position=position,
                )
            )
        if not found:
            self.error(position, "PLB", "PLB needs at least one adjustment", "missing_element")

    # -- end of transaction -------------------------------------------------------------------

    def finish(self, position, elements):
        """Close the transaction at SE ``elements`` (``None`` when SE is missing)."""
        remittance = self.remittance
        if elements is None:
            self.error(
                position,
                "ST",
                f"the transaction set started at segment {remittance.position} has no SE trailer",
                "envelope.missing_se",
            )
        else:
            self.count += 1
            count = get_el(elements, 1)
            if not count_is(count, self.count):
                self.error(
                    position,
                    "SE",
                    f"SE01 segment count does not match the {self.count} segments of the "
                    "transaction set (ST to SE included)",
                    "envelope.se_count",
                )
            if get_el(elements, 2) != remittance.control_number:
                self.error(
                    position,
                    "SE",
                    "SE02 control number does not match ST02",
                    "envelope.control_number",
                )
        if self.skip:
            return remittance
        if remittance.payer is not None and remittance.payer.id is None:
            remittance.payer.id = self.payer_ref_id
        for present, name in (
            (remittance.payment, "BPR (financial information)"),
            (remittance.trace, "TRN (reassociation trace number)"),
            (remittance.payer, "N1*PR (payer identification)"),
            (remittance.payee, "N1*PE (payee identification)"),
        ):
            if present is None:
                self.error(
                    remittance.position,
                    "ST",
                    f"required segment {name} is missing from the transaction set",
                    "missing_segment",
                )
        self.errors.extend(balance_issues(remittance))
        return remittance
