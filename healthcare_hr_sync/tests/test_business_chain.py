from datetime import timedelta

from odoo.tests import tagged

from .common import HrSyncCase


@tagged("post_install", "-at_install")
class TestHireToUserChain(HrSyncCase):
    """Hire received → user active, as an elapsed time in the metrics."""

    def test_hire_to_user_active_elapsed(self):
        self.upsert_flow.write({"hr_provision_users": True, "hr_user_invitation": "sso"})
        occurred = self.now() - timedelta(minutes=30)
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E900", job_code="CLERK", occurred_at=occurred),
        )
        self.assertTrue(self.employee("E900").user_id)
        chains = self.env["hc.integration.metrics"]._hc_business_chains()
        count, p50, _p95 = chains["hire_to_user_active"]
        self.assertEqual(count, 1)
        self.assertAlmostEqual(p50, 30 * 60, delta=120)
        self.upsert_flow.invalidate_recordset()
        self.assertRegex(
            self.upsert_flow.business_chain_summary,
            r"Hire → user active \(24 h\): p50 (29|30|31)\.\d min",
        )
        text = self.env["hc.integration.metrics"]._hc_prometheus()
        self.assertIn('hc_business_chain_seconds_count{chain="hire_to_user_active"} 1', text)
