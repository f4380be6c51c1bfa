from odoo.tests import tagged

from .common import OMIT, HrSyncCase


@tagged("post_install", "-at_install")
class TestUserProvisioning(HrSyncCase):
    def setUp(self):
        super().setUp()
        self.upsert_flow.write({"hr_provision_users": True, "hr_user_invitation": "sso"})

    def test_user_created_with_login_email_no_password_and_role_groups(self):
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E400", job_code="CLERK", roles=["staff", "buyer"]),
        )
        employee = self.employee("E400")
        user = employee.user_id
        self.assertTrue(user)
        self.assertEqual(user.login, "e400@hospital.test")
        self.assertTrue(employee.hc_user_managed)
        self.assertIn(self.group_buyer, user.groups_id)
        self.assertNotIn(self.group_approver, user.groups_id)
        self.assertTrue(user._is_internal())
        self.env.cr.execute("SELECT password FROM res_users WHERE id = %s", (user.id,))
        self.assertFalse(self.env.cr.fetchone()[0], "no password: invitation or SSO")
        self.assertTrue(self.audits("hr.user.provisioned", employee))

    def test_no_provisioning_when_the_flow_says_no(self):
        self.upsert_flow.hr_provision_users = False
        self.send_and_process("employee_upsert", self.upsert_event("E401", job_code="CLERK"))
        self.assertFalse(self.employee("E401").user_id)

    def test_no_user_without_work_email(self):
        self.send_and_process(
            "employee_upsert", self.upsert_event("E402", job_code="CLERK", work_email=OMIT)
        )
        self.assertFalse(self.employee("E402").user_id)

    def test_role_changes_update_groups(self):
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E403", job_code="CLERK", roles=["staff", "buyer"]),
        )
        user = self.employee("E403").user_id
        self.assertIn(self.group_buyer, user.groups_id)
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E403",
                job_code="CLERK",
                roles=["staff", "approver"],
                occurred_at=self.later(seconds=1),
            ),
        )
        self.assertNotIn(self.group_buyer, user.groups_id, "role removed → group removed")
        self.assertIn(self.group_approver, user.groups_id, "role added → group added")
        self.assertEqual(
            self.employee("E403").hc_role_mapping_ids.mapped("external_code"), ["approver", "staff"]
        )

    def test_groups_given_by_other_means_stay(self):
        other = self.env["res.groups"].create({"name": "Given by hand"})
        self.send_and_process(
            "employee_upsert", self.upsert_event("E404", job_code="CLERK", roles=["buyer"])
        )
        user = self.employee("E404").user_id
        user.write({"groups_id": [(4, other.id)]})
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E404", job_code="CLERK", roles=[], occurred_at=self.later(seconds=1)
            ),
        )
        self.assertNotIn(self.group_buyer, user.groups_id)
        self.assertIn(other, user.groups_id)

    def test_changing_a_role_mapping_updates_its_users(self):
        self.send_and_process(
            "employee_upsert", self.upsert_event("E405", job_code="CLERK", roles=["buyer"])
        )
        user = self.employee("E405").user_id
        extra = self.env["res.groups"].create({"name": "Purchasing reports"})
        self.Mapping._hc_set_grantable_groups(self.Mapping._hc_grantable_groups() | extra)
        role = self.Mapping.search(
            [
                ("backend_id", "=", self.backend.id),
                ("mapping_type", "=", "role"),
                ("external_code", "=", "buyer"),
            ]
        )
        role.group_ids = [(4, extra.id)]
        self.assertIn(extra, user.groups_id)

    def test_existing_login_is_a_conflict(self):
        self.env["res.users"].create({"name": "Someone", "login": "e406@hospital.test"})
        message = self.send_and_process(
            "employee_upsert", self.upsert_event("E406", job_code="CLERK")
        )
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.exception_ids.category, "conflict")
        self.assertFalse(self.employee("E406"), "nothing half-applied")

    def test_leave_of_absence_keeps_the_user_per_policy(self):
        self.send_and_process("employee_upsert", self.upsert_event("E407", job_code="CLERK"))
        user = self.employee("E407").user_id
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E407", job_code="CLERK", status="leave", occurred_at=self.later(seconds=1)
            ),
        )
        self.assertTrue(user.active, "keep_user (default policy)")

    def test_leave_of_absence_deactivates_the_user_per_policy(self):
        self.upsert_flow.hr_leave_policy = "deactivate_user"
        self.send_and_process("employee_upsert", self.upsert_event("E408", job_code="CLERK"))
        user = self.employee("E408").user_id
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E408", job_code="CLERK", status="leave", occurred_at=self.later(seconds=1)
            ),
        )
        self.assertFalse(user.active)
        self.assertTrue(self.employee("E408").active, "the employee stays")
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E408", job_code="CLERK", status="active", occurred_at=self.later(seconds=2)
            ),
        )
        self.assertTrue(user.active, "back from leave")

    def test_manager_user_provisioned_after_reports_becomes_their_approver(self):
        if "leave_manager_id" not in self.env["hr.employee"]._fields:
            self.skipTest("hr_holidays is not installed")
        self.upsert_flow.hr_provision_users = False
        self.send_and_process("employee_upsert", self.upsert_event("M409", job_code="CLERK"))
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E410", job_code="CLERK", manager_external_id="M409"),
        )
        self.assertFalse(self.employee("E410").leave_manager_id)
        self.upsert_flow.hr_provision_users = True
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("M409", job_code="CLERK", occurred_at=self.later(seconds=1)),
        )
        manager_user = self.employee("M409").user_id
        self.assertTrue(manager_user)
        self.assertEqual(self.employee("E410").leave_manager_id, manager_user)

    def test_digest_subscription_does_not_update_the_digests_row(self):
        """Two lanes provisioning users must not both UPDATE the default digest's row
        (issue 13: serialization failures on ``digest_digest``)."""
        digest = self.env["digest.digest"].create({"name": "Test digest"})
        self.env.flush_all()
        # a write_date in the past, as for any digest created before this transaction
        self.env.cr.execute(
            "UPDATE digest_digest SET write_date = '2020-01-01' WHERE id = %s", (digest.id,)
        )
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("digest.default_digest_emails", "True")
        params.set_param("digest.default_digest_id", str(digest.id))
        self.send_and_process("employee_upsert", self.upsert_event("E480", job_code="CLERK"))
        user = self.employee("E480").user_id
        digest.invalidate_recordset()
        self.assertIn(user, digest.user_ids, "still subscribed to the default digest")
        self.env.cr.execute("SELECT write_date FROM digest_digest WHERE id = %s", (digest.id,))
        self.assertEqual(str(self.env.cr.fetchone()[0]), "2020-01-01 00:00:00", "row untouched")
        # outside the provisioning the ORM writes as usual
        digest.user_ids |= self.hr_resolver
        self.env.flush_all()
        self.env.cr.execute("SELECT write_date FROM digest_digest WHERE id = %s", (digest.id,))
        self.assertNotEqual(str(self.env.cr.fetchone()[0]), "2020-01-01 00:00:00")
