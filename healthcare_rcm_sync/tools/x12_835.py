"""ASC X12 835 (005010X221A1) health care claim payment/advice: parser, validator, JSON form.

Pure Python, no Odoo imports. Two entry points produce the same :class:`Remittance` objects:

* :func:`parse` reads X12 bytes or text (one or more interchanges, groups and transactions) and
  returns a :class:`ParseResult`; unreadable data raises :class:`X12ParseError`;
* :func:`parse_835_json` reads the JSON equivalent of one transaction (the shape below) and
  applies the same rules; :func:`validate_json` returns only its issues.

Each transaction is validated on its own: one bad transaction is returned with ``valid ==
False`` and its :class:`X12Issue` list, the others stay valid. Every X12 issue carries the
1-based ordinal of the segment in the file (``position``), the segment id and a message; balancing
issues also carry ``expected`` and ``actual`` amounts (``Decimal``) and a JSON ``path``.

Rules checked: envelope (SE01 segment count, SE02 = ST02, GE01 transaction count, GE02 = GS06,
IEA01 group count, IEA02 = ISA13), required segments (BPR, TRN, N1*PR, N1*PE), codes, dates
(CCYYMMDD) and numbers (amounts: decimals with at most 2 decimal places, read with ``Decimal``),
and balancing:

* payment: BPR02 (negated when BPR03 is ``D``) = sum of CLP04 - sum of PLB amounts (a positive
  PLB amount reduces the payment, a negative one increases it);
* claim: CLP03 - CLP04 = sum of its claim-level CAS amounts + sum of its service-level CAS amounts;
* service line: SVC02 - sum of its CAS amounts = SVC03.

Minimum necessary data: patient, insured and corrected-patient names and member ids (NM1*QC,
NM1*IL, NM1*74, NM1*GB), person-related references (member, employee, medical record, group and
policy numbers, SSN), service and statement dates, addresses, contacts, bank account data
(BPR05-BPR15) and free-text descriptions are never kept: they are read past, not stored.

JSON form (``Remittance.to_dict()``, :func:`to_canonical_json`, input of
:func:`parse_835_json`). Amounts are strings with 2 decimals (``"123.45"``; JSON input also accepts
numbers), quantities decimal strings, dates ISO ``"2026-03-01"``; absent values are ``null``::

    {
      "header": {
        "envelope": {                          # null in JSON input unless given
          "interchange_control_number": "000000001",  # ISA13
          "group_control_number": "1",                # GS06
          "transaction_control_number": "0001",       # ST02
          "sender_id": "PAYERAPP", "receiver_id": "CLINICAPP",  # GS02, GS03
          "implementation": "005010X221A1"            # ST03, else GS08
        },
        "production_date": "2026-02-27",              # DTM*405
        "payer": {"id": "PAYER01", "name": "ACME HEALTH"},  # N1*PR N104 (else REF*2U), N102
        "payee": {"id_qualifier": "XX", "id": "1234567893", "name": "CITY CLINIC",
                  "npi": "1234567893", "tax_id": "123456789"},  # N1*PE, REF*TJ
        "payment": {"handling_code": "C", "amount": "120.00", "credit_debit": "C",
                    "method": "ACH", "date": "2026-03-01", "currency": "USD"},  # BPR, CUR02
        "trace": {"number": "EFT0001", "originator": "1123456789"}  # TRN02, TRN03
      },
      "claims": [{
        "claim_id": "PCN001",                       # CLP01
        "status": "1",                              # CLP02, see CLAIM_STATUSES
        "charged": "200.00", "paid": "130.00",      # CLP03, CLP04
        "patient_responsibility": "20.00",          # CLP05
        "filing_indicator": "12",                   # CLP06
        "payer_claim_control_number": "ICN0001",    # CLP07
        "facility_code": "11", "frequency": "1",    # CLP08, CLP09
        "original_reference": null,                 # REF*F8
        "received_date": "2026-02-20",              # DTM*050
        "rendering_provider": {"id_qualifier": "XX", "id": "1987654325"},  # NM1*82
        "crossover_carrier": null,                  # NM1*TT {"id", "name"}
        "corrected_priority_payer": null,           # NM1*PR {"id", "name"}
        "remarks": ["N130"],                        # MOA/MIA remark codes
        "amounts": {"AU": "150.00"},                # AMT qualifier -> amount
        "adjustments": [],                          # claim-level CAS
        "services": [{
          "procedure": {"qualifier": "HC", "code": "99213", "modifiers": ["25"]},  # SVC01
          "submitted_procedure": null,              # SVC06
          "revenue_code": null,                     # SVC04
          "charged": "200.00", "paid": "130.00",    # SVC02, SVC03
          "units": "1",                             # SVC05 (1 when absent, per the TR3)
          "line_control_number": "L1",              # REF*6R
          "remarks": ["M15"],                       # LQ*HE
          "amounts": {"B6": "150.00"},              # AMT
          "adjustments": [                          # service-level CAS
            {"group": "CO", "reason": "45", "amount": "50.00", "quantity": null},
            {"group": "PR", "reason": "2", "amount": "20.00", "quantity": null}
          ]
        }]
      }],
      "provider_adjustments": [{"provider_id": "1234567893", "fiscal_date": "2026-12-31",
                                "reason": "WO", "reference": "ABC123", "amount": "10.00"}],
      "totals": {"claim_count": 1, "claims_charged": "200.00", "claims_paid": "130.00",
                 "plb_total": "10.00", "expected_payment": "120.00", "difference": "0.00"}
    }

``totals`` is always recomputed (ignored on input); ``difference`` = signed payment amount -
``expected_payment`` and is ``"0.00"`` for a balanced transaction. Fields not listed here are
dropped from JSON input. Required in JSON input: ``header.payer`` and ``header.payee`` (each with
an ``id`` or a ``name``), ``header.payment`` ``handling_code``, ``amount``, ``credit_debit`` and
``date``, ``header.trace.number``; per claim ``claim_id``, ``status``, ``charged``, ``paid``; per
service line ``procedure`` (``qualifier``, ``code``), ``charged``, ``paid``; per adjustment
``group``, ``reason``, ``amount``; per provider adjustment ``provider_id``, ``fiscal_date``,
``reason``, ``amount``. ``claims`` and ``provider_adjustments`` may be empty.
"""

import contextlib
import datetime
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from sys import intern

from .x12_reader import Delimiters, X12ParseError, X12Reader, split_composite

