from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestQueueProcessing(IntegrationCase):
    def test_message_processed_to_done_with_binding_and_link(self):
        message = self.enqueue(self.payload("C1", "Ann Example"))
        self.assertEqual(message.state, "pending")
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(message.attempts, 1)
        partner = self.partner_of("C1")
        self.assertEqual(partner.name, "Ann Example")
        self.assertEqual(message.link_ids.res_model, "res.partner")
        self.assertEqual(message.link_ids.res_id, partner.id)
        self.assertTrue(message.finished_at)
        self.assertGreaterEqual(message.latency_seconds, 0)

    def test_same_event_twice_is_one_message_and_different_body_is_a_conflict(self):
        payload = self.payload("C2", "Bob")
        message, status = self.Message._hc_enqueue(self.flow, payload, external_id="evt-dup")
        again, status_again = self.Message._hc_enqueue(self.flow, payload, external_id="evt-dup")
        self.assertEqual((status, status_again), ("created", "duplicate"))
        self.assertEqual(again, message)
        other, status_other = self.Message._hc_enqueue(
            self.flow, self.payload("C2", "Someone else"), external_id="evt-dup"
        )
        self.assertEqual(status_other, "conflict")
        self.assertEqual(other, message)
        self.assertEqual(
            self.Message.search_count([("external_id", "=", "evt-dup")]), 1, "stored once"
        )

    def test_same_contact_under_three_event_ids_is_one_partner(self):
        for index in range(3):
            self.enqueue(self.payload("C3", f"Carol v{index}"))
        self.process()
        partners = self.env["res.partner"].search([("name", "like", "Carol v")])
        self.assertEqual(len(partners), 1)
        self.assertEqual(partners.name, "Carol v2", "applied in arrival order")

    def test_allowlist_drops_fields_before_storage(self):
        payload = self.payload(
            "C4", "Dan", contact={"ssn": "123-45-6789", "date_of_birth": "1970-01-01"}
        )
        payload["salary"] = 123456
        message = self.enqueue(payload)
        self.assertNotIn("ssn", message.payload["contact"])
        self.assertNotIn("date_of_birth", message.payload["contact"])
        self.assertNotIn("salary", message.payload)
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT payload::text FROM hc_integration_message WHERE id = %s", [message.id]
        )
        stored = self.env.cr.fetchone()[0]
        self.assertNotIn("123-45-6789", stored)
        self.assertNotIn("1970-01-01", stored)
        self.assertIn("Dan", stored)

    def test_retry_delays_stay_within_backoff_bounds_then_exhaust_to_exception(self):
        message = self.enqueue(self.payload("C5", "Eve", simulate="retry"))
        start = fields.Datetime.now()
        with freeze_time(start):
            self.process()
        self.assertEqual(message.state, "retry")
        self.assertEqual(message.attempts, 1)
        self.assertEqual(message.error_class, "technical")
        # attempt 1: delay in [0, base] = [0, 10] s
        self.assertGreaterEqual(message.next_attempt_at, start)
        self.assertLessEqual(message.next_attempt_at, start + timedelta(seconds=10))
        second = message.next_attempt_at
        with freeze_time(second):
            self.process()
        self.assertEqual(message.state, "retry")
        self.assertEqual(message.attempts, 2)
        # attempt 2: delay in [0, 2 * base] = [0, 20] s
        self.assertLessEqual(message.next_attempt_at, second + timedelta(seconds=20))
        with freeze_time(message.next_attempt_at):
            self.process()
        # max_attempts = 3: exhausted
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.attempts, 3)
        exception = message.exception_ids
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.category, "technical")
        self.assertIn("Gave up after 3 attempts", exception.description)

    def test_done_after_a_failure_reports_no_error_and_the_audit_keeps_it(self):
        message = self.enqueue(self.payload("C31", "Hal", simulate="retry"))
        self.process()
        self.assertEqual(message.state, "retry")
        self.assertTrue(message.last_error)
        reason = message.last_error
        # the other system's outage is over: the same event now goes through
        self.env.cr.execute(
            "UPDATE hc_integration_message SET payload = payload - 'simulate' WHERE id = %s",
            [message.id],
        )
        message.invalidate_recordset(["payload"])
        with freeze_time(message.next_attempt_at):
            self.process()
        self.assertEqual(message.state, "done")
        self.assertFalse(message.last_error)
        self.assertFalse(message.error_class)
        status = self.env["hc.integration.webhook"]._hc_status_body(message)
        self.assertIsNone(status["last_error"])
        retried = self.Audit.search(
            [("message_id", "=", message.id), ("action", "=", "message.retry")]
        )
        self.assertIn(reason, retried.summary)

    def test_conflicts_run_again_at_once_then_count_as_ordinary_failures(self):
        self.env["ir.config_parameter"].sudo().set_param("hc_integration.conflict_retries", 2)
        message = self.enqueue(self.payload("C30", "Conflict", simulate="conflict"))
        start = fields.Datetime.now()
        with freeze_time(start):
            self.process()
        conflict_runs = self.Audit.search_count(
            [
                ("message_id", "=", message.id),
                ("action", "=", "message.retry"),
                ("summary", "like", "conflict, run again at once"),
            ]
        )
        self.assertEqual(conflict_runs, 2, "two conflicts ran again at once")
        self.assertEqual(message.conflict_count, 2)
        # the third conflict is an ordinary failure: it uses an attempt and backs off
        self.assertEqual((message.state, message.attempts), ("retry", 1))
        self.assertGreater(message.next_attempt_at, start)
        self.assertIn("SerializationFailure", message.last_error)
        # a person's retry resets the conflicts with the attempts
        with freeze_time(start):
            message.action_retry()
            self.assertEqual((message.attempts, message.conflict_count), (0, 0))
            self.process()
        self.assertEqual((message.state, message.attempts), ("retry", 1))
        self.assertEqual(message.conflict_count, 2)

    def test_conflict_count_is_written_by_the_engine_only(self):
        message = self.enqueue(self.payload("C31", "Guarded conflicts"))
        manager = new_test_user(
            self.env,
            "hc_mgr_conflicts",
            groups="healthcare_integration_base.group_integration_manager",
        )
        with self.assertRaises(UserError):
            message.with_user(manager).write({"conflict_count": 0})

    def test_retry_is_not_claimed_before_its_time(self):
        message = self.enqueue(self.payload("C6", "Fay", simulate="retry"))
        self.process()
        self.assertEqual(message.state, "retry")
        self.assertEqual(self.Processor._claim(10), self.Message, "not due yet")

    def test_business_error_goes_straight_to_exception_and_is_never_retried(self):
        message = self.enqueue(self.payload("C7", "Gus", simulate="business"))
        self.process()
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.attempts, 1)
        self.assertEqual(message.exception_ids.category, "validation")
        with freeze_time(self.later(days=2)):
            self.process()
        self.assertEqual(message.attempts, 1, "a business error is not retried automatically")

    def test_waiting_for_dependency_is_released_when_the_binding_arrives(self):
        child = self.enqueue(self.payload("KID", "Kid", contact={"parent_external_id": "MOM"}))
        self.process()
        self.assertEqual(child.state, "waiting")
        self.assertEqual(child.wait_key, f"binding:{self.backend.id}:contact:MOM")
        parent = self.enqueue(self.payload("MOM", "Mom"))
        self.process()
        self.assertEqual(parent.state, "done")
        self.assertEqual(child.state, "done", "released by the parent's binding and processed")
        self.assertEqual(self.partner_of("KID").parent_id, self.partner_of("MOM"))

    def test_waiting_turns_into_exception_after_the_flow_timeout(self):
        child = self.enqueue(self.payload("KID2", "Kid", contact={"parent_external_id": "NOBODY"}))
        self.process()
        self.assertEqual(child.state, "waiting")
        with freeze_time(self.later(minutes=30)):
            self.Processor._cron_maintenance()
        self.assertEqual(child.state, "waiting", "not yet timed out")
        with freeze_time(self.later(minutes=61)):
            self.Processor._cron_maintenance()
        self.assertEqual(child.state, "exception")
        self.assertEqual(child.exception_ids.category, "dependency")

    def test_messages_with_the_same_ordering_key_apply_in_order(self):
        first = self.enqueue(self.payload("C8", "First", simulate="retry"))
        second = self.enqueue(self.payload("C8", "Second"))
        other = self.enqueue(self.payload("C9", "Other key"))
        self.process()
        self.assertEqual(first.state, "retry")
        self.assertEqual(second.state, "pending", "blocked behind the retrying message")
        self.assertEqual(other.state, "done", "other keys are not blocked")
        # the first message gets processed (as a business error) and no longer blocks
        first._engine().write({"payload": self.payload("C8", "First")})
        with freeze_time(first.next_attempt_at):
            self.process()
        self.assertEqual((first.state, second.state), ("done", "done"))
        self.assertEqual(self.partner_of("C8").name, "Second")

    def test_effective_dated_message_waits_for_its_date_without_blocking_later_ones(self):
        effective = self.later(days=10).replace(microsecond=0)
        future = self.enqueue(
            self.payload("C10", "Future name", effective_at=effective.isoformat() + "Z")
        )
        now_msg = self.enqueue(self.payload("C10", "Current name"))
        self.process()
        self.assertEqual(future.state, "pending")
        self.assertEqual(future.effective_at, effective)
        self.assertEqual(now_msg.state, "done", "a future-dated message does not block")
        with freeze_time(effective + timedelta(seconds=1)):
            self.process()
        self.assertEqual(future.state, "done")

    def test_stale_event_is_ignored_and_audited(self):
        self.enqueue(self.payload("C11", "Newest", occurred_at="2026-03-02T10:00:00Z"))
        self.process()
        stale = self.enqueue(self.payload("C11", "Older", occurred_at="2026-03-01T10:00:00Z"))
        self.process()
        self.assertEqual(stale.state, "done")
        self.assertEqual(self.partner_of("C11").name, "Newest")
        self.assertTrue(
            self.Audit.search([("message_id", "=", stale.id), ("action", "=", "message.stale")])
        )

    def test_lease_of_a_dead_worker_expires_and_the_message_is_processed_once(self):
        message = self.enqueue(self.payload("C12", "Lease"))
        claimed = self.Processor._claim(10)  # a worker claims, then dies
        self.assertIn(message, claimed)
        self.assertEqual(message.state, "processing")
        self.Processor._cron_maintenance()
        self.assertEqual(message.state, "processing", "lease not expired yet")
        with freeze_time(self.later(seconds=301)):
            self.Processor._cron_maintenance()
            self.assertEqual(message.state, "retry")
            self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(message.attempts, 2)
        self.assertEqual(len(self.env["res.partner"].search([("name", "=", "Lease")])), 1)

    def test_message_claimed_by_someone_else_is_not_processed(self):
        message = self.enqueue(self.payload("C13", "Owner"))
        owner = self.Processor._new_lease_owner(1)
        self.assertEqual(self.Processor._claim(10, owner=owner), message)
        self.assertEqual(message.lease_owner, owner)
        # meanwhile, the lease expired, the reaper returned the message to the queue and
        # another lane claimed it again; the claim's commit left nothing in this worker's
        # cache, so the row is all it can read
        self.env.cr.execute(
            "UPDATE hc_integration_message SET lease_owner = 'another-worker' WHERE id = %s",
            [message.id],
        )
        self.env.invalidate_all()
        self.Processor._process_message(message, owner=owner)
        message.invalidate_recordset()
        self.assertEqual(message.state, "processing")
        self.assertEqual(message.lease_owner, "another-worker")
        self.assertFalse(self.partner_of("C13"))
        # the worker that holds the lease does process it
        self.Processor._process_message(message, owner="another-worker")
        self.assertEqual(message.state, "done")
        self.assertTrue(self.partner_of("C13"))

    def test_illegal_transition_is_refused(self):
        message = self.enqueue(self.payload("C14", "Done"))
        self.process()
        with mute_logger("odoo.addons.healthcare_integration_base.models.hc_integration_message"):
            moved = message._hc_transition("waiting")
        self.assertFalse(moved)
        self.assertEqual(message.state, "done")

    def test_engine_fields_cannot_be_written_by_users(self):
        message = self.enqueue(self.payload("C15", "Guarded"))
        with self.assertRaises(UserError):
            message.write({"state": "done"})
        manager = new_test_user(
            self.env, "hc_mgr_guard", groups="healthcare_integration_base.group_integration_manager"
        )
        with self.assertRaises(UserError):
            message.with_user(manager).write({"attempts": 0})

    def test_person_retries_replays_and_cancels(self):
        user = new_test_user(
            self.env, "hc_user_rrc", groups="healthcare_integration_base.group_integration_user"
        )
        manager = new_test_user(
            self.env, "hc_mgr_rrc", groups="healthcare_integration_base.group_integration_manager"
        )
        failing = self.enqueue(self.payload("C16", "Retry me", simulate="business"))
        self.process()
        self.assertEqual(failing.state, "exception")
        failing.with_user(user).action_retry()
        self.assertEqual((failing.state, failing.attempts), ("pending", 0))
        self.assertEqual(
            self.Audit.search(
                [("message_id", "=", failing.id), ("action", "=", "message.retry")]
            ).actor_type,
            "user",
        )
        done = self.enqueue(self.payload("C17", "Replay me"))
        self.process()
        with self.assertRaises(UserError):
            done.with_user(user).action_replay()
        done.with_user(manager).action_replay()
        self.assertEqual(done.state, "pending")
        self.process()
        self.assertEqual(done.state, "done")
        self.assertEqual(len(self.env["res.partner"].search([("name", "=", "Replay me")])), 1)
        with self.assertRaises(UserError):
            failing.with_user(user).action_cancel()
        failing.with_user(manager).action_cancel()
        self.assertEqual(failing.state, "cancelled")
        self.assertEqual(failing.exception_ids.state, "ignored")

    def test_realtime_message_wakes_the_processor(self):
        cron = self.env.ref("healthcare_integration_base.ir_cron_process_queue")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.enqueue(self.payload("C18", "Wake"))
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
        )

    def test_batch_flow_does_not_wake_the_processor(self):
        self.flow.sync_mode = "batch"
        cron = self.env.ref("healthcare_integration_base.ir_cron_process_queue")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.enqueue(self.payload("C19", "Batch"))
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
        )

    def test_paused_flow_keeps_its_messages_queued(self):
        message = self.enqueue(self.payload("C20", "Paused"))
        self.flow.action_pause()
        self.process()
        self.assertEqual(message.state, "pending")
        self.flow.action_resume()
        self.process()
        self.assertEqual(message.state, "done")

    def test_payloads_are_purged_after_retention_but_metadata_stays(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "hc_integration.payload_retention_days", 30
        )
        done = self.enqueue(self.payload("C21", "Old"))
        failing = self.enqueue(self.payload("C22", "Failing", simulate="business"))
        self.process()
        content_hash = done.content_hash
        with freeze_time(self.later(days=29)):
            self.Message._cron_purge_payloads()
        self.assertTrue(done.payload)
        with freeze_time(self.later(days=31)):
            self.Message._cron_purge_payloads()
        done.invalidate_recordset()
        self.assertFalse(done.payload)
        self.assertTrue(done.payload_purged_at)
        self.assertEqual(done.content_hash, content_hash)
        self.assertEqual(done.state, "done")
        self.assertTrue(failing.payload, "messages still to resolve keep their payload")
        with self.assertRaises(UserError):
            done.action_replay()

    def test_a_handler_crash_is_retried_as_technical(self):
        message = self.enqueue(self.payload("C23", "Crash"))
        message._engine().write({"payload": {"contact": "not a dict"}})
        with mute_logger("odoo.addons.healthcare_integration_base.models.hc_integration_processor"):
            self.process()
        self.assertEqual(message.state, "retry")
        self.assertEqual(message.error_class, "technical")
        self.assertIn("unexpected error", message.last_error)
