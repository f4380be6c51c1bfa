"""Play the HRIS against the running demo (database with the suite's demo data).

Sends signed events to ``/healthcare/webhook/demo_hris/<flow>``: onboarding a small
hospital roster (the managers arrive after their reports: the reports wait and are
released), a transfer, a termination, an expiring licence and a suspended one, an
attendance summary, and one unknown department code on purpose (it waits as a pending
mapping: map NEURO in Integrations → Mappings and the employee is created). A FHIR
Practitioner brings the manager's NPI and licence. The payroll system (``demo_payroll``)
then sends a pay run to accounting and a correction of it (the entry is reversed and
posted again).

Event ids and contents depend on the day only: running the script twice the same day
gives ``200`` duplicates, not new events.

    python3 tools/demo_sender_hr.py --url http://localhost:8069 [--secret whsec_…]
"""

import argparse
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_client import WebhookClient, post_events

BACKEND = "demo_hris"
PAYROLL_BACKEND = "demo_payroll"
DOMAIN = "hospital.example"


def _at(day, minutes):
    """An ISO 8601 UTC timestamp on ``day``, ``minutes`` after 06:00 (deterministic)."""
    moment = datetime.combine(day, time(6, 0), tzinfo=timezone.utc) + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(event_type, day, minutes, **body):
    return dict(body, event_type=event_type, schema_version="1.0", occurred_at=_at(day, minutes))


def _employee(external_id, first, last, job, department, cost_centre, location, **extra):
    data = {
        "external_id": external_id,
        "first_name": first,
        "last_name": last,
        "work_email": f"{first}.{last}@{DOMAIN}".lower(),
        "job_code": job,
        "department_code": department,
        "cost_center_code": cost_centre,
        "location_code": location,
        "employment_type": "employee",
        "status": "active",
        "hire_date": "2024-09-02",
        "roles": ["staff"],
    }
    data.update(extra)
    return data


def events(today=None):
    """``[(label, flow code, event id, body)]`` in the order the HRIS sends them."""
    today = today or datetime.now(timezone.utc).date()
    stamp = today.strftime("%Y%m%d")
    far_expiry = (today + timedelta(days=700)).isoformat()
    return (
        _hire_events(today, stamp, far_expiry)
        + _change_events(today, stamp, far_expiry)
        + [_attendance_event(today, stamp), _unknown_code_event(today, stamp)]
    )


def _licence(licence_type, number, expires_on, issuer=None):
    """An active licence, as the HRIS lists it in an employee's ``credentials``."""
    licence = {"type": licence_type, "number": number, "status": "active"}
    if issuer:
        licence["issuer"] = issuer
    licence["expires_on"] = expires_on
    return [licence]


def _reports(far_expiry):
    """The manager's reports (they arrive first and wait for the manager)."""
    board = "State Board of Nursing"
    return [
        _employee(
            *("HR-1001", "Alice", "Nguyen", "RN", "ICU", "CC-4410", "MAIN"),
            manager_external_id="HR-1000",
            credentials=_licence("RN_LICENSE", "RN-774411", far_expiry, board),
        ),
        _employee(
            *("HR-1002", "Bruno", "Silva", "RN", "ICU", "CC-4410", "MAIN"),
            manager_external_id="HR-1000",
            credentials=_licence("RN_LICENSE", "RN-774412", far_expiry, board),
        ),
        _employee(
            *("HR-1003", "Chen", "Li", "PHARMD", "PHARM", "CC-6100", "NORTH"),
            manager_external_id="HR-1000",
            credentials=_licence("PHARM_LICENSE", "PH-3301", far_expiry),
        ),
        _employee(
            *("HR-1004", "Dana", "Okafor", "CLERK", "FIN", "CC-5200", "MAIN"),
            roles=["staff", "buyer"],
        ),
        _employee(
            *("HR-1005", "Emil", "Berg", "RN", "ED", "CC-5200", "MAIN"),
            employment_type="agency",
            agency_code="AGENCY-01",
            manager_external_id="HR-1000",
            credentials=_licence("RN_LICENSE", "RN-900155", far_expiry),
        ),
    ]


def _manager(far_expiry):
    return _employee(
        *("HR-1000", "Maria", "Garcia", "MD", "ICU", "CC-4410", "MAIN"),
        roles=["staff", "approver"],
        credentials=_licence("MD_LICENSE", "MD-120034", far_expiry, "Medical Board"),
    )


