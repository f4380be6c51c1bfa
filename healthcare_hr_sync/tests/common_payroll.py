"""Shared setup of the payroll journal tests: a company with its own chart of accounts,
the payroll settings, a payroll backend with its flows, payroll codes mapped to accounts,
two cost centres, and a pay run built from lines (the expected ledger is computed by the
tests from the same lines, independently of the handler)."""

import os
import uuid
from collections import defaultdict
from decimal import Decimal
from unittest.mock import patch

from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import TEST_KEY, iso

#: A bi-weekly pay run: (type, code, cost centre, amount).
RUN_LINES = (
    ("earning", "REG", "CC-4410", "10000.00"),
    ("earning", "REG", "CC-5200", "6000.00"),
    ("earning", "OT", "CC-4410", "1500.50"),
    ("deduction", "FIT", "CC-4410", "1800.00"),
    ("deduction", "FIT", "CC-5200", "900.00"),
    ("deduction", "FICA_EE", "CC-4410", "880.00"),
    ("employer_contribution", "FICA_ER", "CC-4410", "880.00"),
    ("employer_contribution", "FICA_ER", "CC-5200", "459.00"),
    ("employer_contribution", "MED_ER", "CC-5200", "700.00"),
)
TOTAL_KEYS = {
    "earning": "earnings",
    "deduction": "deductions",
    "employer_contribution": "employer_contributions",
}