__all__ = [
    "ADJUSTMENT_GROUPS",
    "CLAIM_STATUSES",
    "Adjustment",
    "Claim",
    "Delimiters",
    "ParseResult",
    "ProviderAdjustment",
    "Remittance",
    "ServiceLine",
    "X12Issue",
    "X12ParseError",
    "parse",
    "parse_835_json",
    "to_canonical_json",
    "validate_json",
]

#: Implementation guide this module implements (ST03 / GS08).
IMPLEMENTATION = "005010X221A1"

# Claim status codes (CLP02).
CLAIM_STATUS_PRIMARY = "1"
CLAIM_STATUS_SECONDARY = "2"
CLAIM_STATUS_TERTIARY = "3"
CLAIM_STATUS_DENIED = "4"
CLAIM_STATUS_FORWARDED_PRIMARY = "19"
CLAIM_STATUS_FORWARDED_SECONDARY = "20"
CLAIM_STATUS_FORWARDED_TERTIARY = "21"
CLAIM_STATUS_REVERSAL = "22"
CLAIM_STATUS_NOT_OUR_CLAIM = "23"
CLAIM_STATUS_PREDETERMINATION = "25"
CLAIM_STATUSES = {
    CLAIM_STATUS_PRIMARY: "Processed as primary",
    CLAIM_STATUS_SECONDARY: "Processed as secondary",
    CLAIM_STATUS_TERTIARY: "Processed as tertiary",
    CLAIM_STATUS_DENIED: "Denied",
    CLAIM_STATUS_FORWARDED_PRIMARY: "Processed as primary, forwarded to additional payer(s)",
    CLAIM_STATUS_FORWARDED_SECONDARY: "Processed as secondary, forwarded to additional payer(s)",
    CLAIM_STATUS_FORWARDED_TERTIARY: "Processed as tertiary, forwarded to additional payer(s)",
    CLAIM_STATUS_REVERSAL: "Reversal of previous payment",
    CLAIM_STATUS_NOT_OUR_CLAIM: "Not our claim, forwarded to additional payer(s)",
    CLAIM_STATUS_PREDETERMINATION: "Predetermination pricing only, no payment",
}
#: Claim adjustment group codes (CAS01).
ADJUSTMENT_GROUPS = {
    "CO": "Contractual obligations",
    "OA": "Other adjustments",
    "PI": "Payer initiated reductions",
    "PR": "Patient responsibility",
}
#: Transaction handling codes (BPR01).
HANDLING_CODES = {
    "C": "Payment accompanies remittance advice",
    "D": "Make payment only",
    "H": "Notification only",
    "I": "Remittance information only",
    "P": "Prenotification of future transfers",
    "U": "Split payment and remittance",
    "X": "Handling party's option to split payment and remittance",
}
#: Payment method codes (BPR04).
PAYMENT_METHODS = {
    "ACH": "Automated clearing house",
    "BOP": "Financial institution option",
    "CHK": "Cheque",
    "FWT": "Federal reserve funds/wire transfer",
    "NON": "Non-payment data",
}
#: NM1 entity codes of loop 2100. Only organisations and providers are kept.
_CLAIM_ENTITIES = frozenset({"QC", "IL", "74", "82", "TT", "PR", "GB"})
_ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
_CACHE_SIZE = 4096
_ZERO = Decimal(0)
_ONE = Decimal(1)
# ASCII digits only: ``\d`` and ``str.isdigit`` also accept other scripts' digits.
_AMOUNT_RE = re.compile(r"-?(?:[0-9]+(?:\.([0-9]*))?|\.([0-9]+))")
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COUNT_RE = re.compile(r"[0-9]{1,10}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")

# Parsing contexts (where in the 835 the last segment was).
_HEADER, _PAYER, _PAYEE, _LX, _CLAIM, _SERVICE, _SUMMARY = range(7)


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def _parse_amount(value):
    """Return ``(Decimal, None)`` for an X12 amount string, or ``(None, problem)``."""
    match = _AMOUNT_RE.fullmatch(value)
    if match is None:
        return None, "is not a decimal number"
    fraction = match.group(1) or match.group(2)
    if fraction and len(fraction) > 2:
        return None, f"has {len(fraction)} decimal places; amounts allow at most 2"
    return Decimal(value), None


def _parse_quantity(value):
    """Return ``(Decimal, None)`` for an X12 numeric (R) string, or ``(None, problem)``."""
    if _AMOUNT_RE.fullmatch(value) is None:
        return None, "is not a decimal number"
    return Decimal(value), None


def _parse_x12_date(value):
    """Return ``(date, None)`` for a CCYYMMDD string, or ``(None, problem)``."""
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        return None, "is not a date in CCYYMMDD form"
    try:
        return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:])), None
    except ValueError:
        return None, "is not a valid calendar date"


def _fmt_amount(value):
    if value is None:
        return None
    return format(value, ".2f") if value else "0.00"


def _fmt_quantity(value):
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"


def _fmt_date(value):
    return value.isoformat() if value is not None else None


# --------------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class X12Issue:
    """One validation problem.

    ``position`` and ``segment_id`` locate it in X12 input (``None`` for JSON input); ``path``
    is a JSON pointer into the ``to_dict()`` form when the issue is about a claim, a service line
    or the payment. Balancing issues give ``expected`` and ``actual`` (``Decimal``).
    """

    position: int | None
    segment_id: str | None
    message: str
    code: str = "invalid"
    path: str | None = None
    expected: Decimal | None = None
    actual: Decimal | None = None

    @property
    def difference(self):
        """``actual - expected`` for balancing issues, else ``None``."""
        if self.expected is None or self.actual is None:
            return None
        return self.actual - self.expected

    def __str__(self):
        if self.position is None:
            return self.message
        return f"segment {self.position} ({self.segment_id}): {self.message}"

    def to_dict(self):
        return {
            "position": self.position,
            "segment_id": self.segment_id,
            "path": self.path,
            "code": self.code,
            "message": self.message,
            "expected": _fmt_amount(self.expected),
            "actual": _fmt_amount(self.actual),
        }


@dataclass(slots=True)
class Adjustment:
    """One CAS triple: group code, reason code (CARC), amount and optional quantity."""

    group: str
    reason: str
    amount: Decimal | None
    quantity: Decimal | None = None

    def to_dict(self):
        return {
            "group": self.group,
            "reason": self.reason,
            "amount": _fmt_amount(self.amount),
            "quantity": _fmt_quantity(self.quantity),
        }


@dataclass(slots=True)
class Procedure:
    """A composite medical procedure identifier (SVC01 / SVC06)."""

    qualifier: str
    code: str
    modifiers: tuple = ()

    def to_dict(self):
        return {"qualifier": self.qualifier, "code": self.code, "modifiers": list(self.modifiers)}


