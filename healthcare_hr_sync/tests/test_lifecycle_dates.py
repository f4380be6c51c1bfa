"""Dated lifecycle: future hires start on their date, terminations take effect at the end
of their day locally and can be postponed, detached leavers lose access too."""

from datetime import datetime, time, timedelta

import pytz
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import get_db_name

from .common import HrSyncCase


def local_midnight_utc(day, tz_name):
    local = pytz.timezone(tz_name).localize(datetime.combine(day, time.min))
    return local.astimezone(pytz.utc).replace(tzinfo=None)


@tagged("post_install", "-at_install")
class TestFutureHire(HrSyncCase):
    def setUp(self):
        super().setUp()
        self.upsert_flow.write({"hr_provision_users": True, "hr_user_invitation": "invite"})
        # a company far east of UTC: its day begins the evening before, in UTC
        self.company.resource_calendar_id.tz = "Pacific/Auckland"
        self.hire_date = self.now().date() + timedelta(days=5)
        message = self.send_and_process(
            "employee_upsert",
            self.upsert_event("E700", job_code="CLERK", hire_date=iso_date(self.hire_date)),
        )
        self.assertEqual(message.state, "done", message.last_error)
        self.employee_ = self.employee("E700")
        self.user = self.employee_.user_id

    def lifecycle(self):
        self.env["hr.employee"]._cron_hc_hr_lifecycle()

    def test_employee_at_once_user_neither_enabled_nor_invited_before_the_date(self):
        self.assertTrue(self.employee_.active)
        self.assertTrue(self.user, "the login is reserved")
        self.assertFalse(self.user.active)
        self.assertFalse(self.user.partner_id.signup_type, "no invitation yet")
        start = local_midnight_utc(self.hire_date, "Pacific/Auckland")
        self.assertEqual(self.employee_.hc_access_starts_at, start)
        with freeze_time(start - timedelta(minutes=5)):
            self.lifecycle()
        self.assertFalse(self.user.active)

    def test_the_engine_enables_and_invites_on_the_hire_date_in_the_company_tz(self):
        start = local_midnight_utc(self.hire_date, "Pacific/Auckland")
        self.assertLess(start, datetime.combine(self.hire_date, time.min), "before 00:00 UTC")
        with freeze_time(start + timedelta(minutes=5)):
            self.lifecycle()
        self.assertTrue(self.user.active)
        self.assertFalse(self.employee_.hc_access_starts_at)
        self.assertEqual(self.user.partner_id.signup_type, "signup", "invitation sent")
        self.assertTrue(self.audits("hr.user.started", self.employee_))

    def test_an_update_in_the_meantime_keeps_the_user_disabled(self):
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E700",
                job_code="CLERK",
                hire_date=iso_date(self.hire_date),
                department_code="ED",
                occurred_at=self.later(seconds=5),
            ),
        )
        self.assertFalse(self.user.active)

    def test_a_hire_date_moved_to_today_starts_at_once(self):
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E700",
                job_code="CLERK",
                hire_date=iso_date(self.now().date() - timedelta(days=1)),
                occurred_at=self.later(seconds=5),
            ),
        )
        self.assertTrue(self.user.active)
        self.assertFalse(self.employee_.hc_access_starts_at)


def iso_date(day):
    return day.isoformat()


@tagged("post_install", "-at_install")
class TestTerminationDates(HrSyncCase):
    def setUp(self):
        super().setUp()
        self.upsert_flow.hr_provision_users = True
        self.send_and_process("employee_upsert", self.upsert_event("E710", job_code="CLERK"))
        self.leaver = self.employee("E710")
        self.leaver.tz = "America/New_York"
        self.user = self.leaver.user_id

    def test_termination_takes_effect_at_the_end_of_the_day_in_the_employee_tz(self):
        day = self.now().date() + timedelta(days=3)
        message = self.send("employee_terminate", self.terminate_event("E710", day))
        end = local_midnight_utc(day + timedelta(days=1), "America/New_York")
        self.assertEqual(message.effective_at, end)
        with freeze_time(datetime.combine(day + timedelta(days=1), time(0, 30))):
            self.process()  # 00:30 UTC: still the last working day in New York
        self.assertEqual(message.state, "pending")
        self.assertTrue(self.user.active)
        with freeze_time(end + timedelta(minutes=1)):
            self.process()
        self.assertEqual(message.state, "done")
        self.assertFalse(self.user.active)
        self.assertEqual(self.leaver.departure_date, day)

    def test_a_later_dated_termination_replaces_the_pending_one(self):
        first_day = self.now().date() + timedelta(days=3)
        second_day = self.now().date() + timedelta(days=10)
        first = self.send_and_process("employee_terminate", self.terminate_event("E710", first_day))
        second = self.send_and_process(
            "employee_terminate",
            self.terminate_event("E710", second_day, occurred_at=self.later(seconds=5)),
        )
        with freeze_time(self.now() + timedelta(days=5)):
            self.process()
        self.assertEqual(first.state, "done")
        stale = self.Audit.sudo().search(
            [("message_id", "=", first.id), ("action", "=", "message.stale")]
        )
        self.assertIn("replaces this one", stale.summary)
        self.assertTrue(self.leaver.active, "the first date no longer applies")
        self.assertTrue(self.user.active)
        with freeze_time(self.now() + timedelta(days=12)):
            self.process()
        self.assertEqual(second.state, "done")
        self.assertFalse(self.leaver.active)
        self.assertEqual(self.leaver.departure_date, second_day)

    def test_an_earlier_dated_termination_replaces_the_pending_one(self):
        late = self.send_and_process(
            "employee_terminate",
            self.terminate_event("E710", self.now().date() + timedelta(days=10)),
        )
        early_day = self.now().date() + timedelta(days=3)
        self.send_and_process(
            "employee_terminate",
            self.terminate_event("E710", early_day, occurred_at=self.later(seconds=5)),
        )
        with freeze_time(self.now() + timedelta(days=5)):
            self.process()
        self.assertEqual(late.state, "cancelled")
        self.assertFalse(self.leaver.active)
        self.assertEqual(self.leaver.departure_date, early_day)

    def test_a_rescinded_postponed_termination_cancels_it(self):
        day = self.now().date() + timedelta(days=10)
        first = self.send_and_process(
            "employee_terminate",
            self.terminate_event("E710", self.now().date() + timedelta(days=3)),
        )
        second = self.send_and_process(
            "employee_terminate",
            self.terminate_event("E710", day, occurred_at=self.later(seconds=5)),
        )
        self.send_and_process(
            "employee_terminate",
            self.terminate_event("E710", day, rescinded=True, occurred_at=self.later(seconds=9)),
        )
        self.assertEqual(second.state, "cancelled")
        with freeze_time(self.now() + timedelta(days=12)):
            self.process()
        self.assertNotEqual(first.state, "pending")
        self.assertTrue(self.leaver.active, "neither date applied")
        self.assertTrue(self.user.active)