class PayrollCase(AccountTestInvoicingCommon):
    """Backend ``pay_test`` (payroll) of the test company with the standard flows."""

    @classmethod
    def get_default_groups(cls):
        # the test user plays the integration administrator and the queue processor
        groups = super().get_default_groups()
        return groups | cls.env.ref("healthcare_integration_base.group_integration_manager")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        key = patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY})
        key.start()
        cls.addClassCleanup(key.stop)
        cls.company = cls.company_data["company"]
        cls.company._hc_hr_payroll_setup_accounting()
        cls.net_pay_account = cls.company.hc_hr_payroll_net_pay_account_id
        cls.contribution_account = cls.company.hc_hr_payroll_contribution_account_id
        cls.payroll_journal = cls.company.hc_hr_payroll_journal_id
        cls.Message = cls.env["hc.integration.message"]
        cls.Processor = cls.env["hc.integration.processor"]
        cls.Mapping = cls.env["hc.integration.mapping"]
        cls.Journal = cls.env["hc.hr.payroll.journal"]
        cls.backend = cls.env["hc.integration.backend"].create(
            {
                "name": "Test payroll",
                "code": "pay_test",
                "backend_type": "payroll",
                "company_id": cls.company.id,
            }
        )
        cls.flows = cls.backend._hc_hr_setup_flows()
        cls.flow = cls.flows.filtered(lambda f: f.code == "payroll_journal")
        account = cls._payroll_account
        cls.salaries = account("610100", "Salaries and wages", "expense")
        cls.employer_taxes = account("610200", "Employer payroll taxes", "expense")
        cls.benefits = account("610300", "Employee benefits", "expense")
        cls.fit_payable = account("230300", "Income tax withheld", "liability_current")
        cls.fica_payable = account("230400", "Social security payable", "liability_current")
        plan = cls.env["account.analytic.plan"].create({"name": "Cost centres (payroll)"})
        cls.cc_4410 = cls.env["account.analytic.account"].create(
            {"name": "ICU nursing", "plan_id": plan.id, "company_id": cls.company.id}
        )
        cls.cc_5200 = cls.env["account.analytic.account"].create(
            {"name": "Emergency", "plan_id": plan.id, "company_id": cls.company.id}
        )
        cls.cost_centres = {"CC-4410": cls.cc_4410, "CC-5200": cls.cc_5200}
        codes = {
            "REG": (cls.salaries, None),
            "OT": (cls.salaries, None),
            "FIT": (cls.fit_payable, None),
            "FICA_EE": (cls.fica_payable, None),
            "FICA_ER": (cls.employer_taxes, cls.fica_payable),
            "MED_ER": (cls.benefits, None),  # liability: the company default
        }
        cls.Mapping.create(
            [
                {
                    "backend_id": cls.backend.id,
                    "company_id": cls.company.id,
                    "mapping_type": "earning_code",
                    "external_code": code,
                    "target_ref": f"account.account,{target.id}",
                    "hc_hr_payroll_liability_account_id": liability.id if liability else False,
                }
                for code, (target, liability) in codes.items()
            ]
            + [
                {
                    "backend_id": cls.backend.id,
                    "company_id": cls.company.id,
                    "mapping_type": "cost_center",
                    "external_code": code,
                    "target_ref": f"account.analytic.account,{analytic.id}",
                }
                for code, analytic in cls.cost_centres.items()
            ]
        )

    @classmethod
    def _payroll_account(cls, code, name, account_type):
        return cls.env["account.account"].create(
            {
                "code": code,
                "name": name,
                "account_type": account_type,
                "company_ids": [Command.link(cls.company.id)],
            }
        )

    # ------------------------------------------------------------------------------------
    # Pay runs
    # ------------------------------------------------------------------------------------
    def run_event(self, lines=RUN_LINES, period="2025-PP14", occurred_at=None, **overrides):
        """A ``payroll.journal`` event of ``lines`` with matching control totals."""
        totals = defaultdict(Decimal)
        for line_type, _code, _cc, value in lines:
            totals[TOTAL_KEYS[line_type]] += Decimal(value)
        event = {
            "event_type": "payroll.journal",
            "schema_version": "1.0",
            "occurred_at": iso(occurred_at or fields.Datetime.now()),
            "pay_period_id": period,
            "period_start": "2025-06-29",
            "period_end": "2025-07-12",
            "pay_date": "2025-07-18",
            "currency": self.company.currency_id.name,
            "lines": [
                {"type": line_type, "code": code, "cost_center_code": cc, "amount": value}
                for line_type, code, cc, value in lines
            ],
            "control_totals": {
                "earnings": str(totals["earnings"]),
                "deductions": str(totals["deductions"]),
                "employer_contributions": str(totals["employer_contributions"]),
                "net_pay": str(totals["earnings"] - totals["deductions"]),
            },
        }
        event.update(overrides)
        return event

    def send(self, payload, event_id=None, expect="created", validate=True):
        if validate:
            errors = self.flow._validate_payload(payload)
            self.assertFalse(errors, f"the event breaks the contract: {errors}")
        message, status = self.Message._hc_enqueue(
            self.flow, payload, external_id=event_id or f"pay-{uuid.uuid4().hex[:12]}"
        )
        if expect:
            self.assertEqual(status, expect)
        return message

    def process(self):
        for _round in range(50):
            if not self.Processor._cron_process_queue(lane=1, direction="inbound"):
                return
        raise AssertionError("the queue never drained")

    def send_and_process(self, payload, **kwargs):
        message = self.send(payload, **kwargs)
        self.process()
        return message

    # ------------------------------------------------------------------------------------
    # The ledger, read the way the reports read it
    # ------------------------------------------------------------------------------------
    def payroll_lines(self):
        return self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company.id),
                ("journal_id", "=", self.payroll_journal.id),
                ("parent_state", "=", "posted"),
            ]
        )

    def ledger_by_account(self):
        """``{account: balance}`` of the posted payroll journal items (general ledger)."""
        groups = self.env["account.move.line"]._read_group(
            [("id", "in", self.payroll_lines().ids)], ["account_id"], ["balance:sum"]
        )
        return {account: round(balance, 2) for account, balance in groups if round(balance, 2)}

    def ledger_by_analytic(self):
        """``{analytic account: amount}`` of the analytic items of the payroll entries (the
        analytic report: costs are negative)."""
        column = self.cc_4410.plan_id._column_name()
        totals = defaultdict(float)
        for line in self.env["account.analytic.line"].search(
            [("move_line_id", "in", self.payroll_lines().ids)]
        ):
            totals[line[column]] += line.amount
        return {analytic: round(total, 2) for analytic, total in totals.items() if round(total, 2)}

    def expected_ledgers(self, lines=RUN_LINES):
        """The general and analytic ledgers that ``lines`` must produce, from first
        principles: debits for earnings and employer contributions, credits for the
        liabilities, the net pay credited to the net pay account."""
        accounts = {
            "REG": (self.salaries, None),
            "OT": (self.salaries, None),
            "FIT": (None, self.fit_payable),
            "FICA_EE": (None, self.fica_payable),
            "FICA_ER": (self.employer_taxes, self.fica_payable),
            "MED_ER": (self.benefits, self.contribution_account),
        }
        by_account, by_analytic = defaultdict(float), defaultdict(float)
        net_pay = 0.0
        for line_type, code, cc, value in lines:
            value = float(value)
            debit, credit = accounts[code]
            if line_type in ("earning", "employer_contribution"):
                by_account[debit] += value
                by_analytic[self.cost_centres[cc]] -= value
            if line_type in ("deduction", "employer_contribution"):
                by_account[credit] -= value
            net_pay += {"earning": value, "deduction": -value}.get(line_type, 0.0)
        by_account[self.net_pay_account] -= net_pay
        rounded = {account: round(total, 2) for account, total in by_account.items()}
        return (
            {account: total for account, total in rounded.items() if total},
            {analytic: round(total, 2) for analytic, total in by_analytic.items()},
        )
