#!/usr/bin/env python3
"""Play the billing system and the clearinghouse against the demo (Appendix B).

Sends, signed with Standard Webhooks, to ``POST /healthcare/webhook/<backend>/<flow>``:

* the day's billing summaries (``demo_billing/billing_summary``, facilities MAIN and NORTH,
  service lines LAB, RAD, PHARMACY, ED);
* a few cash postings (``demo_billing/payment_posted``, payers PAYER01 and PAYER02);
* a write-off (``demo_billing/writeoff``);
* four 835 files (``demo_clearinghouse/remittance_835``): a normal one, one with a denial and
  provider-level adjustments (interest, overpayment recovery), one reversing and correcting
  a claim of the first with a forward balance (zero pay), and one that does not balance on
  purpose (it ends in an exception that shows the difference).

Event ids and file contents are derived from the day, so running it twice the same day
sends duplicates: the second run changes nothing in Odoo (answers 200, "duplicate").
Patient names in the 835 files are fake and are dropped by the parser before storage.

Usage: ``python3 tools/demo_sender_rcm.py --url http://localhost:8069 [--day 2026-03-02]``
(signing secret: ``--secret`` or ``HC_DEMO_WEBHOOK_SECRET``, else the README's default).
"""

import argparse
import datetime
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_client import WebhookClient

BILLING = "demo_billing"
CLEARINGHOUSE = "demo_clearinghouse"
X12 = "application/edi-x12"


# --------------------------------------------------------------------------------------------
# 835 files
# --------------------------------------------------------------------------------------------
def _interchange(day, control, transactions):
    """An X12 interchange (ISA/GS/…/GE/IEA) around ``transactions`` (lists of segments
    between ST and SE, without them); segment counts and control numbers filled in."""
    yymmdd, ccyymmdd = day.strftime("%y%m%d"), day.strftime("%Y%m%d")
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{'CLEARINGHOUSE':<15}*ZZ*{'CITYCLINIC':<15}*{yymmdd}*0800"
        f"*^*00501*{control:09d}*0*T*:"
    )
    segments = [isa, f"GS*HP*CLEARINGHOUSE*CITYCLINIC*{ccyymmdd}*0800*{control}*X*005010X221A1"]
    for number, body in enumerate(transactions, start=1):
        st = f"{number:04d}"
        segments.append(f"ST*835*{st}*005010X221A1")
        segments.extend(body)
        segments.append(f"SE*{len(body) + 2}*{st}")
    segments.append(f"GE*{len(transactions)}*{control}")
    segments.append(f"IEA*1*{control:09d}")
    return ("~\n".join(segments) + "~\n").encode()


def _header(day, amount, trace, payer_code, payer_name, handling="I", method="ACH"):
    ccyymmdd = day.strftime("%Y%m%d")
    return [
        f"BPR*{handling}*{amount}*C*{method}************{ccyymmdd}",
        f"TRN*1*{trace}*1512345678",
        f"DTM*405*{ccyymmdd}",
        f"N1*PR*{payer_name}*XV*{payer_code}",
        "N1*PE*CITY CLINIC*XX*1234567893",
        "LX*1",
    ]


def remittance_files(day):
    """``{label: bytes}`` of the four demo 835 files of ``day``."""
    d = day.strftime("%Y%m%d")
    control = int(day.strftime("%y%j")) * 10
    normal = _header(day, "430.00", f"EFT{d}01", "PAYER01", "ACME HEALTH PLAN") + [
        f"CLP*DEMO{d}-001*1*250.00*180.00*20.00*12*ICN{d}001*11*1",
        "NM1*QC*1*SAMPLE*PATIENT****MI*ZX0000001",
        "SVC*HC:99214*250.00*180.00**1",
        "CAS*CO*45*50.00",
        "CAS*PR*2*20.00",
        f"CLP*DEMO{d}-002*1*120.00*100.00*0*12*ICN{d}002*11*1",
        "NM1*QC*1*EXAMPLE*PERSON****MI*ZX0000002",
        "CAS*CO*45*20.00",
        f"CLP*DEMO{d}-005*1*200.00*150.00*0*12*ICN{d}005*11*1",
        "NM1*QC*1*SPECIMEN*ANN****MI*ZX0000005",
        "CAS*CO*45*50.00",
    ]
    denial = _header(day, "218.20", f"EFT{d}02", "PAYER02", "BETA CARE") + [
        f"CLP*DEMO{d}-003*1*300.00*240.00*0*12*ICN{d}003*11*1",
        "CAS*CO*45*60.00",
        f"CLP*DEMO{d}-004*4*400.00*0*0*12*ICN{d}004*11*1",
        "NM1*QC*1*PLACEHOLDER*PAT****MI*ZX0000004",
        "CAS*CO*50*400.00",
        "MOA***N130",
        f"PLB*1234567893*{day.year}1231*L6:DEMO{d}-003*-3.20*WO:OVP{d}*25.00",
    ]
    reversal = _header(day, "0", f"NOPAY{d}03", "PAYER01", "ACME HEALTH PLAN", "H", "NON") + [
        f"CLP*DEMO{d}-005*22*-200.00*-150.00*0*12*ICN{d}006*11*1",
        "CAS*CO*45*-50.00",
        f"REF*F8*ICN{d}005",
        f"CLP*DEMO{d}-005*1*200.00*120.00*20.00*12*ICN{d}007*11*7",
        "CAS*CO*45*60.00",
        "CAS*PR*1*20.00",
        f"PLB*1234567893*{day.year}1231*FB:ICN{d}005*-30.00",
    ]
    unbalanced = _header(day, "85.00", f"EFT{d}04", "PAYER02", "BETA CARE") + [
        f"CLP*DEMO{d}-008*1*100.00*80.00*0*12*ICN{d}008*11*1",
        "CAS*CO*45*20.00",
    ]
    return {
        "835 normal (PAYER01)": _interchange(day, control + 1, [normal]),
        "835 denial and PLB (PAYER02)": _interchange(day, control + 2, [denial]),
        "835 reversal with forward balance (PAYER01)": _interchange(day, control + 3, [reversal]),
        "835 unbalanced on purpose (PAYER02)": _interchange(day, control + 4, [unbalanced]),
    }


