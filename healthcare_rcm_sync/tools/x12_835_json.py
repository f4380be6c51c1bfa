"""JSON input: the JSON form of one remittance (``Remittance.to_dict()``) read back into a
:class:`Remittance`, with issues located by JSON pointer."""

import contextlib
import datetime
import math
from collections.abc import Mapping

from .x12_835_codes import ADJUSTMENT_GROUPS, CLAIM_STATUSES, HANDLING_CODES, PAYMENT_METHODS
from .x12_835_model import (
    Adjustment,
    Claim,
    Envelope,
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
from .x12_835_values import CURRENCY_RE, ISO_DATE_RE, ONE, parse_amount, parse_quantity


class JsonReader:
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
            self.error(path, f"is not one of {', '.join(sorted(choices))}", "invalid_code")
        return value

    def number(self, parent, key, path, required=False, amount=True):
        value = parent.get(key) if isinstance(parent, Mapping) else None
        if value is None or value == "":
            if required:
                self.error(path, "is required", "missing_field")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.error(
                path,
                f"must be a decimal string or number, got {type(value).__name__}",
                "invalid_type",
            )
            return None
        if isinstance(value, float):
            if not math.isfinite(value):
                self.error(path, "is not a finite number", "invalid_amount")
                return None
            value = repr(value)
        value = str(value)
        result, problem = (parse_amount if amount else parse_quantity)(value)
        if problem:
            self.error(path, problem, "invalid_amount" if amount else "invalid_number")
        return result

    def date(self, parent, key, path, required=False):
        value = self.text(parent, key, path, required)
        if value is None:
            return None
        if ISO_DATE_RE.fullmatch(value):
            with contextlib.suppress(ValueError):  # e.g. 2026-02-30: reported just below
                return datetime.date.fromisoformat(value)
        self.error(path, "is not an ISO date (YYYY-MM-DD)", "invalid_date")
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
            units=ONE if units is None and item.get("units") is None else units,
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
        self.read_header(header, remittance)
        for index, item in enumerate(self.items(data, "claims", "/claims")):
            if isinstance(item, Mapping):
                remittance.claims.append(self.claim(item, f"/claims/{index}"))
            else:
                self.error(f"/claims/{index}", "must be an object", "invalid_type")
        items = self.items(data, "provider_adjustments", "/provider_adjustments")
        for index, item in enumerate(items):
            path = f"/provider_adjustments/{index}"
            if isinstance(item, Mapping):
                remittance.provider_adjustments.append(self.provider_adjustment(item, path))
            else:
                self.error(path, "must be an object", "invalid_type")
        return remittance

    def read_header(self, header, remittance):
        """Envelope, production date, payer, payee, payment and trace of ``header``."""
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
        remittance.payer = self.payer(header)
        remittance.payee = self.payee(header)
        remittance.payment = self.payment(header)
        trace = self.mapping(header, "trace", "/header/trace")
        if trace is not None:
            remittance.trace = Trace(
                number=self.text(trace, "number", "/header/trace/number", True),
                originator=self.text(trace, "originator", "/header/trace/originator"),
            )

    def payer(self, header):
        if self.mapping(header, "payer", "/header/payer") is None:
            return None
        payer = self.party(header, "payer", "/header/payer")
        if not payer.id and not payer.name:
            self.error("/header/payer", "needs an id or a name", "missing_field")
        return payer

    def payee(self, header):
        payee = self.mapping(header, "payee", "/header/payee")
        if payee is None:
            return None
        result = Payee(
            **{
                key: self.text(payee, key, f"/header/payee/{key}")
                for key in Payee.__dataclass_fields__
            }
        )
        if not result.id and not result.name:
            self.error("/header/payee", "needs an id or a name", "missing_field")
        return result

    def payment(self, header):
        payment = self.mapping(header, "payment", "/header/payment")
        if payment is None:
            return None
        p = "/header/payment"
        result = Payment(
            handling_code=self.text(
                payment, "handling_code", f"{p}/handling_code", True, HANDLING_CODES
            ),
            amount=self.number(payment, "amount", f"{p}/amount", True),
            credit_debit=self.text(payment, "credit_debit", f"{p}/credit_debit", True, {"C", "D"}),
            method=self.text(payment, "method", f"{p}/method", False, PAYMENT_METHODS),
            date=self.date(payment, "date", f"{p}/date", True),
            currency=self.text(payment, "currency", f"{p}/currency") or "USD",
        )
        if not CURRENCY_RE.fullmatch(result.currency):
            self.error(f"{p}/currency", "is not an ISO 4217 code", "invalid_code")
        return result

    def provider_adjustment(self, item, path):
        return ProviderAdjustment(
            provider_id=self.text(item, "provider_id", f"{path}/provider_id", True),
            fiscal_date=self.date(item, "fiscal_date", f"{path}/fiscal_date", True),
            reason=self.text(item, "reason", f"{path}/reason", True) or "",
            reference=self.text(item, "reference", f"{path}/reference"),
            amount=self.number(item, "amount", f"{path}/amount", True),
        )
