from odoo.tests import tagged

from .common import OMIT, HrSyncCase


@tagged("post_install", "-at_install")
class TestEmployeeUpsert(HrSyncCase):
    def test_hire_creates_the_employee_with_mapped_values(self):
        message = self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E100", first_name="Ada", last_name="Lovelace", work_phone="+1 555 0100"
            ),
        )
        self.assertEqual(message.state, "done")
        employee = self.employee("E100")
        self.assertEqual(employee.name, "Ada Lovelace")
        self.assertEqual(employee.work_email, "e100@hospital.test")
        self.assertEqual(employee.work_phone, "+1 555 0100")
        self.assertEqual(employee.department_id, self.icu)
        self.assertEqual(employee.job_id, self.job_rn)
        self.assertEqual(employee.job_title, "Registered Nurse")
        self.assertEqual(employee.hc_cost_center_id, self.cc_4410)
        self.assertEqual(employee.work_location_id, self.loc_main)
        self.assertEqual(employee.employee_type, "employee")
        self.assertEqual(str(employee.hc_hire_date), "2025-01-06")
        self.assertEqual(employee.hc_hris_status, "active")
        self.assertEqual(employee.hc_sync_state, "synced")
        self.assertEqual(employee.hc_external_id, "E100")
        self.assertEqual(employee.hc_backend_id, self.backend)
        self.assertIn(
            employee,
            message.link_ids.mapped(lambda link: self.env[link.res_model].browse(link.res_id)),
        )
        self.assertEqual(employee.hc_message_count, 1, "the smart button counts the history")

    def test_job_title_without_job_code(self):
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E101", job_code=OMIT, job_title="Ward volunteer coordinator"),
        )
        employee = self.employee("E101")
        self.assertFalse(employee.job_id)
        self.assertEqual(employee.job_title, "Ward volunteer coordinator")

    def test_agency_staff_link_to_the_agency_vendor(self):
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E102", employment_type="agency", agency_code="AGENCY-01"),
        )
        employee = self.employee("E102")
        self.assertEqual(employee.employee_type, "agency")
        self.assertEqual(employee.hc_agency_partner_id, self.agency)

    def test_same_event_three_times_and_three_event_ids_give_one_employee(self):
        payload = self.upsert_event("E103")
        first = self.send("employee_upsert", payload, event_id="evt-E103-a")
        for _attempt in range(2):
            again, status = self.Message._hc_enqueue(
                self.upsert_flow, payload, external_id="evt-E103-a"
            )
            self.assertEqual((again, status), (first, "duplicate"))
        self.send("employee_upsert", self.upsert_event("E103"), event_id="evt-E103-b")
        self.send("employee_upsert", self.upsert_event("E103"), event_id="evt-E103-c")
        self.process()
        self.assertEqual(self.Employee.search_count([("hc_external_id", "=", "E103")]), 1)
        self.assertEqual(self.Message.search_count([("ordering_key", "=", "employee:E103")]), 3)

    def test_stale_update_is_ignored_and_audited(self):
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E104", occurred_at=self.later(hours=-1), last_name="Newest"),
        )
        stale = self.send_and_process(
            "employee_upsert",
            self.upsert_event("E104", occurred_at=self.later(hours=-2), last_name="Older"),
        )
        self.assertEqual(stale.state, "done")
        self.assertEqual(self.employee("E104").name, "Nora Newest")
        self.assertTrue(
            self.Audit.sudo().search(
                [("message_id", "=", stale.id), ("action", "=", "message.stale")]
            )
        )

    def test_report_before_manager_waits_then_applies(self):
        report = self.send_and_process(
            "employee_upsert", self.upsert_event("E106", manager_external_id="M105")
        )
        self.assertEqual(report.state, "waiting")
        self.assertFalse(self.employee("E106"), "nothing applied while waiting")
        manager = self.send_and_process("employee_upsert", self.upsert_event("M105"))
        self.assertEqual(manager.state, "done")
        self.assertEqual(report.state, "done", "released by the manager's binding")
        self.assertEqual(self.employee("E106").parent_id, self.employee("M105"))

    def test_unknown_department_becomes_pending_mapping_then_reprocessed(self):
        message = self.send_and_process(
            "employee_upsert", self.upsert_event("E107", department_code="NEURO")
        )
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.error_class, "mapping")
        pending = self.Mapping.search(
            [("mapping_type", "=", "department"), ("external_code", "=", "NEURO")]
        )
        self.assertEqual(pending.state, "pending")
        exception = message.exception_ids
        self.assertEqual(exception.category, "mapping")
        self.assertEqual(exception.mapping_id, pending)
        neuro = self.env["hr.department"].create({"name": "Neurology"})
        pending.with_user(self.hr_resolver).write({"target_ref": f"hr.department,{neuro.id}"})
        self.process()
        self.assertEqual(message.state, "done", "re-queued automatically once mapped")
        self.assertEqual(self.employee("E107").department_id, neuro)
        self.assertEqual(exception.state, "resolved")

    def test_all_unknown_codes_listed_at_once(self):
        message = self.send_and_process(
            "employee_upsert",
            self.upsert_event("E108", department_code="NEURO", job_code="SURGEON", roles=["chief"]),
        )
        self.assertEqual(message.state, "exception")
        codes = set(
            self.Mapping.search([("state", "=", "pending")]).mapped(
                lambda m: (m.mapping_type, m.external_code)
            )
        )
        self.assertEqual(codes, {("department", "NEURO"), ("job", "SURGEON"), ("role", "chief")})

    def test_two_hris_ids_with_the_same_work_email_is_a_conflict_not_a_merge(self):
        self.send_and_process(
            "employee_upsert", self.upsert_event("E109", work_email="shared@hospital.test")
        )
        duplicate = self.send_and_process(
            "employee_upsert", self.upsert_event("E110", work_email="Shared@Hospital.test")
        )
        self.assertEqual(duplicate.state, "exception")
        self.assertEqual(duplicate.exception_ids.category, "conflict")
        self.assertEqual(duplicate.exception_ids.res_id, self.employee("E109").id)
        self.assertFalse(self.employee("E110"))
        self.assertEqual(
            self.Employee.search_count([("work_email", "=ilike", "shared@hospital.test")]), 1
        )
        self.assertIn("Nora Nurse E109", duplicate.exception_ids.description, "for people")
        self.assertFalse(
            self.Audit.sudo().search([("summary", "ilike", "Nurse E109")]),
            "never in the audit log",
        )

    def test_email_wildcards_are_not_a_duplicate(self):
        self.send_and_process("employee_upsert", self.upsert_event("E111", work_email="a_b@h.test"))
        other = self.send_and_process(
            "employee_upsert", self.upsert_event("E112", work_email="axb@h.test")
        )
        self.assertEqual(other.state, "done", "'_' is literal in the duplicate check")

    def test_fields_outside_the_allow_list_are_never_stored(self):
        payload = self.upsert_event("E113")
        payload["employee"].update(
            ssn="123-45-6789",
            date_of_birth="1980-02-03",
            salary={"amount": 98000, "currency": "USD"},
            home_address={"street": "1 Private Lane", "city": "Springfield"},
            bank_account="DE89370400440532013000",
        )
        payload["patient_name"] = "John Doe"
        message = self.send_and_process("employee_upsert", payload)
        self.assertEqual(message.state, "done")
        stored = str(message.sudo().payload)
        for secret in ("123-45-6789", "1980-02-03", "98000", "Private Lane", "DE8937", "John Doe"):
            self.assertNotIn(secret, stored)
        self.assertEqual(set(message.sudo().payload["employee"]), set(self.employee_data("E113")))
        employee = self.employee("E113")
        self.assertFalse(employee.ssnid)
        self.assertFalse(employee.birthday)
        self.assertFalse(employee.private_street)
        self.env.cr.execute(
            "SELECT count(*) FROM hc_integration_audit WHERE summary LIKE %s",
            ("%123-45-6789%",),
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_rehire_under_the_same_external_id_reactivates_the_same_employee(self):
        self.send_and_process("employee_upsert", self.upsert_event("E114"))
        employee = self.employee("E114")
        self.send_and_process(
            "employee_terminate",
            self.terminate_event("E114", self.now().date(), immediate=True, reason="Resigned"),
        )
        self.assertFalse(employee.active)
        self.assertEqual(employee.departure_reason_id, self.env.ref("hr.departure_resigned"))
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E114", department_code="ED", occurred_at=self.later(seconds=5)),
        )
        self.assertTrue(employee.active)
        self.assertEqual(self.employee("E114"), employee, "the same record")
        self.assertEqual(employee.hc_hris_status, "active")
        self.assertEqual(employee.department_id, self.ed)
        self.assertFalse(employee.departure_date)
        self.assertEqual(self.Employee.search_count([("hc_external_id", "=", "E114")]), 1)
        self.assertGreaterEqual(employee.hc_message_count, 3, "history kept")
        self.assertTrue(self.audits("hr.employee.rehired", employee))

    def test_leave_status(self):
        self.send_and_process("employee_upsert", self.upsert_event("E115", status="leave"))
        employee = self.employee("E115")
        self.assertTrue(employee.active)
        self.assertEqual(employee.hc_hris_status, "leave")

    def test_absent_key_keeps_the_value_empty_value_clears_it(self):
        self.send_and_process(
            "employee_upsert", self.upsert_event("E116", work_phone="+1 555 0116")
        )
        payload = self.upsert_event("E116", occurred_at=self.later(seconds=1))
        del payload["employee"]["location_code"]
        payload["employee"]["work_phone"] = None
        self.send_and_process("employee_upsert", payload)
        employee = self.employee("E116")
        self.assertEqual(employee.work_location_id, self.loc_main, "absent: unchanged")
        self.assertFalse(employee.work_phone, "null: cleared")

    def test_own_manager_is_a_validation_error(self):
        message = self.send_and_process("employee_upsert", self.upsert_event("E117"))
        message = self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E117", manager_external_id="E117", occurred_at=self.later(seconds=1)
            ),
        )
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.exception_ids.category, "validation")

    def test_invalid_payload_is_refused_by_the_schema(self):
        payload = self.upsert_event("E118", status="retired", hire_date="06/01/2025")
        errors = self.upsert_flow._validate_payload(payload)
        paths = {error["path"] for error in errors}
        self.assertEqual(paths, {"/employee/status", "/employee/hire_date"})
        self.assertFalse(any("retired" in error["message"] for error in errors))
        payload = self.upsert_event("E118")
        del payload["employee"]["first_name"]
        self.assertEqual(self.upsert_flow._validate_payload(payload)[0]["path"], "/employee")
