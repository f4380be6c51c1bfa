"""The remittance analysis datasets of the governed extracts (issue 14 §5): what a posted
835 gives the warehouse, and what it never gives (claim numbers, patients, members)."""

from odoo.tests import tagged

from odoo.addons.healthcare_integration_base.tests.extract_common import ExtractTestMixin
from odoo.addons.healthcare_integration_base.tools import extract_files

from .common import FIXTURE_PHI, RcmCase

CLAIM_COLUMNS = [
    "claim_line_id",
    "company_id",
    "remittance_id",
    "payer_code",
    "currency",
    "payment_date",
    "posting_date",
    "claim_status",
    "state",
    "denial_state",
    "filing_indicator",
    "facility_type",
    "service_count",
    "charged",
    "paid",
    "patient_responsibility",
    "contractual_amount",
    "patient_adjustment_amount",
    "other_adjustment_amount",
    "reverses_claim_line_id",
    "created_at",
    "updated_at",
]
ADJUSTMENT_COLUMNS = [
    "adjustment_id",
    "company_id",
    "remittance_id",
    "claim_line_id",
    "payer_code",
    "currency",
    "payment_date",
    "level",
    "group_code",
    "reason_code",
    "amount",
    "created_at",
]
#: Identifiers of the fixture's claims that the analysis leaves out.
CLAIM_NUMBERS = ("PCN001", "PCN002", "ICN0001", "ICN0002", "LINE001", "1234567893")


@tagged("post_install", "-at_install")
class TestExtractRemittance(ExtractTestMixin, RcmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["hc.integration.backend"].create(
            {"name": "Finance warehouse", "code": "t_fin_warehouse", "company_id": cls.company.id}
        )

    def extract_rows(self, dataset):
        extract = self.make_extract(self.warehouse, dataset=dataset, file_format="jsonl")
        self.post_835("remit_basic.835")
        extract._hc_run()
        data = self.read_bytes(extract)
        self.assertEqual(extract.last_sha256, extract_files.sha256_hex(data))
        for identifier in FIXTURE_PHI + CLAIM_NUMBERS:
            self.assertNotIn(identifier.encode(), data, identifier)
        return self.parse(data, "jsonl")

    def test_claims_paid_vs_billed(self):
        header, rows = self.extract_rows("remittance_analysis")
        self.assertEqual(header, CLAIM_COLUMNS)
        remittance = self.remittance("EFT0001")
        self.assertEqual(
            [row["claim_line_id"] for row in rows], remittance.claim_line_ids.sorted("id").ids
        )
        first = rows[0]
        self.assertEqual(first["payer_code"], "PAYER01")
        self.assertEqual(first["currency"], remittance.currency_id.name)
        self.assertEqual(first["payment_date"], "2026-03-01")
        self.assertEqual(first["claim_status"], "1")
        self.assertEqual(float(first["charged"]), 200.0)
        self.assertEqual(float(first["paid"]), 130.0)
        self.assertEqual(float(first["patient_responsibility"]), 20.0)
        self.assertEqual(float(first["contractual_amount"]), 50.0)

    def test_adjustment_reasons(self):
        header, rows = self.extract_rows("remittance_adjustments")
        self.assertEqual(header, ADJUSTMENT_COLUMNS)
        reasons = {
            (row["level"], row["group_code"], row["reason_code"], float(row["amount"]))
            for row in rows
        }
        self.assertEqual(
            reasons,
            {
                ("service", "CO", "45", 50.0),
                ("service", "PR", "2", 20.0),
                ("claim", "OA", "23", 30.0),
                ("provider", None, "WO", 10.0),
                ("provider", None, "L6", -2.5),
            },
        )

    def test_registered_with_fixed_columns(self):
        datasets = self.env["hc.integration.extract.dataset"]._hc_datasets()
        self.assertEqual([c.name for c in datasets["remittance_analysis"].columns], CLAIM_COLUMNS)
        self.assertEqual(
            [c.name for c in datasets["remittance_adjustments"].columns], ADJUSTMENT_COLUMNS
        )
