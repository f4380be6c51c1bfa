from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestAlerts(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.responsible = new_test_user(
            self.env, "hc_alert_owner", groups="healthcare_integration_base.group_integration_user"
        )
        self.flow.write(
            {"responsible_user_id": self.responsible.id, "alert_backlog": 2, "sla_minutes": 0}
        )
        self.Alert = self.env["hc.integration.alert"]

    def _alerts(self, kind):
        return self.Alert.search([("flow_id", "=", self.flow.id), ("kind", "=", kind)])

    def test_backlog_alert_is_raised_once_while_it_persists_then_cleared(self):
        for index in range(3):
            self.enqueue(self.payload(f"AL{index}", "Backlog"))
        self.Alert._cron_check_alerts()
        self.Alert._cron_check_alerts()
        alert = self._alerts("backlog")
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.state, "active")
        activities = self.flow.activity_ids.filtered(lambda a: a.user_id == self.responsible)
        self.assertEqual(len(activities), 1, "one activity, not one per check")
        self.process()
        self.Alert._cron_check_alerts()
        self.assertEqual(alert.state, "cleared")
        self.assertFalse(self.flow.activity_ids.filtered(lambda a: a.user_id == self.responsible))

    def test_sla_and_error_rate_alerts(self):
        self.flow.write({"alert_backlog": 0, "sla_minutes": 15, "alert_error_rate": 40})
        self.enqueue(self.payload("SLA1", "Late"))
        with freeze_time(self.later(minutes=20)):
            self.Alert._cron_check_alerts()
        self.assertEqual(self._alerts("sla").state, "active")
        self.enqueue(self.payload("ER1", "Bad", simulate="business"))
        self.process()
        self.Alert._cron_check_alerts()
        self.assertEqual(
            self._alerts("error_rate").state, "active", "1 of 2 finished messages failed"
        )

    def test_stale_source_alert(self):
        self.flow.write({"alert_backlog": 0, "stale_source_minutes": 60})
        self.enqueue(self.payload("ST1", "Last one"))
        self.process()
        self.Alert._cron_check_alerts()
        self.assertFalse(self._alerts("stale_source"))
        with freeze_time(self.later(minutes=61)):
            self.Alert._cron_check_alerts()
        self.assertEqual(self._alerts("stale_source").state, "active")


@tagged("post_install", "-at_install")
class TestLanes(IntegrationCase):
    def test_lanes_follow_the_setting(self):
        Processor = self.env["hc.integration.processor"]
        crons = Processor._sync_lanes(3)
        self.assertEqual(len(crons.filtered("active")), 3)
        self.assertIn("lane=3", crons[2].code)
        crons = Processor._sync_lanes(1)
        self.assertEqual(len(crons.filtered("active")), 1)
        settings = self.env["res.config.settings"].create({"hc_processor_lanes": 2})
        settings.execute()
        self.assertEqual(len(Processor._lane_crons().filtered("active")), 2)

    def test_every_lane_claims_from_the_same_queue(self):
        self.env["hc.integration.processor"]._sync_lanes(2)
        message = self.enqueue(self.payload("LN1", "Lane two"))
        self.env["hc.integration.processor"]._cron_process_queue(lane=2)
        self.assertEqual(message.state, "done")


@tagged("post_install", "-at_install")
class TestCronProgress(IntegrationCase):
    def test_processing_reports_progress_to_the_scheduler(self):
        self.flow.sync_mode = "batch"
        for index in range(5):
            self.enqueue(self.payload(f"PR{index}", "Progress"))
        cron = self.env.ref("healthcare_integration_base.ir_cron_process_queue")
        _cron, progress = cron._add_progress()
        processor = self.env["hc.integration.processor"].with_context(
            ir_cron_progress_id=progress.id
        )
        self.assertEqual(processor._cron_process_queue(lane=1, batch_size=2), 2)
        self.assertEqual((progress.done, progress.remaining), (2, 3))
        processor._cron_process_queue(lane=1, batch_size=10)
        self.assertEqual((progress.done, progress.remaining), (3, 0))
