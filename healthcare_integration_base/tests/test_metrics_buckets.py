"""``/healthcare/metrics`` reads hourly totals of the audit log, not whole tables (issue
13): counters are monotonic (a replay counts again, never back) and the hourly roll-up
of the maintenance cron changes no figure."""

from freezegun import freeze_time

from odoo.tests import tagged

from ..models.hc_integration_metrics import LATENCY_BUCKETS
from .common import IntegrationCase
from .test_health_metrics import parse_prometheus


@tagged("post_install", "-at_install")
class TestMetricBuckets(IntegrationCase):
    def scrape(self):
        return parse_prometheus(self.env["hc.integration.metrics"]._hc_prometheus())

    def value(self, samples, name, **labels):
        wanted = {("backend", self.backend.code), ("flow", self.flow.code)}
        wanted |= {(key, str(value)) for key, value in labels.items()}
        found = [v for (n, lbl), v in samples.items() if n == name and wanted <= lbl]
        self.assertLessEqual(len(found), 1, found)
        return found[0] if found else 0

    def test_processed_total_is_monotonic_across_a_replay(self):
        self.flow.sync_mode = "batch"
        first = self.enqueue(self.payload("MB1", "Monotonic"))
        self.enqueue(self.payload("MB2", "Monotonic"))
        self.process()
        name = "hc_messages_processed_total"
        self.assertEqual(self.value(self.scrape(), name, direction="inbound"), 2)
        first.action_replay()
        self.assertEqual(first.state, "pending")
        self.assertEqual(self.value(self.scrape(), name, direction="inbound"), 2, "dropped")
        self.process()
        samples = self.scrape()
        self.assertEqual(self.value(samples, name, direction="inbound"), 3)
        self.assertEqual(self.value(samples, "hc_messages_received_total", direction="inbound"), 2)
        self.assertEqual(self.value(samples, "hc_message_latency_seconds_count"), 3)

    def test_rolling_up_hours_changes_no_figure(self):
        self.flow.sync_mode = "batch"
        for index in range(3):
            self.enqueue(self.payload(f"RU{index}", "Roll up"))
        self.enqueue(self.payload("RUX", "Roll up", simulate="business"))
        self.process()
        before = self.scrape()
        Bucket = self.env["hc.integration.metric.bucket"]
        with freeze_time(self.later(hours=2)):
            self.assertGreaterEqual(Bucket._hc_roll_up(LATENCY_BUCKETS), 1)
            self.assertTrue(Bucket.search([("action", "=", "message.done")]))
            self.assertEqual(Bucket._hc_roll_up(LATENCY_BUCKETS), 0, "nothing left to roll up")
            after = self.scrape()
        counters = {key: value for key, value in before.items() if "_total" in key[0]}
        self.assertTrue(counters)
        for key, value in counters.items():
            self.assertEqual(after.get(key), value, key)
        self.assertEqual(self.value(after, "hc_messages_processed_total", direction="inbound"), 3)
        self.assertEqual(self.value(after, "hc_messages_failed_total"), 1)
        latency = {k: v for k, v in before.items() if k[0].startswith("hc_message_latency")}
        self.assertEqual({k: after.get(k) for k in latency}, latency)

    def test_dashboard_counts_unfinished_messages_and_the_last_day(self):
        self.flow.sync_mode = "batch"
        self.enqueue(self.payload("DB1", "Dashboard"))
        self.enqueue(self.payload("DB2", "Dashboard", simulate="business"))
        self.process()
        last = self.enqueue(self.payload("DB3", "Dashboard"))
        self.flow.invalidate_recordset()
        flow = self.flow
        self.assertEqual((flow.count_backlog, flow.count_exception, flow.count_waiting), (1, 1, 0))
        self.assertEqual(flow.count_done_24h, 1)
        self.assertEqual(flow.last_received_at, last.received_at)
        self.assertEqual(flow.open_exception_count, 1)