def _hire_events(today, stamp, far_expiry):
    """The reports' hires, then their manager's (which releases them)."""
    nurses = _reports(far_expiry)
    manager = _manager(far_expiry)
    out = []
    for index, data in enumerate(nurses):
        out.append(
            (
                f"hire {data['external_id']} (reports to {data.get('manager_external_id') or '—'})",
                "employee_upsert",
                f"hr-demo-{stamp}-hire-{data['external_id']}",
                _envelope("employee.upsert", today, index, employee=data),
            )
        )
    out.append(
        (
            "hire the manager HR-1000 (releases the waiting reports)",
            "employee_upsert",
            f"hr-demo-{stamp}-hire-HR-1000",
            _envelope("employee.upsert", today, 10, employee=manager),
        )
    )
    return out


def _change_events(today, stamp, far_expiry):
    """A transfer, a termination, then the licences."""
    return [
        (
            "transfer HR-1002 to the Emergency department",
            "employee_transfer",
            f"hr-demo-{stamp}-transfer-HR-1002",
            _envelope(
                "employee.transfer",
                today,
                20,
                employee_external_id="HR-1002",
                effective_date=today.isoformat(),
                department_code="ED",
                cost_center_code="CC-5200",
            ),
        ),
        (
            "terminate HR-1004 (user deactivated at once)",
            "employee_terminate",
            f"hr-demo-{stamp}-terminate-HR-1004",
            _envelope(
                "employee.terminate",
                today,
                30,
                employee_external_id="HR-1004",
                termination_date=today.isoformat(),
                reason="Resigned",
                immediate=True,  # else at the end of the day, in the employee's time zone
            ),
        ),
    ] + _licence_events(today, stamp, far_expiry)


def _licence_events(today, stamp, far_expiry):
    """A licence renewed close to its expiry (reminder), one suspended (restriction)."""
    licence_expiry = (today + timedelta(days=10)).isoformat()
    return [
        (
            "HR-1001's licence renewed with an expiry in 10 days (reminder)",
            "credential_update",
            f"hr-demo-{stamp}-licence-HR-1001",
            _envelope(
                "credential.update",
                today,
                40,
                employee_external_id="HR-1001",
                credential={
                    "type": "RN_LICENSE",
                    "number": "RN-774411",
                    "issuer": "State Board of Nursing",
                    "status": "active",
                    "expires_on": licence_expiry,
                },
            ),
        ),
        (
            "HR-1005's licence suspended (access restricted, exception)",
            "credential_update",
            f"hr-demo-{stamp}-licence-HR-1005",
            _envelope(
                "credential.update",
                today,
                41,
                employee_external_id="HR-1005",
                credential={
                    "type": "RN_LICENSE",
                    "number": "RN-900155",
                    "status": "suspended",
                    "expires_on": far_expiry,
                },
            ),
        ),
    ]


def _attendance_event(today, stamp):
    """Two weeks of attendance up to yesterday, with its control total."""
    period_end = today - timedelta(days=1)
    period_start = period_end - timedelta(days=13)
    lines = [
        {"employee_external_id": "HR-1000", "regular_hours": 80, "overtime_hours": 6},
        {"employee_external_id": "HR-1001", "regular_hours": 72, "overtime_hours": 8.5},
        {"employee_external_id": "HR-1002", "regular_hours": 40},
        {
            "employee_external_id": "HR-1002",
            "cost_center_code": "CC-5200",
            "regular_hours": 36,
            "leave_hours": 4,
        },
        {"employee_external_id": "HR-1003", "regular_hours": 76, "leave_hours": 4},
        {"employee_external_id": "HR-1005", "regular_hours": 60},
    ]
    total = round(sum(sum(v for k, v in line.items() if k.endswith("_hours")) for line in lines), 2)
    return (
        f"attendance {period_start} → {period_end} ({total} h)",
        "attendance_summary",
        f"hr-demo-{stamp}-attendance",
        _envelope(
            "attendance.summary",
            today,
            50,
            period_start=period_start.isoformat(),
            period_end=period_end.isoformat(),
            lines=lines,
            control_total_hours=total,
        ),
    )


def _unknown_code_event(today, stamp):
    """A hire in a department nobody mapped (it waits as a pending mapping)."""
    return (
        "hire HR-1006 in department NEURO: unknown code on purpose (pending mapping)",
        "employee_upsert",
        f"hr-demo-{stamp}-hire-HR-1006",
        _envelope(
            "employee.upsert",
            today,
            60,
            employee=_employee("HR-1006", "Farah", "Haddad", "MD", "NEURO", "CC-4410", "MAIN"),
        ),
    )


