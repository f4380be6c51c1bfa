"""The objects the 835 parser returns (one :class:`Remittance` per ST/SE transaction) and
their minimised JSON form (``to_dict()``)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from .x12_835_codes import CLAIM_STATUS_DENIED, CLAIM_STATUS_REVERSAL
from .x12_835_values import EXACT, ONE, ZERO, fmt_amount, fmt_date, fmt_quantity


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
        with localcontext(EXACT):
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
            "expected": fmt_amount(self.expected),
            "actual": fmt_amount(self.actual),
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
            "amount": fmt_amount(self.amount),
            "quantity": fmt_quantity(self.quantity),
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
            "amount": fmt_amount(self.amount),
            "credit_debit": self.credit_debit,
            "method": self.method,
            "date": fmt_date(self.date),
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
    units: Decimal | None = ONE
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
            "charged": fmt_amount(self.charged),
            "paid": fmt_amount(self.paid),
            "units": fmt_quantity(self.units),
            "line_control_number": self.line_control_number,
            "remarks": list(self.remarks),
            "amounts": {key: fmt_amount(value) for key, value in self.amounts.items()},
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
            "charged": fmt_amount(self.charged),
            "paid": fmt_amount(self.paid),
            "patient_responsibility": fmt_amount(self.patient_responsibility),
            "filing_indicator": self.filing_indicator,
            "payer_claim_control_number": self.payer_claim_control_number,
            "facility_code": self.facility_code,
            "frequency": self.frequency,
            "original_reference": self.original_reference,
            "received_date": fmt_date(self.received_date),
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
            "amounts": {key: fmt_amount(value) for key, value in self.amounts.items()},
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
            "fiscal_date": fmt_date(self.fiscal_date),
            "reason": self.reason,
            "reference": self.reference,
            "amount": fmt_amount(self.amount),
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
        with localcontext(EXACT):
            return self._totals()

    def _totals(self):
        claims_charged = sum((c.charged for c in self.claims if c.charged is not None), ZERO)
        claims_paid = sum((c.paid for c in self.claims if c.paid is not None), ZERO)
        plb_total = sum((p.amount for p in self.provider_adjustments if p.amount is not None), ZERO)
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
                "production_date": fmt_date(self.production_date),
                "payer": self.payer.to_dict() if self.payer else None,
                "payee": self.payee.to_dict() if self.payee else None,
                "payment": self.payment.to_dict() if self.payment else None,
                "trace": self.trace.to_dict() if self.trace else None,
            },
            "claims": [claim.to_dict() for claim in self.claims],
            "provider_adjustments": [plb.to_dict() for plb in self.provider_adjustments],
            "totals": {
                key: value if key == "claim_count" else fmt_amount(value)
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
