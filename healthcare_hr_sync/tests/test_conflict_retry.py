from odoo.tests import tagged

from .common import HrSyncCase


@tagged("post_install", "-at_install")
class TestConflictRetry(HrSyncCase):
    """Two lanes hiring into one job both update the job's employee counters: the loser
    gets a serialization failure. It must run again at once, not wait for a backoff."""

    def test_conflict_runs_again_at_once_without_using_an_attempt(self):
        message = self.send("employee_upsert", self.upsert_event("E950"))
        claimed = self.Processor._claim(10)
        self.assertEqual(claimed, message)
        self.assertEqual(message.attempts, 1)
        self.Processor._on_conflict(message, "database conflict (SerializationFailure)")
        self.assertEqual(message.state, "retry")
        self.assertEqual(message.attempts, 0, "the attempt is given back")
        self.assertLessEqual(message.next_attempt_at, self.now(), "due at once")
        self.process()
        self.assertEqual(message.state, "done")
        self.assertTrue(self.employee("E950"))

    def test_conflicts_are_bounded(self):
        message = self.send("employee_upsert", self.upsert_event("E951"))
        self.env["ir.config_parameter"].sudo().set_param("hc_integration.conflict_retries", 2)
        for _round in range(2):
            self.Processor._claim(10)
            self.Processor._on_conflict(message, "database conflict (SerializationFailure)")
            self.assertLessEqual(message.next_attempt_at, self.now())
        self.Processor._claim(10)
        self.Processor._on_conflict(message, "database conflict (SerializationFailure)")
        self.assertEqual(message.state, "retry")
        self.assertGreater(message.next_attempt_at, self.now(), "an ordinary backoff now")
        self.assertEqual(message.attempts, 1, "and it counts")
