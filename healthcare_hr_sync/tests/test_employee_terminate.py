from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import HrSyncCase


@tagged("post_install", "-at_install")
class TestEmployeeTerminate(HrSyncCase):
    def setUp(self):
        super().setUp()
        self.upsert_flow.hr_provision_users = True
        self.send_and_process("employee_upsert", self.upsert_event("E300", job_code="CLERK"))
        self.leaver = self.employee("E300")
        self.user = self.leaver.user_id

    def test_termination_revokes_access_at_once(self):
        self.assertTrue(self.user.active)
        self.env["res.users.apikeys"].with_user(self.user).sudo()._generate("rpc", "script", None)
        self.assertEqual(
            self.env["res.users.apikeys"].sudo().search_count([("user_id", "=", self.user.id)]), 1
        )
        message = self.send_and_process(
            "employee_terminate",
            self.terminate_event("E300", self.now().date(), immediate=True, reason="Retired"),
        )
        self.assertEqual(message.state, "done")
        self.assertFalse(self.leaver.active)
        self.assertEqual(self.leaver.departure_date, self.now().date())
        self.assertEqual(self.leaver.departure_reason_id, self.env.ref("hr.departure_retired"))
        self.assertEqual(self.leaver.hc_hris_status, "terminated")
        self.assertFalse(self.user.active, "user deactivated in the same transaction")
        self.assertFalse(
            self.env["res.users.apikeys"].sudo().search_count([("user_id", "=", self.user.id)]),
            "API keys revoked",
        )
        self.assertTrue(self.audits("hr.user.deactivated", self.leaver))
        self.assertTrue(self.audits("hr.employee.terminated", self.leaver))
        self.assertFalse(message.exception_ids, "nothing depends on this leaver")

    def test_free_text_reason_is_kept_in_the_description(self):
        self.send_and_process(
            "employee_terminate",
            self.terminate_event(
                "E300", self.now().date(), immediate=True, reason="Moved <abroad>"
            ),
        )
        self.assertFalse(self.leaver.departure_reason_id)
        self.assertIn("Moved &lt;abroad&gt;", str(self.leaver.departure_description))

    def test_direct_reports_become_an_exception_for_hr(self):
        self.send_and_process(
            "employee_upsert", self.upsert_event("E301", manager_external_id="E300")
        )
        self.send_and_process(
            "employee_upsert", self.upsert_event("E302", manager_external_id="E300")
        )
        message = self.send_and_process(
            "employee_terminate", self.terminate_event("E300", self.now().date(), immediate=True)
        )
        self.assertEqual(message.state, "done", "the termination itself is applied")
        self.assertFalse(self.user.active)
        exception = message.exception_ids
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.state, "open", "a follow-up stays open")
        self.assertEqual(exception.hc_hr_kind, "leaver_followup")
        self.assertIn("2 direct reports", exception.description)
        self.assertEqual((exception.res_model, exception.res_id), ("hr.employee", self.leaver.id))
        self.assertEqual(exception.group_id, self.env.ref("healthcare_hr_sync.group_hr_resolver"))

    def test_pending_time_off_approvals_of_the_leaver_are_listed(self):
        if "hr.leave" not in self.env:
            self.skipTest("hr_holidays is not installed")
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E303", job_code="CLERK", manager_external_id="E300"),
        )
        report = self.employee("E303")
        self.assertEqual(report.leave_manager_id, self.user, "the manager's user approves")
        leave_type = self.env["hr.leave.type"].create(
            {
                "name": "Unpaid (test)",
                "requires_allocation": "no",
                "leave_validation_type": "manager",
            }
        )
        leave = self.env["hr.leave"].create(
            {
                "employee_id": report.id,
                "holiday_status_id": leave_type.id,
                "request_date_from": "2030-03-04",
                "request_date_to": "2030-03-05",
            }
        )
        self.assertEqual(leave.state, "confirm")
        message = self.send_and_process(
            "employee_terminate", self.terminate_event("E300", self.now().date(), immediate=True)
        )
        description = message.exception_ids.description
        self.assertIn("1 direct reports", description)
        self.assertIn("1 time-off requests to approve", description)

    def test_terminating_an_unknown_employee_is_an_exception(self):
        message = self.send_and_process(
            "employee_terminate", self.terminate_event("NOBODY", self.now().date(), immediate=True)
        )
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.exception_ids.category, "validation")
        self.assertIn("not synchronised", message.exception_ids.description)

    def test_future_termination_rescinded_before_its_date_is_cancelled(self):
        date = (self.now() + timedelta(days=14)).date()
        termination = self.send_and_process(
            "employee_terminate", self.terminate_event("E300", date, reason="Resigned")
        )
        self.assertEqual(termination.state, "pending")
        self.assertTrue(self.leaver.active)
        rescission = self.send_and_process(
            "employee_terminate", self.terminate_event("E300", date, rescinded=True)
        )
        self.assertEqual(rescission.state, "done")
        self.assertEqual(termination.state, "cancelled")
        self.assertTrue(
            self.Audit.sudo().search(
                [("message_id", "=", termination.id), ("action", "=", "message.cancelled")]
            )
        )
        with freeze_time(self.now() + timedelta(days=15)):
            self.process()
        self.assertTrue(self.leaver.active, "never applied")
        self.assertTrue(self.user.active)

    def test_future_termination_applies_on_its_date(self):
        date = (self.now() + timedelta(days=3)).date()
        termination = self.send_and_process(
            "employee_terminate", self.terminate_event("E300", date)
        )
        self.assertEqual(termination.state, "pending")
        # in effect at the end of the termination day (not at its 00:00 UTC)
        with freeze_time(self.now() + timedelta(days=5)):
            self.process()
        self.assertEqual(termination.state, "done")
        self.assertFalse(self.leaver.active)
        self.assertFalse(self.user.active)

    def test_rescinding_an_applied_termination_is_an_exception(self):
        self.send_and_process(
            "employee_terminate", self.terminate_event("E300", self.now().date(), immediate=True)
        )
        late = self.send_and_process(
            "employee_terminate",
            self.terminate_event("E300", self.now().date(), immediate=True, rescinded=True),
        )
        self.assertEqual(late.state, "exception")
        self.assertFalse(self.leaver.active)

    def test_termination_is_idempotent(self):
        payload = self.terminate_event("E300", self.now().date(), immediate=True)
        self.send_and_process("employee_terminate", payload)
        again = self.send_and_process("employee_terminate", dict(payload))
        self.assertEqual(again.state, "done")
        self.assertFalse(self.leaver.active)

    def test_terminated_status_in_an_upsert(self):
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E300", status="terminated", occurred_at=self.later(seconds=1)),
        )
        self.assertFalse(self.leaver.active)
        self.assertFalse(self.user.active)

    def test_detached_employee_termination_still_revokes_access(self):
        self.leaver.with_user(self.integration_manager).action_hc_detach()
        self.env["res.users.apikeys"].with_user(self.user).sudo()._generate("rpc", "script", None)
        message = self.send_and_process(
            "employee_terminate", self.terminate_event("E300", self.now().date(), immediate=True)
        )
        self.assertEqual(message.state, "done")
        self.assertFalse(self.user.active, "termination is an access decision")
        self.assertFalse(
            self.env["res.users.apikeys"].sudo().search_count([("user_id", "=", self.user.id)])
        )
        self.assertTrue(self.leaver.active, "the detached record itself is left as it is")
        exception = message.exception_ids
        self.assertEqual(exception.hc_hr_kind, "detached_leaver")
        self.assertEqual(exception.state, "open")
        self.assertIn("access was revoked", exception.description)

    def test_rehire_restores_the_user(self):
        self.send_and_process(
            "employee_terminate", self.terminate_event("E300", self.now().date(), immediate=True)
        )
        self.assertFalse(self.user.active)
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E300", job_code="CLERK", occurred_at=self.later(days=1)),
        )
        self.assertTrue(self.leaver.active)
        self.assertEqual(self.leaver.user_id, self.user)
        self.assertTrue(self.user.active)
