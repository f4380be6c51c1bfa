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

import json

from .x12_835_balance import balance_issues
from .x12_835_codes import (
    ADJUSTMENT_GROUPS,
    CLAIM_STATUS_DENIED,
    CLAIM_STATUS_FORWARDED_PRIMARY,
    CLAIM_STATUS_FORWARDED_SECONDARY,
    CLAIM_STATUS_FORWARDED_TERTIARY,
    CLAIM_STATUS_NOT_OUR_CLAIM,
    CLAIM_STATUS_PREDETERMINATION,
    CLAIM_STATUS_PRIMARY,
    CLAIM_STATUS_REVERSAL,
    CLAIM_STATUS_SECONDARY,
    CLAIM_STATUS_TERTIARY,
    CLAIM_STATUSES,
    HANDLING_CODES,
    IMPLEMENTATION,
    PAYMENT_METHODS,
)
from .x12_835_envelope import FileParser
from .x12_835_json import JsonReader
from .x12_835_model import (
    Adjustment,
    Claim,
    Envelope,
    ParseResult,
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
from .x12_reader import Delimiters, X12ParseError

# The parser is split by concern into x12_835_<concern>.py modules; this module is its
# public face: what the addon and other callers import.
__all__ = [
    "ADJUSTMENT_GROUPS",
    "CLAIM_STATUSES",
    "CLAIM_STATUS_DENIED",
    "CLAIM_STATUS_FORWARDED_PRIMARY",
    "CLAIM_STATUS_FORWARDED_SECONDARY",
    "CLAIM_STATUS_FORWARDED_TERTIARY",
    "CLAIM_STATUS_NOT_OUR_CLAIM",
    "CLAIM_STATUS_PREDETERMINATION",
    "CLAIM_STATUS_PRIMARY",
    "CLAIM_STATUS_REVERSAL",
    "CLAIM_STATUS_SECONDARY",
    "CLAIM_STATUS_TERTIARY",
    "HANDLING_CODES",
    "IMPLEMENTATION",
    "PAYMENT_METHODS",
    "Adjustment",
    "Claim",
    "Delimiters",
    "Envelope",
    "ParseResult",
    "Party",
    "Payee",
    "Payment",
    "Procedure",
    "ProviderAdjustment",
    "Remittance",
    "ServiceLine",
    "Trace",
    "X12Issue",
    "X12ParseError",
    "parse",
    "parse_835_json",
    "to_canonical_json",
    "validate_json",
]


def parse(data):
    """Parse X12 835 ``data`` (bytes or str) into a :class:`ParseResult`.

    Raises :class:`X12ParseError` when the data is not a readable X12 interchange (no ISA, a
    malformed ISA, an interchange without IEA). Validation problems never raise: they are listed
    in the transactions' ``errors`` (and ``ParseResult.errors`` for envelope problems).
    """
    return FileParser(data).run()


def parse_835_json(data):
    """Read the JSON form of one remittance; return a :class:`Remittance` with its issues.

    ``data`` is a mapping shaped like ``Remittance.to_dict()``. Unknown fields are dropped,
    ``totals`` is recomputed, and the balancing rules of :func:`parse` apply; issues carry a
    JSON ``path`` instead of a segment position.
    """
    remittance = JsonReader().remittance(data)
    remittance.errors.extend(balance_issues(remittance))
    return remittance


def validate_json(data):
    """Return the list of :class:`X12Issue` of the JSON form ``data`` (empty when valid)."""
    return parse_835_json(data).errors


def to_canonical_json(remittance):
    """Compact canonical JSON text of ``remittance`` (sorted keys, no spaces, UTF-8 safe)."""
    return json.dumps(
        remittance.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