@tagged("post_install", "-at_install")
class TestDetachedLeaverKept(HrSyncCase):
    def setUp(self):
        super().setUp()
        self.upsert_flow.write({"hr_provision_users": True, "hr_detached_leaver_policy": "keep"})
        self.send_and_process("employee_upsert", self.upsert_event("E720", job_code="CLERK"))
        self.leaver = self.employee("E720")
        self.user = self.leaver.user_id
        self.leaver.with_user(self.integration_manager).action_hc_detach()
        self.day = self.now().date() + timedelta(days=3)
        self.message = self.send_and_process(
            "employee_terminate", self.terminate_event("E720", self.day)
        )

    def test_an_exception_announces_the_revocation_at_once(self):
        self.assertEqual(self.message.state, "done", "handled on arrival, not at the date")
        self.assertTrue(self.user.active, "access kept for now")
        self.assertEqual(
            self.leaver.hc_access_revoke_at, self.leaver._hc_hr_termination_at(self.day)
        )
        exception = self.message.exception_ids
        self.assertEqual(exception.hc_hr_kind, "detached_leaver")
        self.assertIn("unless an Integration Manager", exception.description)

    def test_revoked_on_the_effective_date(self):
        with freeze_time(self.leaver.hc_access_revoke_at + timedelta(minutes=1)):
            self.env["hr.employee"]._cron_hc_hr_lifecycle()
        self.assertFalse(self.user.active)
        self.assertFalse(self.leaver.hc_access_revoke_at)

    def test_a_manager_keeps_the_access(self):
        with self.assertRaises(UserError):
            self.leaver.with_user(self.hr_resolver).action_hc_keep_access()
        self.leaver.with_user(self.integration_manager).action_hc_keep_access()
        self.assertTrue(self.audits("hr.access.kept", self.leaver))
        with freeze_time(self.now() + timedelta(days=5)):
            self.env["hr.employee"]._cron_hc_hr_lifecycle()
        self.assertTrue(self.user.active)


@tagged("post_install", "-at_install")
class TestKeepAccessOverRpc(HttpCase):
    """Keeping a detached leaver's access is an Integration Manager's decision, also over
    RPC (an HR manager may write employees, not override an access revocation)."""

    def setUp(self):
        super().setUp()
        self.employee = self.env["hr.employee"].create({"name": "Detached Leaver"})
        self.employee._hc_hr_sync_env().write({"hc_access_revoke_at": "2030-01-01 05:00:00"})
        self.hr_manager = new_test_user(
            self.env, login="hr_boss", password="hr_boss_pw_1", groups="hr.group_hr_manager"
        )
        self.manager = new_test_user(
            self.env,
            login="int_boss",
            password="int_boss_pw_1",
            groups="healthcare_integration_base.group_integration_manager,hr.group_hr_user",
        )

    def rpc(self, user, password, method):
        return self.xmlrpc_object.execute_kw(
            get_db_name(), user.id, password, "hr.employee", method, [[self.employee.id]]
        )

    def test_only_an_integration_manager_keeps_the_access(self):
        with self.assertRaisesRegex(Exception, "Only Integration Managers"):
            self.rpc(self.hr_manager, "hr_boss_pw_1", "action_hc_keep_access")
        self.assertTrue(self.employee.hc_access_revoke_at)
        self.rpc(self.manager, "int_boss_pw_1", "action_hc_keep_access")
        self.employee.invalidate_recordset()
        self.assertFalse(self.employee.hc_access_revoke_at)
