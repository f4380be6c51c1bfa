"""The remittance analysis (issue 10 item 10) on known files: denial rate and top
adjustment reasons per payer and period, as the analysis views compute them (the default
filters of their actions, read from the views, and the same grouped reads the pivot does).

Known history of PAYER01 (fixtures):
- 2026-02-25 ``remit_original``: PCN301 paid 150 (CO-45 50), later reversed;
- 2026-03-03 ``remit_reversal_denial``: PCN301 reversed and paid again 120 (CO-45 60, PR-1
  20); PCN302 denied (CO-50 350);
- 2026-03-15 ``remit_reversal_of_denial``: the payer reverses the PCN302 denial and pays it 300
  (CO-45 50).
PAYER02 (``remit_basic`` sent as PAYER02, 2026-03-01): PCN001 paid 130 (CO-45 50, PR-2 20),
PCN002 paid 50 (OA-23 30).
"""

from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import RcmCase, fixture


@tagged("post_install", "-at_install")
class TestRemittanceAnalysis(RcmCase):
    def default_domain(self, action_xmlid, view_xmlid):
        """The domain of the action's default filters, read from its search view."""
        action = self.env.ref(action_xmlid)
        arch = etree.fromstring(self.env.ref(view_xmlid).arch)
        domain = []
        for key in safe_eval(action.context):
            name = key.removeprefix("search_default_")
            domain += safe_eval(arch.xpath(f"//filter[@name='{name}']")[0].get("domain"))
        return domain

    def denial_rates(self):
        """``{(payer, month): (claims, denied, rate)}`` as the "Paid vs billed" pivot shows."""
        domain = self.default_domain(
            "healthcare_rcm_sync.hc_rcm_claim_line_action_analysis",
            "healthcare_rcm_sync.hc_rcm_claim_line_view_search",
        )
        groups = self.ClaimLine.read_group(
            domain + [("company_id", "=", self.company.id)],
            ["denied:sum", "denial_rate:avg"],
            ["payer_id", "payment_date:month"],
            lazy=False,
        )
        return {
            (group["payer_id"][1], group["payment_date:month"]): (
                group["__count"],
                group["denied"],
                round(group["denial_rate"], 2),
            )
            for group in groups
        }

    def top_reasons(self, payer, month):
        """Adjustment reasons of ``payer`` in ``month``, largest first, as the pivot sums."""
        domain = self.default_domain(
            "healthcare_rcm_sync.hc_rcm_adjustment_action_analysis",
            "healthcare_rcm_sync.hc_rcm_adjustment_view_search",
        )
        groups = self.env["hc.rcm.adjustment"].read_group(
            domain + [("payer_id", "=", payer.id), ("company_id", "=", self.company.id)],
            ["amount:sum"],
            ["group_reason", "payment_date:month"],
            lazy=False,
            orderby="amount desc",
        )
        return [
            (group["group_reason"], group["amount"])
            for group in groups
            if group["payment_date:month"] == month and group["amount"]
        ]

    def test_denial_rate_and_top_reasons_per_payer_and_period(self):
        self.post_835("remit_original.835")
        self.post_835("remit_reversal_denial.835")
        beta = fixture("remit_basic.835").replace(b"PAYER01", b"PAYER02")
        self.post_835(beta.replace(b"EFT0001", b"EFT0002"))
        acme, beta = self.payer1.display_name, self.payer2.display_name
        # reversal lines (status 22) and the claims they reversed are not claims of a period
        self.assertEqual(
            self.denial_rates(),
            {
                (acme, "March 2026"): (2, 1, 50.0),  # PCN301 paid again, PCN302 denied
                (beta, "March 2026"): (2, 0, 0.0),
            },
        )
        self.assertEqual(
            self.top_reasons(self.payer1, "March 2026"),
            [("CO-50", 350.0), ("CO-45", 60.0), ("PR-1", 20.0)],
        )
        self.assertEqual(
            self.top_reasons(self.payer2, "March 2026"),
            [("CO-45", 50.0), ("OA-23", 30.0), ("PR-2", 20.0)],
        )
        # February's PCN301 was reversed: no claim, no reason left in February
        self.assertEqual(self.top_reasons(self.payer1, "February 2026"), [])

    def test_reversed_denial_is_counted_once_as_its_final_outcome(self):
        self.post_835("remit_original.835")
        self.post_835("remit_reversal_denial.835")
        self.post_835("remit_reversal_of_denial.835")
        denial = self.ClaimLine.search([("claim_id", "=", "PCN302"), ("status", "=", "4")])
        self.assertEqual((denial.state, denial.denial_state), ("reversed", "reversed"))
        # PCN302 counts once, as paid: not as a denial, not as two claims
        self.assertEqual(
            self.denial_rates(), {(self.payer1.display_name, "March 2026"): (2, 0, 0.0)}
        )
        # the denial's CO-50 and its reversal net to nothing; the repayment's CO-45 counts
        self.assertEqual(
            self.top_reasons(self.payer1, "March 2026"),
            [("CO-45", 110.0), ("PR-1", 20.0)],
        )
        denied_filter = self.ClaimLine.search_count(
            [("company_id", "=", self.company.id), ("status", "=", "4"), ("state", "=", "denied")]
        )
        self.assertEqual(denied_filter, 0)