@dataclass(slots=True)
class Party:
    """An organisation: payer, crossover carrier, corrected priority payer."""

    id: str | None = None
    name: str | None = None

    def to_dict(self):
        return {"id": self.id, "name": self.name}


@dataclass(slots=True)
class Payee:
    """The payee (N1*PE): the provider organisation being paid."""

    id_qualifier: str | None = None
    id: str | None = None
    name: str | None = None
    npi: str | None = None
    tax_id: str | None = None

    def to_dict(self):
        return {
            "id_qualifier": self.id_qualifier,
            "id": self.id,
            "name": self.name,
            "npi": self.npi,
            "tax_id": self.tax_id,
        }


@dataclass(slots=True)
class Payment:
    """Financial information (BPR) and currency (CUR02, USD when absent)."""

    handling_code: str | None = None
    amount: Decimal | None = None
    credit_debit: str | None = None
    method: str | None = None
    date: datetime.date | None = None
    currency: str = "USD"
    position: int | None = None

    @property
    def signed_amount(self):
        """The amount, negative for a debit (BPR03 = D)."""
        if self.amount is None:
            return None
        return -self.amount if self.credit_debit == "D" else self.amount

    def to_dict(self):
        return {
            "handling_code": self.handling_code,
            "amount": _fmt_amount(self.amount),
            "credit_debit": self.credit_debit,
            "method": self.method,
            "date": _fmt_date(self.date),
            "currency": self.currency,
        }


@dataclass(slots=True)
class Trace:
    """Reassociation trace (TRN): cheque or EFT trace number and originator (payer) id."""

    number: str | None = None
    originator: str | None = None

    def to_dict(self):
        return {"number": self.number, "originator": self.originator}


@dataclass(slots=True)
class Envelope:
    """Where an X12 transaction came from (absent for JSON input)."""

    interchange_control_number: str | None = None
    group_control_number: str | None = None
    transaction_control_number: str | None = None
    sender_id: str | None = None
    receiver_id: str | None = None
    implementation: str | None = None

    def to_dict(self):
        return {
            "interchange_control_number": self.interchange_control_number,
            "group_control_number": self.group_control_number,
            "transaction_control_number": self.transaction_control_number,
            "sender_id": self.sender_id,
            "receiver_id": self.receiver_id,
            "implementation": self.implementation,
        }


@dataclass(slots=True)
class ServiceLine:
    """A service line (loop 2110, SVC)."""

    procedure: Procedure | None
    charged: Decimal | None
    paid: Decimal | None
    units: Decimal | None = _ONE
    revenue_code: str | None = None
    submitted_procedure: Procedure | None = None
    line_control_number: str | None = None
    adjustments: list = field(default_factory=list)
    remarks: list = field(default_factory=list)
    amounts: dict = field(default_factory=dict)
    position: int | None = None

    def to_dict(self):
        return {
            "procedure": self.procedure.to_dict() if self.procedure else None,
            "submitted_procedure": (
                self.submitted_procedure.to_dict() if self.submitted_procedure else None
            ),
            "revenue_code": self.revenue_code,
            "charged": _fmt_amount(self.charged),
            "paid": _fmt_amount(self.paid),
            "units": _fmt_quantity(self.units),
            "line_control_number": self.line_control_number,
            "remarks": list(self.remarks),
            "amounts": {key: _fmt_amount(value) for key, value in self.amounts.items()},
            "adjustments": [adjustment.to_dict() for adjustment in self.adjustments],
        }


@dataclass(slots=True)
class Claim:
    """A claim payment (loop 2100, CLP) with its adjustments and service lines."""

    claim_id: str
    status: str
    charged: Decimal | None
    paid: Decimal | None
    patient_responsibility: Decimal | None = None
    filing_indicator: str | None = None
    payer_claim_control_number: str | None = None
    facility_code: str | None = None
    frequency: str | None = None
    original_reference: str | None = None
    received_date: datetime.date | None = None
    rendering_provider: dict | None = None
    crossover_carrier: Party | None = None
    corrected_priority_payer: Party | None = None
    adjustments: list = field(default_factory=list)
    remarks: list = field(default_factory=list)
    amounts: dict = field(default_factory=dict)
    services: list = field(default_factory=list)
    position: int | None = None

    @property
    def is_denied(self):
        return self.status == CLAIM_STATUS_DENIED

    @property
    def is_reversal(self):
        return self.status == CLAIM_STATUS_REVERSAL

    def to_dict(self):
        return {
            "claim_id": self.claim_id,
            "status": self.status,
            "charged": _fmt_amount(self.charged),
            "paid": _fmt_amount(self.paid),
            "patient_responsibility": _fmt_amount(self.patient_responsibility),
            "filing_indicator": self.filing_indicator,
            "payer_claim_control_number": self.payer_claim_control_number,
            "facility_code": self.facility_code,
            "frequency": self.frequency,
            "original_reference": self.original_reference,
            "received_date": _fmt_date(self.received_date),
            "rendering_provider": dict(self.rendering_provider)
            if self.rendering_provider
            else None,
            "crossover_carrier": self.crossover_carrier.to_dict()
            if self.crossover_carrier
            else None,
            "corrected_priority_payer": (
                self.corrected_priority_payer.to_dict() if self.corrected_priority_payer else None
            ),
            "remarks": list(self.remarks),
            "amounts": {key: _fmt_amount(value) for key, value in self.amounts.items()},
            "adjustments": [adjustment.to_dict() for adjustment in self.adjustments],
            "services": [service.to_dict() for service in self.services],
        }


@dataclass(slots=True)
class ProviderAdjustment:
    """One PLB adjustment pair. A positive amount reduces the payment."""

    provider_id: str | None
    fiscal_date: datetime.date | None
    reason: str
    reference: str | None
    amount: Decimal | None
    position: int | None = None

    def to_dict(self):
        return {
            "provider_id": self.provider_id,
            "fiscal_date": _fmt_date(self.fiscal_date),
            "reason": self.reason,
            "reference": self.reference,
            "amount": _fmt_amount(self.amount),
        }


