from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestBusinessSla(IntegrationCase):
    """Per flow: occurred_at → done, p50 and p95 over 24 hours, computed by PostgreSQL."""

    def test_percentiles_on_the_flow_and_in_the_metrics(self):
        now = fields.Datetime.now()
        for index, minutes in enumerate((10, 20, 30, 40, 50)):
            occurred = (now - timedelta(minutes=minutes)).isoformat() + "Z"
            self.enqueue(self.payload(f"B{index}", "Someone", occurred_at=occurred))
        # done two days ago: outside the 24 hours
        old = self.enqueue(
            self.payload(
                "B-old", "Someone", occurred_at=(now - timedelta(days=3)).isoformat() + "Z"
            )
        )
        self.process()
        old.sudo()._engine().write({"finished_at": now - timedelta(days=2)})
        self.flow.invalidate_recordset()
        self.assertAlmostEqual(self.flow.business_p50_minutes, 30, delta=2)
        self.assertAlmostEqual(self.flow.business_p95_minutes, 48, delta=2)
        text = self.env["hc.integration.metrics"]._hc_prometheus()
        self.assertIn("# TYPE hc_business_elapsed_seconds summary", text)
        line = next(
            line
            for line in text.splitlines()
            if line.startswith("hc_business_elapsed_seconds{")
            and 'flow="contacts"' in line
            and 'quantile="0.95"' in line
        )
        self.assertAlmostEqual(float(line.rsplit(" ", 1)[1]), 48 * 60, delta=120)
        count = next(
            line
            for line in text.splitlines()
            if line.startswith("hc_business_elapsed_seconds_count{") and 'flow="contacts"' in line
        )
        self.assertTrue(count.endswith(" 5"), count)
