"""Shared setup of the revenue-cycle tests: a company with its own chart of accounts (no
demo data), the revenue-cycle accounts and journals, a billing system and a clearinghouse
with the standard flows, payers, service lines and facilities, and helpers that queue
events and files the way the webhook route does and run the queue processor inside the
test transaction."""

import json
import os
import uuid
from collections import defaultdict
from pathlib import Path
from unittest.mock import patch

from odoo import fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_KEY = "dGVzdC1rZXktZm9yLWhlYWx0aGNhcmUtc3VpdGUtMDE="  # 32 bytes, tests only
#: Patient names, member ids and other patient references of the fixtures: never stored.
FIXTURE_PHI = (
    "DOE",
    "JANE",
    "ROE",
    "RICHARD",
    "POE",
    "EDGAR",
    "W123456789",
    "W987654321",
    "M555000111",
    "P777888999",
    "MRN445566",
    "GRP7788",
)


def fixture(name):
    return (FIXTURES / name).read_bytes()


class RcmCase(AccountTestInvoicingCommon):
    """Backends ``t_billing`` and ``t_clearing`` of the test company with the standard
    revenue-cycle flows; payers PAYER01/PAYER02, service lines LAB/RAD, facility MAIN."""

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
        cls.company._hc_rcm_setup_accounting()
        cls.settings = cls.company._hc_rcm_settings(
            (
                "journal",
                "payment_journal",
                "insurance_receivable",
                "patient_receivable",
                "allowance",
                "denial",
                "interest",
                "recoupment",
                "writeoff_bad_debt",
                "writeoff_charity",
            )
        )
        cls.forward_account = cls.company.hc_rcm_forward_balance_account_id
        cls._setup_backends()
        cls._setup_mappings()
        cls.Message = cls.env["hc.integration.message"]
        cls.Remittance = cls.env["hc.rcm.remittance"]
        cls.ClaimLine = cls.env["hc.rcm.claim.line"]
        cls.Handler = cls.env["hc.rcm.handler.remittance"]

    @classmethod
    def _setup_backends(cls):
        """Billing system and clearinghouse with the standard revenue-cycle flows."""
        Backend = cls.env["hc.integration.backend"]
        cls.billing = Backend.create(
            {
                "name": "Test billing system",
                "code": "t_billing",
                "backend_type": "billing",
                "company_id": cls.company.id,
            }
        )
        cls.clearinghouse = Backend.create(
            {
                "name": "Test clearinghouse",
                "code": "t_clearing",
                "backend_type": "clearinghouse",
                "company_id": cls.company.id,
            }
        )
        (cls.billing | cls.clearinghouse)._hc_rcm_setup_flows()
        flows = (cls.billing | cls.clearinghouse).flow_ids
        cls.flows = {flow.code: flow for flow in flows}
        cls.flow_835 = cls.flows["remittance_835"]
        cls.flow_json = cls.flows["remittance_json"]

    @classmethod
    def _setup_mappings(cls):
        """Payers, service-line revenue accounts and the MAIN facility."""
        Partner = cls.env["res.partner"]
        cls.payer1 = Partner.create({"name": "Acme Health Plan", "is_company": True})
        cls.payer2 = Partner.create({"name": "Beta Care", "is_company": True})
        revenue = cls.company_data["default_account_revenue"]
        cls.revenue_lab = revenue.copy({"name": "Laboratory revenue", "code": "400210"})
        cls.revenue_rad = revenue.copy({"name": "Radiology revenue", "code": "400220"})
        plan = cls.env["account.analytic.plan"].create({"name": "Test facilities"})
        cls.facility_main = cls.env["account.analytic.account"].create(
            {"name": "Main Hospital", "plan_id": plan.id, "company_id": cls.company.id}
        )
        mappings = []
        for backend in (cls.billing, cls.clearinghouse):
            for code, payer in (("PAYER01", cls.payer1), ("PAYER02", cls.payer2)):
                mappings.append((backend, "payer", code, payer))
        mappings += [
            (cls.billing, "service_line", "LAB", cls.revenue_lab),
            (cls.billing, "service_line", "RAD", cls.revenue_rad),
            (cls.billing, "facility", "MAIN", cls.facility_main),
        ]
        cls.env["hc.integration.mapping"].create(
            [
                {
                    "backend_id": backend.id,
                    "company_id": cls.company.id,
                    "mapping_type": mapping_type,
                    "external_code": code,
                    "target_ref": f"{record._name},{record.id}",
                }
                for backend, mapping_type, code, record in mappings
            ]
        )

    # ------------------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------------------
    def process(self):
        """Run the queue processor until nothing is due (children included)."""
        Processor = self.env["hc.integration.processor"]
        total = 0
        while True:
            done = Processor._cron_process_queue(lane=1)
            total += done
            if not done:
                return total

    def receive_835(self, data, event_id=None, flow=None, content_type="application/edi-x12"):
        """Queue a file as the webhook route does (parse, validate, enqueue)."""
        flow = flow or self.flow_835
        if isinstance(data, str):
            data = data.encode()
        payload = flow._get_handler()._hc_parse_body(flow, data, content_type)
        self.assertEqual(flow._validate_payload(payload), [])
        message, status = self.Message._hc_enqueue(
            flow, payload, external_id=event_id or f"evt-{uuid.uuid4().hex[:12]}"
        )
        return message, status

    def post_835(self, name_or_data, **kwargs):
        data = fixture(name_or_data) if isinstance(name_or_data, str) else name_or_data
        message, status = self.receive_835(data, **kwargs)
        self.process()
        return message, status

    def event(self, flow_code, payload, event_id=None, occurred_at=None, schema_version="1.0"):
        flow = self.flows[flow_code]
        body = dict(
            payload,
            event_type=flow.event_type,
            schema_version=schema_version,
            occurred_at=occurred_at or fields.Datetime.now().isoformat() + "Z",
        )
        errors = flow._validate_payload(body)
        self.assertEqual(errors, [], "the test event should match its contract")
        message, status = self.Message._hc_enqueue(
            flow, body, external_id=event_id or f"evt-{uuid.uuid4().hex[:12]}"
        )
        self.process()
        return message, status

    def children(self, file_message):
        """The transaction messages queued from a file message."""
        messages = self.Message.search(
            [("flow_id", "=", file_message.flow_id.id), ("id", ">", file_message.id)]
        )
        return messages.filtered(
            lambda m: (
                (m.payload or {}).get("source", {}).get("event_id") == file_message.external_id
            )
        )

    def remittance(self, trace):
        return self.Remittance.search([("trace_number", "=", trace)])

    def ledger(self, domain=()):
        """``{(account, partner): balance}`` of every posted journal item of the test
        company, read with ``read_group`` (the figures a partner ledger shows)."""
        groups = self.env["account.move.line"]._read_group(
            [("company_id", "=", self.company.id), ("parent_state", "=", "posted"), *domain],
            ["account_id", "partner_id"],
            ["balance:sum"],
        )
        return {
            (account, partner): round(balance, 2)
            for account, partner, balance in groups
            if round(balance, 2)
        }

    @staticmethod
    def balances(moves):
        """``{account: balance}`` over the posted items of ``moves``."""
        result = defaultdict(float)
        for line in moves.line_ids:
            result[line.account_id] += line.balance
        return {account: round(balance, 2) for account, balance in result.items() if balance}

    def assert_balances(self, moves, expected):
        actual = self.balances(moves)
        self.assertEqual(
            {account.name: balance for account, balance in actual.items()},
            {account.name: balance for account, balance in expected.items() if balance},
        )

    @staticmethod
    def dumps(value):
        return json.dumps(value, sort_keys=True)
