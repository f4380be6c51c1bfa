"""The traffic analysis reads hourly totals (issue 13 §7): the same figures before and
after the roll-up, the flows of the user's groups only, and a drill-down to messages."""

from freezegun import freeze_time

from odoo import fields
from odoo.tests import new_test_user, tagged

from ..models.hc_integration_metrics import LATENCY_BUCKETS
from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestTrafficReport(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Report = cls.env["hc.integration.traffic.report"]
        cls.flow.sync_mode = "batch"
        cls.month = fields.Datetime.now().replace(day=1, hour=0, minute=0, second=0)

    def _traffic(self, report=None):
        """``{outcome: messages}`` of the test flow, as the graph view reads it."""
        report = self.Report if report is None else report
        rows = report.read_group(
            [("hour", ">=", self.month), ("flow_id", "=", self.flow.id)],
            ["message_count:sum"],
            ["hour:day", "outcome"],
            lazy=False,
        )
        totals = {}
        for row in rows:
            totals[row["outcome"]] = totals.get(row["outcome"], 0) + row["message_count"]
        return totals

    def _traffic_of_three_done_two_failed(self):
        done = self.Message.browse()
        for index in range(3):
            done |= self.enqueue(self.payload(f"T{index}", "Traffic"))
        failed = self.enqueue(self.payload("TX1", "Traffic", simulate="business"))
        failed |= self.enqueue(self.payload("TX2", "Traffic", simulate="business"))
        self.process()
        self.assertEqual(set(done.mapped("state")), {"done"})
        self.assertEqual(set(failed.mapped("state")), {"exception"})
        return done, failed

    def test_same_figures_before_and_after_the_hourly_roll_up(self):
        done, _failed = self._traffic_of_three_done_two_failed()
        self.assertEqual(self._traffic(), {"received": 5, "done": 3, "exception": 2})
        # a replay is traffic of its own: received once, done twice
        done[:1].action_replay()
        self.process()
        expected = {"received": 5, "done": 4, "exception": 2}
        self.assertEqual(self._traffic(), expected, "live: hours after the watermark")
        Bucket = self.env["hc.integration.metric.bucket"]
        Hour = self.env["hc.integration.traffic.hour"]
        with freeze_time(self.later(hours=2)):
            self.assertGreaterEqual(Bucket._hc_roll_up(LATENCY_BUCKETS), 1)
        rolled = Hour.search([("flow_id", "=", self.flow.id)])
        self.assertEqual(sum(rolled.mapped("message_count")), 11, "rolled up, not read live")
        self.assertEqual(self._traffic(), expected, "rolled up: nothing counted twice")
        # rolling the same hours again (e.g. the watermark was reset) replaces them
        Hour._hc_roll_up(min(rolled.mapped("hour")), Bucket._hc_watermark())
        rolled = Hour.search([("flow_id", "=", self.flow.id)])
        self.assertEqual(sum(rolled.mapped("message_count")), 11)
        self.assertEqual(self._traffic(), expected)

    def test_drill_down_to_the_messages_of_a_row(self):
        done, failed = self._traffic_of_three_done_two_failed()
        rows = self.Report.search([("flow_id", "=", self.flow.id)])
        for outcome, messages in (
            ("received", done | failed),
            ("done", done),
            ("exception", failed),
        ):
            action = rows.filtered(lambda r, o=outcome: r.outcome == o).action_view_messages()
            self.assertEqual(action["res_model"], "hc.integration.message")
            self.assertEqual(self.Message.search(action["domain"]), messages, outcome)

    def test_users_see_the_traffic_of_the_flows_of_their_groups(self):
        owners = self.env["res.groups"].create({"name": "Traffic owners"})
        self.flow.owning_group_id = owners
        self._traffic_of_three_done_two_failed()
        user_group = "healthcare_integration_base.group_integration_user"
        outsider = new_test_user(self.env, "traffic_outsider", groups=user_group)
        owner = new_test_user(self.env, "traffic_owner", groups=user_group)
        owner.groups_id = [(4, owners.id)]
        self.assertEqual(self._traffic(self.Report.with_user(outsider)), {})
        self.assertEqual(
            self._traffic(self.Report.with_user(owner)),
            {"received": 5, "done": 3, "exception": 2},
        )
        rows = self.Report.with_user(owner).search([("flow_id", "=", self.flow.id)])
        action = rows.action_view_messages()
        self.assertEqual(len(self.Message.with_user(outsider).search(action["domain"])), 0)
        self.assertEqual(len(self.Message.with_user(owner).search(action["domain"])), 5)