@dataclass(slots=True)
class Remittance:
    """One 835 transaction (ST/SE), or one JSON remittance."""

    control_number: str | None = None
    position: int | None = None
    envelope: Envelope | None = None
    production_date: datetime.date | None = None
    payer: Party | None = None
    payee: Payee | None = None
    payment: Payment | None = None
    trace: Trace | None = None
    claims: list = field(default_factory=list)
    provider_adjustments: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def valid(self):
        """``True`` when the transaction has no issue and may be posted."""
        return not self.errors

    def totals(self):
        """Control totals as ``Decimal`` (``difference`` is ``None`` without a payment amount)."""
        claims_charged = sum((c.charged for c in self.claims if c.charged is not None), _ZERO)
        claims_paid = sum((c.paid for c in self.claims if c.paid is not None), _ZERO)
        plb_total = sum(
            (p.amount for p in self.provider_adjustments if p.amount is not None), _ZERO
        )
        expected = claims_paid - plb_total
        signed = self.payment.signed_amount if self.payment else None
        return {
            "claim_count": len(self.claims),
            "claims_charged": claims_charged,
            "claims_paid": claims_paid,
            "plb_total": plb_total,
            "expected_payment": expected,
            "difference": None if signed is None else signed - expected,
        }

    def to_dict(self):
        """The minimized, JSON-serialisable form documented in the module docstring."""
        totals = self.totals()
        return {
            "header": {
                "envelope": self.envelope.to_dict() if self.envelope else None,
                "production_date": _fmt_date(self.production_date),
                "payer": self.payer.to_dict() if self.payer else None,
                "payee": self.payee.to_dict() if self.payee else None,
                "payment": self.payment.to_dict() if self.payment else None,
                "trace": self.trace.to_dict() if self.trace else None,
            },
            "claims": [claim.to_dict() for claim in self.claims],
            "provider_adjustments": [plb.to_dict() for plb in self.provider_adjustments],
            "totals": {
                key: value if key == "claim_count" else _fmt_amount(value)
                for key, value in totals.items()
            },
        }


@dataclass(slots=True)
class ParseResult:
    """What :func:`parse` returns.

    ``transactions`` lists every ST/SE transaction in file order, valid or not. ``errors`` lists
    the issues outside any single transaction (GE/IEA counts and control numbers, segments
    outside a transaction set); a group or interchange issue is also copied into the errors of
    each transaction it encloses, so ``transaction.valid`` is enough to decide what to post.
    """

    transactions: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    segment_count: int = 0
    interchange_count: int = 0

    @property
    def valid(self):
        """``True`` when the whole file is clean (no envelope issue, every transaction valid)."""
        return not self.errors and all(t.valid for t in self.transactions)

    @property
    def valid_transactions(self):
        return [t for t in self.transactions if t.valid]


# --------------------------------------------------------------------------------------------
# Balancing (shared by X12 and JSON input)
# --------------------------------------------------------------------------------------------


def _sum_amounts(adjustments):
    """Sum of the adjustment amounts, or ``None`` when one of them is unreadable."""
    total = _ZERO
    for adjustment in adjustments:
        if adjustment.amount is None:
            return None
        total += adjustment.amount
    return total


def _claim_label(claim):
    return f"claim {claim.claim_id!r}"


def _balance_issues(remittance):
    """Check the three balancing rules; unreadable amounts (already reported) are skipped."""
    issues = []
    claims_paid = _ZERO
    complete = True
    for index, claim in enumerate(remittance.claims):
        path = f"/claims/{index}"
        service_total = _ZERO
        for line_index, service in enumerate(claim.services):
            adjusted = _sum_amounts(service.adjustments)
            if adjusted is None or service_total is None:
                service_total = None
                continue
            service_total += adjusted
            if service.charged is None or service.paid is None:
                continue
            expected = service.charged - adjusted
            if expected != service.paid:
                code = service.procedure.code if service.procedure else "?"
                issues.append(
                    X12Issue(
                        service.position,
                        "SVC" if service.position is not None else None,
                        f"service line {line_index + 1} ({code}) of {_claim_label(claim)} does "
                        f"not balance: charged {_fmt_amount(service.charged)} - adjustments "
                        f"{_fmt_amount(adjusted)} = {_fmt_amount(expected)}, but paid is "
                        f"{_fmt_amount(service.paid)} (difference "
                        f"{_fmt_amount(service.paid - expected)})",
                        "balance.service",
                        f"{path}/services/{line_index}",
                        expected,
                        service.paid,
                    )
                )
        claim_adjusted = _sum_amounts(claim.adjustments)
        if claim.paid is None:
            complete = False
        else:
            claims_paid += claim.paid
        if claim_adjusted is None or service_total is None:
            continue
        if claim.charged is None or claim.paid is None:
            continue
        adjusted = claim_adjusted + service_total
        expected = claim.charged - adjusted
        if expected != claim.paid:
            issues.append(
                X12Issue(
                    claim.position,
                    "CLP" if claim.position is not None else None,
                    f"{_claim_label(claim)} does not balance: charged "
                    f"{_fmt_amount(claim.charged)} - adjustments {_fmt_amount(adjusted)} (claim "
                    f"level {_fmt_amount(claim_adjusted)} + service level "
                    f"{_fmt_amount(service_total)}) = {_fmt_amount(expected)}, but paid is "
                    f"{_fmt_amount(claim.paid)} (difference {_fmt_amount(claim.paid - expected)})",
                    "balance.claim",
                    path,
                    expected,
                    claim.paid,
                )
            )
    plb_total = _sum_amounts(remittance.provider_adjustments)
    payment = remittance.payment
    if complete and plb_total is not None and payment and payment.amount is not None:
        expected = claims_paid - plb_total
        actual = payment.signed_amount
        if expected != actual:
            issues.append(
                X12Issue(
                    payment.position,
                    "BPR" if payment.position is not None else None,
                    f"payment {_fmt_amount(actual)} does not balance: claims paid "
                    f"{_fmt_amount(claims_paid)} - provider adjustments {_fmt_amount(plb_total)}"
                    f" = {_fmt_amount(expected)} (difference {_fmt_amount(actual - expected)})",
                    "balance.payment",
                    "/header/payment/amount",
                    expected,
                    actual,
                )
            )
    return issues


# --------------------------------------------------------------------------------------------
# X12 input
# --------------------------------------------------------------------------------------------


def _el(elements, index):
    """Element ``index`` of a segment, ``""`` when absent."""
    return elements[index] if index < len(elements) else ""


def _opt(elements, index):
    """Element ``index`` of a segment, ``None`` when absent or empty."""
    return (elements[index] or None) if index < len(elements) else None


def _count_is(value, expected):
    """Whether the count element ``value`` (SE01, GE01, IEA01) states ``expected``."""
    return _COUNT_RE.fullmatch(value) is not None and int(value) == expected


def _code(elements, index):
    """Like :func:`_opt` for code values, interned: codes repeat on every claim."""
    value = elements[index] if index < len(elements) else ""
    return intern(value) if value else None