def _pay_run(today, minutes, regular_icu):
    """The last two weeks' pay run: amounts per payroll code and cost centre only."""
    period_end = today - timedelta(days=1)
    lines = [
        ("earning", "REG", "CC-4410", regular_icu),
        ("earning", "REG", "CC-5200", "6120.00"),
        ("earning", "REG", "CC-6100", "4310.00"),
        ("earning", "OT", "CC-4410", "1275.50"),
        ("deduction", "FIT", "CC-4410", "2210.00"),
        ("deduction", "FIT", "CC-5200", "980.00"),
        ("deduction", "FICA_EE", "CC-4410", "1105.00"),
        ("employer_contribution", "FICA_ER", "CC-4410", "1105.00"),
        ("employer_contribution", "FICA_ER", "CC-5200", "468.00"),
        ("employer_contribution", "MED_ER", "CC-6100", "650.00"),
    ]
    totals = {"earning": 0, "deduction": 0, "employer_contribution": 0}
    for line_type, _code, _cc, amount in lines:
        totals[line_type] += round(float(amount) * 100)
    return _envelope(
        "payroll.journal",
        today,
        minutes,
        pay_period_id=f"PP-{period_end:%Y%m%d}",
        period_start=(period_end - timedelta(days=13)).isoformat(),
        period_end=period_end.isoformat(),
        pay_date=today.isoformat(),
        currency="USD",
        lines=[
            {"type": t, "code": c, "cost_center_code": cc, "amount": a} for t, c, cc, a in lines
        ],
        control_totals={
            "earnings": f"{totals['earning'] / 100:.2f}",
            "deductions": f"{totals['deduction'] / 100:.2f}",
            "employer_contributions": f"{totals['employer_contribution'] / 100:.2f}",
            "net_pay": f"{(totals['earning'] - totals['deduction']) / 100:.2f}",
        },
    )


def payroll_events(today=None):
    """``[(label, flow code, event id, body)]`` of the demo payroll system."""
    today = today or datetime.now(timezone.utc).date()
    stamp = today.strftime("%Y%m%d")
    return [
        (
            "pay run to accounting (one balanced entry by cost centre)",
            "payroll_journal",
            f"pay-demo-{stamp}-run",
            _pay_run(today, 70, "18400.00"),
        ),
        (
            "corrected pay run (the entry is reversed and posted again)",
            "payroll_journal",
            f"pay-demo-{stamp}-run-corrected",
            _pay_run(today, 80, "18650.00"),
        ),
    ]


def credential_fhir_events(today=None):
    """A FHIR R4 Practitioner for the manager HR-1000 as a credentialing system exports
    it: the NPI and the licence become credentials; name, birth date, address, telecom,
    photo and the SSN identifier are dropped before storage."""
    today = today or datetime.now(timezone.utc).date()
    practitioner = {
        "resourceType": "Practitioner",
        "id": "prac-HR-1000",
        "meta": {"versionId": "1", "lastUpdated": _at(today, 90)},
        "identifier": [
            {"system": "urn:hc:hris:employee-id", "value": "HR-1000"},
            {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"},
            {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "000-12-3456"},
        ],
        "name": [{"family": "Garcia", "given": ["Maria"]}],
        "birthDate": "1975-04-02",
        "address": [{"line": ["12 Elm Street"], "city": "Springfield"}],
        "telecom": [{"system": "phone", "value": "555-0100", "use": "home"}],
        "qualification": [
            {
                "identifier": [{"value": "MD-120034"}],
                "code": {"coding": [{"code": "MD_LICENSE"}], "text": "Physician licence"},
                "period": {
                    "start": "2020-01-01",
                    "end": (today + timedelta(days=700)).isoformat(),
                },
                "issuer": {"display": "Medical Board"},
            }
        ],
    }
    return [
        (
            "FHIR Practitioner of HR-1000: NPI and licence (personal data dropped)",
            "credential_fhir",
            f"hr-demo-{today:%Y%m%d}-fhir-HR-1000",
            practitioner,
        )
    ]


def run(base_url, secret=None, today=None, out=print):
    """Send the demo HR traffic to ``base_url``; returns ``[(label, HTTP status)]``."""
    traffic = [(BACKEND, *event) for event in events(today) + credential_fhir_events(today)]
    traffic += [(PAYROLL_BACKEND, *event) for event in payroll_events(today)]
    return post_events(WebhookClient(base_url, secret=secret), traffic, out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069", help="Odoo base URL")
    parser.add_argument("--secret", default=None, help="whsec_… (default: HC_DEMO_WEBHOOK_SECRET)")
    parser.add_argument("--date", default=None, help="play as of this day (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    today = date.fromisoformat(args.date) if args.date else None
    results = run(args.url, secret=args.secret, today=today)
    failed = [label for label, status in results if status >= 400]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
