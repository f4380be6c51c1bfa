from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import HrSyncCase


@tagged("post_install", "-at_install")
class TestFieldOwnership(HrSyncCase):
    def setUp(self):
        super().setUp()
        self.send_and_process("employee_upsert", self.upsert_event("E800"))
        self.synced = self.employee("E800")

    def test_hris_owned_fields_refused_outside_the_sync(self):
        as_hr = self.synced.with_user(self.hr_resolver)
        for values in (
            {"name": "Renamed by hand"},
            {"department_id": self.ed.id},
            {"job_id": self.job_clerk.id},
            {"work_email": "other@hospital.test"},
            {"hc_cost_center_id": self.cc_5200.id},
        ):
            with self.assertRaises(UserError) as caught:
                as_hr.write(values)
            self.assertIn("managed by the HRIS", str(caught.exception))
        with self.assertRaises(UserError):
            as_hr.action_archive()
        self.assertEqual(self.synced.department_id, self.icu)

    def test_other_fields_and_unchanged_values_are_fine(self):
        as_hr = self.synced.with_user(self.hr_resolver)
        as_hr.write({"private_phone": "+1 555 9999", "department_id": self.icu.id})
        self.assertEqual(self.synced.private_phone, "+1 555 9999")

    def test_form_marks_managed_fields_read_only(self):
        form = Form(self.synced.with_user(self.hr_resolver))
        self.assertTrue(form._get_modifier("department_id", "readonly"))
        self.assertTrue(form._get_modifier("name", "readonly"))
        self.assertFalse(form._get_modifier("private_phone", "readonly"))
        manual = self.env["hr.employee"].create({"name": "Not synced"})
        self.assertFalse(
            Form(manual.with_user(self.hr_resolver))._get_modifier("department_id", "readonly")
        )

    def test_form_opens_for_an_hr_officer_without_integration_rights(self):
        officer = new_test_user(self.env, login="hr_officer_only", groups="hr.group_hr_user")
        form = Form(self.synced.with_user(officer))
        self.assertTrue(form._get_modifier("job_id", "readonly"))
        self.assertEqual(form.hc_sync_state, "synced")
        arch = self.env["hr.employee"].with_user(officer).get_views([(False, "form")])
        self.assertNotIn("hc_message_count", str(arch["views"]["form"]["arch"]))

    def test_unsynced_employees_are_not_guarded(self):
        manual = self.env["hr.employee"].create({"name": "Not synced"})
        manual.with_user(self.hr_resolver).write({"department_id": self.ed.id, "name": "Renamed"})
        self.assertEqual(manual.name, "Renamed")

    def test_only_integration_managers_detach_and_it_is_audited(self):
        with self.assertRaises(AccessError):
            self.synced.with_user(self.hr_resolver).action_hc_detach()
        self.synced.with_user(self.integration_manager).action_hc_detach()
        self.assertEqual(self.synced.hc_sync_state, "detached")
        self.assertTrue(self.Binding._find_binding(self.backend, "employee", "E800").detached)
        detach_audit = self.audits("hr.employee.detach", self.synced)
        self.assertEqual(detach_audit.actor_type, "user")
        self.assertEqual(detach_audit.user_id, self.integration_manager)
        self.synced.with_user(self.hr_resolver).write({"department_id": self.ed.id})
        self.assertEqual(self.synced.department_id, self.ed)
        ignored = self.send_and_process(
            "employee_upsert", self.upsert_event("E800", occurred_at=self.later(seconds=1))
        )
        self.assertEqual(ignored.state, "done")
        self.assertEqual(self.synced.department_id, self.ed, "the HRIS no longer applies")
        self.assertTrue(self.audits("hr.employee.detached_ignored", self.synced))
        self.synced.with_user(self.integration_manager).action_hc_attach()
        self.assertEqual(self.synced.hc_sync_state, "synced")
        self.assertTrue(self.audits("hr.employee.attach", self.synced))
        self.send_and_process(
            "employee_upsert", self.upsert_event("E800", occurred_at=self.later(seconds=2))
        )
        self.assertEqual(self.synced.department_id, self.icu, "applies again once re-attached")

    def test_new_department_manager_does_not_override_the_hris_manager(self):
        self.send_and_process("employee_upsert", self.upsert_event("M801", job_code="CLERK"))
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E800", manager_external_id="M801", occurred_at=self.later(seconds=1)
            ),
        )
        manual_manager = self.env["hr.employee"].create({"name": "Department head"})
        self.icu.manager_id = self.employee("M801")
        self.icu.with_user(self.integration_manager).manager_id = manual_manager
        self.assertEqual(self.synced.parent_id, self.employee("M801"))

    def test_synced_employee_cannot_be_deleted(self):
        with self.assertRaises(UserError):
            self.synced.with_user(self.integration_manager).unlink()