# --------------------------------------------------------------------------------------------
# JSON events
# --------------------------------------------------------------------------------------------
def _event(event_type, day, schema_version="1.0", **fields):
    return dict(
        event_type=event_type,
        schema_version=schema_version,
        occurred_at=f"{day.isoformat()}T22:00:00Z",
        **fields,
    )


def _summary(day, facility, lines):
    """A ``billing.summary`` 1.1 of ``facility``: ``lines`` are (code, gross, contractual,
    payer code or None for self-pay)."""
    iso = day.isoformat()
    total = sum(Decimal(line[1]) for line in lines)
    return _event(
        "billing.summary",
        day,
        schema_version="1.1",
        batch_id=f"BS-{iso}-{facility}",
        facility_code=facility,
        service_date=iso,
        currency="USD",
        lines=[
            dict(
                {
                    "service_line_code": code,
                    "gross_charges": gross,
                    "contractual_adjustments": contractual,
                },
                **({"payer_code": payer} if payer else {}),
            )
            for code, gross, contractual, payer in lines
        ],
        control_total=f"{total:.2f}",
    )


def billing_summaries(day):
    """The day's billing summaries of the MAIN and NORTH facilities, per payer (one
    self-pay line)."""
    main = _summary(
        day,
        "MAIN",
        [
            ("LAB", "4200.00", "1250.00", "PAYER01"),
            ("RAD", "9800.00", "3100.00", "PAYER02"),
            ("ED", "15750.00", "5400.00", "PAYER01"),
            ("ED", "850.00", "0.00", None),
        ],
    )
    north = _summary(
        day,
        "NORTH",
        [("LAB", "1300.00", "400.00", "PAYER02"), ("PHARMACY", "2650.50", "530.10", "PAYER01")],
    )
    return [main, north]


def cash_postings(day):
    """Two ``payment.posted`` events, one per demo payer."""
    iso = day.isoformat()
    return [
        _event(
            "payment.posted",
            day,
            payment_id=f"PAY-{iso}-{n}",
            payer_code=payer,
            amount=amount,
            currency="USD",
            received_on=iso,
            method=method,
            trace_number=trace,
        )
        for n, (payer, amount, method, trace) in enumerate(
            [
                ("PAYER01", "1250.00", "ach", f"ACH{day:%Y%m%d}11"),
                ("PAYER02", "310.45", "check", f"CHK{day:%Y%m%d}12"),
            ],
            start=1,
        )
    ]


def billing_events(day):
    """``[(label, flow, body)]``: the day's billing summaries, cash postings, a write-off."""
    writeoff = _event(
        "writeoff",
        day,
        writeoff_id=f"WO-{day.isoformat()}-1",
        category="small_balance",
        amount="4.75",
        currency="USD",
        date=day.isoformat(),
        account_reference=f"ACCT-{day:%m%d}-77",
    )
    summaries = billing_summaries(day)
    return (
        [(f"billing summary {s['facility_code']}", "billing_summary", s) for s in summaries]
        + [(f"cash posting {p['payment_id']}", "payment_posted", p) for p in cash_postings(day)]
        + [("write-off", "writeoff", writeoff)]
    )


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------
def run(base_url, secret=None, day=None, out=print):
    """Send the day's traffic; returns ``[(label, HTTP status, answer body)]``."""
    day = day or datetime.date.today()
    client = WebhookClient(base_url, secret)
    results = []

    def send(label, backend, flow, body, content_type, event_id):
        response = client.post(backend, flow, body, event_id=event_id, content_type=content_type)
        try:
            answer = response.json()
        except ValueError:
            answer = {"raw": response.text[:200]}
        results.append((label, response.status_code, answer))
        state = answer.get("status") or answer.get("title") or ""
        out(f"{response.status_code} {label}: {state}")

    for label, flow, body in billing_events(day):
        key = body.get("batch_id") or body.get("payment_id") or body.get("writeoff_id")
        send(label, BILLING, flow, body, "application/json", f"demo-{flow}-{key}")
    for label, data in remittance_files(day).items():
        event_id = f"demo-835-{day:%Y%m%d}-{label.split('(')[0].strip().replace(' ', '-')}"
        send(label, CLEARINGHOUSE, "remittance_835", data, X12, event_id)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069", help="Odoo base URL")
    parser.add_argument("--secret", default=None, help="whsec_… signing secret of the demo")
    parser.add_argument("--day", type=datetime.date.fromisoformat, default=None)
    args = parser.parse_args(argv)
    results = run(args.url, args.secret, args.day)
    failed = [label for label, status, _answer in results if status >= 400]
    if failed:
        print(f"{len(failed)} delivery(ies) refused: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(
        "All delivered. Batch flows run every minute: open Integrations › Revenue Cycle "
        "(the unbalanced 835 and the denial wait in Integrations › Exceptions)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