class _TransactionBuilder:
    """Builds one :class:`Remittance` from the segments of one ST/SE transaction."""

    def __init__(self, position, elements, envelope, component):
        self.remittance = Remittance(
            control_number=_el(elements, 2), position=position, envelope=envelope
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
        if _el(elements, 1) != "835":
            self.error(
                position,
                "ST",
                f"transaction set {_el(elements, 1)!r} is not an 835 remittance advice",
                "unsupported_transaction",
            )
            self.skip = True
        implementation = envelope.implementation or ""
        if not implementation.startswith("005010X221"):
            self.error(
                position,
                "ST",
                f"implementation guide {implementation!r} is not supported; expected "
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
            result, problem = _parse_amount(value)
            if problem:
                label = f"{elements[0]}{index:02d}"
                self.error(position, elements[0], f"{label} {value!r} {problem}", "invalid_amount")
                return None
            self._remember(self.amounts, value, result)
        return result

    def quantity(self, elements, index, position):
        value = elements[index] if index < len(elements) else ""
        if not value:
            return None
        result = self.quantities.get(value)
        if result is None:
            result, problem = _parse_quantity(value)
            if problem:
                label = f"{elements[0]}{index:02d}"
                self.error(position, elements[0], f"{label} {value!r} {problem}", "invalid_number")
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
        result, problem = _parse_x12_date(value)
        if problem:
            self.error(position, elements[0], f"{label} {value!r} {problem}", "invalid_date")
        return result

    def required(self, elements, index, position, what):
        value = elements[index] if index < len(elements) else ""
        if not value:
            label = f"{elements[0]}{index:02d}"
            self.error(position, elements[0], f"{label} ({what}) is required", "missing_element")
            return None
        return value

    def unexpected(self, position, elements, why="is not expected here"):
        segment_id = elements[0][:20]
        self.error(position, segment_id, f"segment {segment_id!r} {why}", "unexpected_segment")

    def procedure(self, value, position, label):
        parts = split_composite(value, self.component)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            self.error(
                position,
                "SVC",
                f"{label} {value!r} must be a composite 'qualifier{self.component}code'",
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
            self.error(
                position, "BPR", f"BPR01 {handling!r} is not a handling code", "invalid_code"
            )
        credit_debit = self.required(el, 3, position, "credit/debit flag")
        if credit_debit and credit_debit not in ("C", "D"):
            self.error(position, "BPR", f"BPR03 {credit_debit!r} must be C or D", "invalid_code")
        method = _opt(el, 4)
        if method and method not in PAYMENT_METHODS:
            self.error(position, "BPR", f"BPR04 {method!r} is not a payment method", "invalid_code")
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
        currency = _el(el, 2)
        if not _CURRENCY_RE.fullmatch(currency):
            self.error(
                position, "CUR", f"CUR02 {currency!r} is not an ISO 4217 code", "invalid_code"
            )
        else:
            self.remittance.payment.currency = currency

    def _ref(self, position, el):
        context = self.context
        if context in (_SUMMARY, _LX):
            return self.unexpected(position, el)
        qualifier, value = _el(el, 1), _el(el, 2)
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
        qualifier = _el(el, 1)
        # Statement and service dates relate to the patient: validated, not kept.
        if context == _HEADER and qualifier == "405":
            self.remittance.production_date = value
        elif context == _CLAIM and qualifier == "050":
            self.claim.received_date = value

    def _n1(self, position, el):
        entity = _el(el, 1)
        remittance = self.remittance
        if entity == "PR":
            if self.context != _HEADER or remittance.payer is not None:
                return self.unexpected(position, el, "(N1*PR) is not expected here")
            remittance.payer = Party(id=_opt(el, 4), name=_opt(el, 2))
            self.context = _PAYER
        elif entity == "PE":
            if self.context not in (_HEADER, _PAYER) or remittance.payee is not None:
                return self.unexpected(position, el, "(N1*PE) is not expected here")
            qualifier, identifier = _opt(el, 3), _opt(el, 4)
            remittance.payee = Payee(
                id_qualifier=qualifier,
                id=identifier,
                name=_opt(el, 2),
                npi=identifier if qualifier == "XX" else None,
                tax_id=identifier if qualifier == "FI" else None,
            )
            self.context = _PAYEE
        else:
            self.error(position, "N1", f"N101 {entity!r} must be PR or PE", "invalid_code")

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
        status = intern(_el(el, 2))
        if status not in CLAIM_STATUSES:
            self.error(
                position, "CLP", f"CLP02 {status!r} is not a claim status code", "invalid_code"
            )
        claim = Claim(
            claim_id=self.required(el, 1, position, "patient control number"),
            status=status,
            charged=self.amount(el, 3, position),
            paid=self.amount(el, 4, position),
            patient_responsibility=self.amount(el, 5, position, required=False),
            filing_indicator=_code(el, 6),
            payer_claim_control_number=_opt(el, 7),
            facility_code=_code(el, 8),
            frequency=_code(el, 9),
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
        group = intern(_el(el, 1))
        if group not in ADJUSTMENT_GROUPS:
            self.error(
                position, "CAS", f"CAS01 {group!r} is not an adjustment group code", "invalid_code"
            )
        if len(el) > 20:
            self.error(position, "CAS", "CAS holds at most 6 adjustments (19 elements)", "invalid")
        found = False
        for index in range(2, min(len(el), 20), 3):
            reason = el[index]
            if not reason and not _el(el, index + 1):
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
        entity = _el(el, 1)
        if entity not in _CLAIM_ENTITIES:
            return self.error(
                position, "NM1", f"NM101 {entity!r} is not an 835 claim entity", "invalid_code"
            )
        # QC patient, IL insured, 74 corrected patient/insured, GB other subscriber: nothing is
        # kept (names and member ids are protected health information).
        if entity == "82":
            self.claim.rendering_provider = {"id_qualifier": _code(el, 8), "id": _opt(el, 9)}
        elif entity == "TT":
            self.claim.crossover_carrier = Party(id=_opt(el, 9), name=_opt(el, 3))
        elif entity == "PR":
            self.claim.corrected_priority_payer = Party(id=_opt(el, 9), name=_opt(el, 3))

    def _mia(self, position, el):
        if self.context != _CLAIM:
            return self.unexpected(position, el)
        self.claim.remarks.extend(intern(el[i]) for i in (5, 20, 21, 22, 23) if _el(el, i))

    def _moa(self, position, el):
        if self.context != _CLAIM:
            return self.unexpected(position, el)
        self.claim.remarks.extend(intern(el[i]) for i in range(3, 8) if _el(el, i))

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
        if not _el(el, 2):
            return self.error(position, "QTY", "QTY02 quantity is required", "missing_element")
        self.quantity(el, 2, position)

    def _svc(self, position, el):
        if self.context not in (_CLAIM, _SERVICE):
            return self.unexpected(position, el, "must follow a CLP segment")
        units = self.quantity(el, 5, position)
        submitted = _el(el, 6)
        service = ServiceLine(
            procedure=self.procedure(_el(el, 1), position, "SVC01"),
            charged=self.amount(el, 2, position),
            paid=self.amount(el, 3, position),
            units=_ONE if units is None and not _el(el, 5) else units,
            revenue_code=_code(el, 4),
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
            if not identifier and not _el(el, index + 1):
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
                f"transaction set {remittance.control_number!r} started at segment "
                f"{remittance.position} has no SE trailer",
                "envelope.missing_se",
            )
        else:
            self.count += 1
            count = _el(elements, 1)
            if not _count_is(count, self.count):
                self.error(
                    position,
                    "SE",
                    f"SE01 segment count {count!r} does not match the {self.count} segments of "
                    f"transaction set {remittance.control_number!r} (ST to SE included)",
                    "envelope.se_count",
                )
            if _el(elements, 2) != remittance.control_number:
                self.error(
                    position,
                    "SE",
                    f"SE02 control number {_el(elements, 2)!r} does not match ST02 "
                    f"{remittance.control_number!r}",
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
                    f"required segment {name} is missing from transaction set "
                    f"{remittance.control_number!r}",
                    "missing_segment",
                )
        self.errors.extend(_balance_issues(remittance))
        return remittance


class _FileParser:
    """Walks the envelopes (ISA/GS/ST) and hands transaction segments to a builder."""

    def __init__(self, data):
        self.reader = X12Reader(data)
        self.result = ParseResult()
        self.interchange = None  # dict while an ISA is open
        self.group = None  # dict while a GS is open
        self.builder = None  # _TransactionBuilder while an ST is open

    def envelope_error(self, position, segment_id, message, code, transactions=()):
        issue = X12Issue(position, segment_id, message, code)
        self.result.errors.append(issue)
        for remittance in transactions:
            remittance.errors.append(issue)

    def run(self):
        handlers = {
            "ISA": self._isa,
            "IEA": self._iea,
            "GS": self._gs,
            "GE": self._ge,
            "ST": self._st,
            "SE": self._se,
        }
        envelope_ids = _ENVELOPE_IDS
        for position, elements in self.reader:
            segment_id = elements[0]
            builder = self.builder
            if builder is not None and segment_id not in envelope_ids:
                builder.feed(position, elements)
            elif segment_id in envelope_ids:
                handlers[segment_id](position, elements)
            else:
                where = "a transaction set (ST/SE)" if self.interchange else "any interchange"
                self.envelope_error(
                    position,
                    segment_id[:20],
                    f"segment {segment_id[:20]!r} is outside {where}",
                    "envelope.outside",
                )
        self.result.segment_count = self.reader.segment_count
        return self.result

    def _close_transaction(self, position, elements):
        remittance = self.builder.finish(position, elements)
        self.builder = None
        return remittance

    def _close_group(self, position, elements):
        group = self.group
        if self.builder is not None:
            self._close_transaction(position, None)
        if elements is None:
            self.envelope_error(
                position,
                "GS",
                f"functional group {group['control']!r} started at segment {group['position']} "
                "has no GE trailer",
                "envelope.missing_ge",
                group["transactions"],
            )
        else:
            count = _el(elements, 1)
            if not _count_is(count, len(group["transactions"])):
                self.envelope_error(
                    position,
                    "GE",
                    f"GE01 transaction count {count!r} does not match the "
                    f"{len(group['transactions'])} transaction sets of group "
                    f"{group['control']!r}",
                    "envelope.ge_count",
                    group["transactions"],
                )
            if _el(elements, 2) != group["control"]:
                self.envelope_error(
                    position,
                    "GE",
                    f"GE02 control number {_el(elements, 2)!r} does not match GS06 "
                    f"{group['control']!r}",
                    "envelope.control_number",
                    group["transactions"],
                )
        self.group = None

    def _isa(self, position, elements):
        if self.interchange is not None:
            raise X12ParseError(
                f"interchange {self.interchange['control']!r} started at segment "
                f"{self.interchange['position']} is not closed by an IEA before the next ISA",
                position,
                "ISA",
            )
        self.result.interchange_count += 1
        self.interchange = {
            "position": position,
            "control": elements[13],
            "groups": 0,
            "transactions": [],
            "component": self.reader.delimiters.component,
        }

    def _iea(self, position, elements):
        interchange = self.interchange
        if interchange is None:
            return self.envelope_error(
                position, "IEA", "IEA without a matching ISA", "envelope.outside"
            )
        if self.group is not None:
            self._close_group(position, None)
        count = _el(elements, 1)
        if not _count_is(count, interchange["groups"]):
            self.envelope_error(
                position,
                "IEA",
                f"IEA01 group count {count!r} does not match the {interchange['groups']} "
                f"functional groups of interchange {interchange['control']!r}",
                "envelope.iea_count",
                interchange["transactions"],
            )
        if _el(elements, 2) != interchange["control"]:
            self.envelope_error(
                position,
                "IEA",
                f"IEA02 control number {_el(elements, 2)!r} does not match ISA13 "
                f"{interchange['control']!r}",
                "envelope.control_number",
                interchange["transactions"],
            )
        self.interchange = None

    def _gs(self, position, elements):
        if self.interchange is None:
            return self.envelope_error(
                position, "GS", "GS outside any interchange", "envelope.outside"
            )
        if self.group is not None:
            self._close_group(position, None)
        self.interchange["groups"] += 1
        self.group = {
            "position": position,
            "control": _el(elements, 6),
            "sender": _opt(elements, 2),
            "receiver": _opt(elements, 3),
            "version": _opt(elements, 8),
            "transactions": [],
            "controls": set(),
        }

    def _ge(self, position, elements):
        if self.group is None:
            return self.envelope_error(
                position, "GE", "GE without a matching GS", "envelope.outside"
            )
        self._close_group(position, elements)

    def _st(self, position, elements):
        if self.builder is not None:
            self._close_transaction(position, None)
        interchange, group = self.interchange, self.group
        envelope = Envelope(
            interchange_control_number=interchange["control"] if interchange else None,
            group_control_number=group["control"] if group else None,
            transaction_control_number=_el(elements, 2),
            sender_id=group["sender"] if group else None,
            receiver_id=group["receiver"] if group else None,
            implementation=_opt(elements, 3) or (group["version"] if group else None),
        )
        component = interchange["component"] if interchange else self.reader.delimiters.component
        builder = _TransactionBuilder(position, elements, envelope, component)
        remittance = builder.remittance
        self.result.transactions.append(remittance)
        if group is None:
            builder.error(
                position,
                "ST",
                "transaction set is outside a functional group (GS/GE)",
                "envelope.outside",
            )
        else:
            control = remittance.control_number
            if control in group["controls"]:
                builder.error(
                    position,
                    "ST",
                    f"ST02 control number {control!r} is used twice in group {group['control']!r}",
                    "envelope.duplicate_control_number",
                )
            group["controls"].add(control)
            group["transactions"].append(remittance)
        if interchange is not None:
            interchange["transactions"].append(remittance)
        self.builder = builder

    def _se(self, position, elements):
        if self.builder is None:
            return self.envelope_error(
                position, "SE", "SE without a matching ST", "envelope.outside"
            )
        self._close_transaction(position, elements)


def parse(data):
    """Parse X12 835 ``data`` (bytes or str) into a :class:`ParseResult`.

    Raises :class:`X12ParseError` when the data is not a readable X12 interchange (no ISA, a
    malformed ISA, an interchange without IEA). Validation problems never raise: they are listed
    in the transactions' ``errors`` (and ``ParseResult.errors`` for envelope problems).
    """
    return _FileParser(data).run()


# --------------------------------------------------------------------------------------------
# JSON input
# --------------------------------------------------------------------------------------------


class _JsonReader:
    """Reads the JSON form into a :class:`Remittance`, collecting issues with JSON paths."""

    def __init__(self):
        self.errors = []

    def error(self, path, message, code="invalid"):
        self.errors.append(X12Issue(None, None, f"{path}: {message}", code, path))

    def mapping(self, parent, key, path, required=True):
        value = parent.get(key) if isinstance(parent, Mapping) else None
        if value is None:
            if required:
                self.error(path, "is required", "missing_field")
            return None
        if not isinstance(value, Mapping):
            self.error(path, "must be an object", "invalid_type")
            return None
        return value

    def items(self, parent, key, path):
        value = parent.get(key) if isinstance(parent, Mapping) else None
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(path, "must be a list", "invalid_type")
            return []
        return value

    def text(self, parent, key, path, required=False, choices=None):
        value = parent.get(key) if isinstance(parent, Mapping) else None
        if value is None or value == "":
            if required:
                self.error(path, "is required", "missing_field")
            return None
        if not isinstance(value, str):
            self.error(path, f"must be a string, got {type(value).__name__}", "invalid_type")
            return None
        if choices is not None and value not in choices:
            self.error(
                path, f"{value!r} is not one of {', '.join(sorted(choices))}", "invalid_code"
            )
        return value

    def number(self, parent, key, path, required=False, amount=True):
        value = parent.get(key) if isinstance(parent, Mapping) else None
        if value is None or value == "":
            if required:
                self.error(path, "is required", "missing_field")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(path, f"must be a decimal string or number, got {value!r}", "invalid_type")
            return None
        if isinstance(value, float):
            if not math.isfinite(value):
                self.error(path, f"{value!r} is not a finite number", "invalid_amount")
                return None
            value = repr(value)
        value = str(value)
        result, problem = (_parse_amount if amount else _parse_quantity)(value)
        if problem:
            self.error(
                path, f"{value!r} {problem}", "invalid_amount" if amount else "invalid_number"
            )
        return result

    def date(self, parent, key, path, required=False):
        value = self.text(parent, key, path, required)
        if value is None:
            return None
        if _ISO_DATE_RE.fullmatch(value):
            with contextlib.suppress(ValueError):  # e.g. 2026-02-30: reported just below
                return datetime.date.fromisoformat(value)
        self.error(path, f"{value!r} is not an ISO date (YYYY-MM-DD)", "invalid_date")
        return None

    def party(self, parent, key, path):
        value = self.mapping(parent, key, path, required=False)
        if value is None:
            return None
        return Party(
            id=self.text(value, "id", f"{path}/id"), name=self.text(value, "name", f"{path}/name")
        )

    def procedure(self, parent, key, path, required):
        value = self.mapping(parent, key, path, required)
        if value is None:
            return None
        qualifier = self.text(value, "qualifier", f"{path}/qualifier", required=True)
        code = self.text(value, "code", f"{path}/code", required=True)
        modifiers = []
        for index, modifier in enumerate(self.items(value, "modifiers", f"{path}/modifiers")):
            if not isinstance(modifier, str) or not modifier:
                self.error(
                    f"{path}/modifiers/{index}", "must be a non-empty string", "invalid_type"
                )
            else:
                modifiers.append(modifier)
        if len(modifiers) > 4:
            self.error(f"{path}/modifiers", "at most 4 modifiers are allowed", "invalid")
        return Procedure(qualifier or "", code or "", tuple(modifiers))

    def adjustments(self, parent, path):
        result = []
        for index, item in enumerate(self.items(parent, "adjustments", f"{path}/adjustments")):
            item_path = f"{path}/adjustments/{index}"
            if not isinstance(item, Mapping):
                self.error(item_path, "must be an object", "invalid_type")
                continue
            result.append(
                Adjustment(
                    group=self.text(item, "group", f"{item_path}/group", True, ADJUSTMENT_GROUPS)
                    or "",
                    reason=self.text(item, "reason", f"{item_path}/reason", True) or "",
                    amount=self.number(item, "amount", f"{item_path}/amount", True),
                    quantity=self.number(item, "quantity", f"{item_path}/quantity", amount=False),
                )
            )
        return result

    def amounts(self, parent, path):
        value = self.mapping(parent, "amounts", f"{path}/amounts", required=False)
        result = {}
        for key in value or ():
            amount = self.number(value, key, f"{path}/amounts/{key}", required=True)
            if isinstance(key, str) and amount is not None:
                result[key] = amount
        return result

    def remarks(self, parent, path):
        result = []
        for index, remark in enumerate(self.items(parent, "remarks", f"{path}/remarks")):
            if isinstance(remark, str) and remark:
                result.append(remark)
            else:
                self.error(f"{path}/remarks/{index}", "must be a non-empty string", "invalid_type")
        return result

    def service(self, item, path):
        units = self.number(item, "units", f"{path}/units", amount=False)
        return ServiceLine(
            procedure=self.procedure(item, "procedure", f"{path}/procedure", True),
            submitted_procedure=self.procedure(
                item, "submitted_procedure", f"{path}/submitted_procedure", False
            ),
            revenue_code=self.text(item, "revenue_code", f"{path}/revenue_code"),
            charged=self.number(item, "charged", f"{path}/charged", True),
            paid=self.number(item, "paid", f"{path}/paid", True),
            units=_ONE if units is None and item.get("units") is None else units,
            line_control_number=self.text(
                item, "line_control_number", f"{path}/line_control_number"
            ),
            remarks=self.remarks(item, path),
            amounts=self.amounts(item, path),
            adjustments=self.adjustments(item, path),
        )

    def claim(self, item, path):
        provider = self.mapping(item, "rendering_provider", f"{path}/rendering_provider", False)
        claim = Claim(
            claim_id=self.text(item, "claim_id", f"{path}/claim_id", True),
            status=self.text(item, "status", f"{path}/status", True, CLAIM_STATUSES),
            charged=self.number(item, "charged", f"{path}/charged", True),
            paid=self.number(item, "paid", f"{path}/paid", True),
            patient_responsibility=self.number(
                item, "patient_responsibility", f"{path}/patient_responsibility"
            ),
            filing_indicator=self.text(item, "filing_indicator", f"{path}/filing_indicator"),
            payer_claim_control_number=self.text(
                item, "payer_claim_control_number", f"{path}/payer_claim_control_number"
            ),
            facility_code=self.text(item, "facility_code", f"{path}/facility_code"),
            frequency=self.text(item, "frequency", f"{path}/frequency"),
            original_reference=self.text(item, "original_reference", f"{path}/original_reference"),
            received_date=self.date(item, "received_date", f"{path}/received_date"),
            rendering_provider=(
                {
                    "id_qualifier": self.text(
                        provider, "id_qualifier", f"{path}/rendering_provider/id_qualifier"
                    ),
                    "id": self.text(provider, "id", f"{path}/rendering_provider/id"),
                }
                if provider is not None
                else None
            ),
            crossover_carrier=self.party(item, "crossover_carrier", f"{path}/crossover_carrier"),
            corrected_priority_payer=self.party(
                item, "corrected_priority_payer", f"{path}/corrected_priority_payer"
            ),
            remarks=self.remarks(item, path),
            amounts=self.amounts(item, path),
            adjustments=self.adjustments(item, path),
        )
        for index, service in enumerate(self.items(item, "services", f"{path}/services")):
            service_path = f"{path}/services/{index}"
            if isinstance(service, Mapping):
                claim.services.append(self.service(service, service_path))
            else:
                self.error(service_path, "must be an object", "invalid_type")
        return claim

    def remittance(self, data):
        remittance = Remittance(errors=self.errors)
        if not isinstance(data, Mapping):
            self.error("", "a remittance must be a JSON object", "invalid_type")
            return remittance
        header = self.mapping(data, "header", "/header")
        if header is None:
            return remittance
        envelope = self.mapping(header, "envelope", "/header/envelope", required=False)
        if envelope is not None:
            remittance.envelope = Envelope(
                **{
                    key: self.text(envelope, key, f"/header/envelope/{key}")
                    for key in Envelope.__dataclass_fields__
                }
            )
            remittance.control_number = remittance.envelope.transaction_control_number
        remittance.production_date = self.date(header, "production_date", "/header/production_date")
        payer = self.mapping(header, "payer", "/header/payer")
        if payer is not None:
            remittance.payer = self.party(header, "payer", "/header/payer")
            if not remittance.payer.id and not remittance.payer.name:
                self.error("/header/payer", "needs an id or a name", "missing_field")
        payee = self.mapping(header, "payee", "/header/payee")
        if payee is not None:
            remittance.payee = Payee(
                **{
                    key: self.text(payee, key, f"/header/payee/{key}")
                    for key in Payee.__dataclass_fields__
                }
            )
            if not remittance.payee.id and not remittance.payee.name:
                self.error("/header/payee", "needs an id or a name", "missing_field")
        payment = self.mapping(header, "payment", "/header/payment")
        if payment is not None:
            p = "/header/payment"
            remittance.payment = Payment(
                handling_code=self.text(
                    payment, "handling_code", f"{p}/handling_code", True, HANDLING_CODES
                ),
                amount=self.number(payment, "amount", f"{p}/amount", True),
                credit_debit=self.text(
                    payment, "credit_debit", f"{p}/credit_debit", True, {"C", "D"}
                ),
                method=self.text(payment, "method", f"{p}/method", False, PAYMENT_METHODS),
                date=self.date(payment, "date", f"{p}/date", True),
                currency=self.text(payment, "currency", f"{p}/currency") or "USD",
            )
            currency = remittance.payment.currency
            if not _CURRENCY_RE.fullmatch(currency):
                self.error(f"{p}/currency", f"{currency!r} is not an ISO 4217 code", "invalid_code")
        trace = self.mapping(header, "trace", "/header/trace")
        if trace is not None:
            remittance.trace = Trace(
                number=self.text(trace, "number", "/header/trace/number", True),
                originator=self.text(trace, "originator", "/header/trace/originator"),
            )
        for index, item in enumerate(self.items(data, "claims", "/claims")):
            if isinstance(item, Mapping):
                remittance.claims.append(self.claim(item, f"/claims/{index}"))
            else:
                self.error(f"/claims/{index}", "must be an object", "invalid_type")
        items = self.items(data, "provider_adjustments", "/provider_adjustments")
        for index, item in enumerate(items):
            path = f"/provider_adjustments/{index}"
            if not isinstance(item, Mapping):
                self.error(path, "must be an object", "invalid_type")
                continue
            remittance.provider_adjustments.append(
                ProviderAdjustment(
                    provider_id=self.text(item, "provider_id", f"{path}/provider_id", True),
                    fiscal_date=self.date(item, "fiscal_date", f"{path}/fiscal_date", True),
                    reason=self.text(item, "reason", f"{path}/reason", True) or "",
                    reference=self.text(item, "reference", f"{path}/reference"),
                    amount=self.number(item, "amount", f"{path}/amount", True),
                )
            )
        return remittance


def parse_835_json(data):
    """Read the JSON form of one remittance; return a :class:`Remittance` with its issues.

    ``data`` is a mapping shaped like ``Remittance.to_dict()``. Unknown fields are dropped,
    ``totals`` is recomputed, and the balancing rules of :func:`parse` apply; issues carry a
    JSON ``path`` instead of a segment position.
    """
    remittance = _JsonReader().remittance(data)
    remittance.errors.extend(_balance_issues(remittance))
    return remittance


def validate_json(data):
    """Return the list of :class:`X12Issue` of the JSON form ``data`` (empty when valid)."""
    return parse_835_json(data).errors


def to_canonical_json(remittance):
    """Compact canonical JSON text of ``remittance`` (sorted keys, no spaces, UTF-8 safe)."""
    return json.dumps(
        remittance.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
