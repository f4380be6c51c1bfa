from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import HrSyncCase


@tagged("post_install", "-at_install")
class TestCredentials(HrSyncCase):
    def setUp(self):
        super().setUp()
        self.upsert_flow.write(
            {
                "hr_provision_users": True,
                "hr_user_invitation": "sso",
                "responsible_user_id": self.hr_resolver.id,
            }
        )
        self.today = self.now().date()
        self.expiry = self.today + timedelta(days=40)
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E500",
                roles=["buyer"],
                credentials=[
                    {
                        "type": "RN_LICENSE",
                        "number": "RN-500",
                        "issuer": "State Board of Nursing",
                        "status": "active",
                        "expires_on": str(self.expiry),
                    }
                ],
            ),
        )
        self.nurse = self.employee("E500")
        self.user = self.nurse.user_id
        self.credential = self.nurse.hc_credential_ids

    def test_credentials_in_the_upsert_are_stored(self):
        self.assertEqual(len(self.credential), 1)
        self.assertEqual(self.credential.type_id, self.rn_license)
        self.assertEqual(self.credential.number, "RN-500")
        self.assertEqual(self.credential.issuer, "State Board of Nursing")
        self.assertEqual(self.credential.expires_on, self.expiry)
        self.assertEqual(self.credential.source, "hris")
        self.assertTrue(self.credential.is_valid)
        self.assertTrue(self.credential.is_required)
        self.assertFalse(self.nurse.hc_access_restricted)
        self.assertIn(self.group_buyer, self.user.groups_id)

    def test_suspension_restricts_access_and_raises_an_exception_renewal_restores(self):
        message = self.send_and_process(
            "credential_update",
            self.credential_event(
                "E500", number="RN-500", status="suspended", expires_on=str(self.expiry)
            ),
        )
        self.assertEqual(message.state, "done")
        self.assertTrue(self.nurse.hc_access_restricted)
        self.assertIn("RN_LICENSE suspended", self.nurse.hc_restriction_reason)
        self.assertNotIn(self.group_buyer, self.user.groups_id, "restrict_groups policy")
        self.assertTrue(self.user.active, "restricted, not deactivated")
        exception = message.exception_ids
        self.assertEqual(exception.hc_hr_kind, "credential_restriction")
        self.assertEqual(exception.state, "open")
        self.assertTrue(self.audits("hr.access.restricted", self.nurse))
        renewal = self.send_and_process(
            "credential_update",
            self.credential_event(
                "E500",
                number="RN-500",
                status="active",
                expires_on=str(self.expiry + timedelta(days=730)),
                occurred_at=self.later(seconds=1),
            ),
        )
        self.assertEqual(renewal.state, "done")
        self.assertFalse(self.nurse.hc_access_restricted)
        self.assertIn(self.group_buyer, self.user.groups_id)
        self.assertEqual(exception.state, "resolved", "the restriction exception closes itself")
        self.assertTrue(self.audits("hr.access.restored", self.nurse))

    def test_deactivate_user_policy(self):
        self.upsert_flow.hr_credential_policy = "deactivate_user"
        self.send_and_process(
            "credential_update", self.credential_event("E500", number="RN-500", status="revoked")
        )
        self.assertFalse(self.user.active)
        self.send_and_process(
            "credential_update",
            self.credential_event(
                "E500", number="RN-501", status="active", occurred_at=self.later(seconds=1)
            ),
        )
        self.assertTrue(self.user.active, "a new valid licence restores access")

    def test_lapse_at_expiry_by_the_daily_cron_and_renewal(self):
        Credential = self.env["hc.hr.credential"]
        with freeze_time(self.expiry - timedelta(days=1)):
            Credential._cron_check_credentials()
        self.assertFalse(self.nurse.hc_access_restricted, "valid through its expiry day")
        with freeze_time(self.expiry + timedelta(days=1)):
            Credential._cron_check_credentials()
        self.assertEqual(self.credential.status, "expired")
        self.assertTrue(self.nurse.hc_access_restricted)
        self.assertNotIn(self.group_buyer, self.user.groups_id)
        self.assertTrue(self.audits("hr.access.restricted", self.nurse))
        activity = self.nurse.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("healthcare_hr_sync.mail_activity_type_access_restricted")
            )
        )
        self.assertEqual(activity.user_id, self.hr_resolver)
        with freeze_time(self.expiry + timedelta(days=2)):
            self.send_and_process(
                "credential_update",
                self.credential_event(
                    "E500",
                    number="RN-500",
                    status="active",
                    expires_on=str(self.expiry + timedelta(days=730)),
                ),
            )
            self.assertFalse(self.nurse.hc_access_restricted)
            self.assertIn(self.group_buyer, self.user.groups_id)
            self.assertFalse(activity.exists(), "the restriction activity is marked done")

    def test_reminders_once_per_threshold_not_daily(self):
        Credential = self.env["hc.hr.credential"]
        self.env["ir.config_parameter"].sudo().set_param(
            "healthcare_hr_sync.credential_warning_days", "30,7"
        )
        expiry_type = self.env.ref("healthcare_hr_sync.mail_activity_type_credential_expiry")

        def reminders():
            return self.credential.activity_ids.filtered(
                lambda a: a.activity_type_id == expiry_type
            )

        with freeze_time(self.expiry - timedelta(days=31)):
            Credential._cron_check_credentials()
        self.assertFalse(reminders(), "not yet within 30 days")
        for days_before in (30, 29, 20, 8):
            with freeze_time(self.expiry - timedelta(days=days_before)):
                Credential._cron_check_credentials()
        self.assertEqual(len(reminders()), 1, "one reminder for the 30-day threshold")
        self.assertEqual(reminders().user_id, self.hr_resolver)
        for days_before in (7, 6, 1):
            with freeze_time(self.expiry - timedelta(days=days_before)):
                Credential._cron_check_credentials()
        self.assertEqual(len(reminders()), 2, "and one for the 7-day threshold")
        # a renewal starts the thresholds again
        self.send_and_process(
            "credential_update",
            self.credential_event(
                "E500",
                number="RN-500",
                status="active",
                expires_on=str(self.expiry + timedelta(days=365)),
                occurred_at=self.later(seconds=1),
            ),
        )
        self.assertEqual(self.credential.reminder_threshold, 0)

    def test_update_within_a_threshold_warns_at_once(self):
        expiry_type = self.env.ref("healthcare_hr_sync.mail_activity_type_credential_expiry")
        self.send_and_process(
            "credential_update",
            self.credential_event(
                "E500",
                number="RN-500",
                status="active",
                expires_on=str(self.today + timedelta(days=10)),
                occurred_at=self.later(seconds=1),
            ),
        )
        reminders = self.credential.activity_ids.filtered(
            lambda a: a.activity_type_id == expiry_type
        )
        self.assertEqual(len(reminders), 1)
        self.assertEqual(self.credential.reminder_threshold, 30)
        self.env["hc.hr.credential"]._cron_check_credentials()
        self.assertEqual(
            len(self.credential.activity_ids.filtered(lambda a: a.activity_type_id == expiry_type)),
            1,
            "not twice for the same threshold",
        )

    def test_job_change_to_a_job_requiring_a_missing_credential(self):
        self.send_and_process(
            "employee_transfer",
            self.transfer_event(
                "E500", self.today, job_code="MD", occurred_at=self.later(seconds=1)
            ),
        )
        self.assertTrue(self.nurse.hc_access_restricted)
        self.assertIn("MD_LICENSE missing", self.nurse.hc_restriction_reason)

    def test_older_credential_event_is_ignored(self):
        self.send_and_process(
            "credential_update",
            self.credential_event(
                "E500",
                number="RN-500",
                status="active",
                expires_on="2030-01-01",
                occurred_at=self.later(seconds=5),
            ),
        )
        self.send_and_process(
            "credential_update",
            self.credential_event(
                "E500", number="RN-500", status="revoked", occurred_at=self.later(seconds=2)
            ),
        )
        self.assertEqual(self.credential.status, "active")
        self.assertEqual(self.credential.expires_on, date(2030, 1, 1))

    def test_credential_update_before_hire_waits(self):
        message = self.send_and_process("credential_update", self.credential_event("E501"))
        self.assertEqual(message.state, "waiting")
        self.send_and_process("employee_upsert", self.upsert_event("E501"))
        self.assertEqual(message.state, "done")
        self.assertTrue(self.employee("E501").hc_credential_ids)

    def test_unknown_credential_type_is_a_pending_mapping(self):
        message = self.send_and_process(
            "credential_update", self.credential_event("E500", type="CPR_CARD", number="C-1")
        )
        self.assertEqual(message.state, "exception")
        self.assertEqual(
            self.Mapping.search([("external_code", "=", "CPR_CARD")]).mapping_type,
            "credential_type",
        )

    def test_hris_credentials_are_not_edited_by_hand(self):
        with self.assertRaises(UserError):
            self.credential.with_user(self.hr_resolver).write({"expires_on": "2040-01-01"})

    def test_manual_credential_for_unsynced_employee(self):
        employee = self.env["hr.employee"].create(
            {"name": "Manual nurse", "job_id": self.job_rn.id}
        )
        credential = (
            self.env["hc.hr.credential"]
            .with_user(self.hr_resolver)
            .create(
                {
                    "employee_id": employee.id,
                    "type_id": self.rn_license.id,
                    "number": "M-1",
                    "expires_on": str(self.today - timedelta(days=1)),
                }
            )
        )
        self.assertFalse(credential.is_valid)
        self.assertTrue(employee.hc_access_restricted, "flagged; its user is not managed")
        credential.with_user(self.hr_resolver).expires_on = self.today + timedelta(days=100)
        self.assertFalse(employee.hc_access_restricted)
