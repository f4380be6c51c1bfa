from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import HrSyncCase


@tagged("post_install", "-at_install")
class TestEmployeeTransfer(HrSyncCase):
    def setUp(self):
        super().setUp()
        self.send_and_process("employee_upsert", self.upsert_event("M200", job_code="CLERK"))
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E201", manager_external_id="M200", occurred_at=self.later(hours=-3)),
        )
        self.employee_201 = self.employee("E201")

    def test_future_transfer_waits_for_its_date_and_keeps_history(self):
        self.send_and_process("employee_upsert", self.upsert_event("M202", job_code="CLERK"))
        effective = (self.now() + timedelta(days=10)).date()
        message = self.send_and_process(
            "employee_transfer",
            self.transfer_event(
                "E201",
                effective,
                department_code="ED",
                manager_external_id="M202",
                cost_center_code="CC-5200",
                location_code="NORTH",
                job_code="CLERK",
            ),
        )
        self.assertEqual(message.state, "pending", "waits for its effective date")
        self.assertEqual(str(message.effective_at.date()), str(effective))
        self.assertEqual(self.employee_201.department_id, self.icu)
        with freeze_time(message.effective_at + timedelta(minutes=1)):
            self.process()
        self.assertEqual(message.state, "done")
        employee = self.employee_201
        self.assertEqual(employee.department_id, self.ed)
        self.assertEqual(employee.parent_id, self.employee("M202"))
        self.assertEqual(employee.hc_cost_center_id, self.cc_5200)
        self.assertEqual(employee.work_location_id, self.loc_north)
        self.assertEqual(employee.job_id, self.job_clerk)
        tracked = employee.message_ids.tracking_value_ids.mapped("field_id.name")
        for name in (
            "department_id",
            "parent_id",
            "hc_cost_center_id",
            "work_location_id",
            "job_id",
        ):
            self.assertIn(name, tracked, f"previous {name} kept in the chatter")
        old = employee.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "department_id"
        )
        self.assertIn(self.icu.name, old.mapped("old_value_char"))

    def test_future_transfer_does_not_block_later_updates(self):
        effective = (self.now() + timedelta(days=10)).date()
        transfer = self.send_and_process(
            "employee_transfer", self.transfer_event("E201", effective, department_code="ED")
        )
        update = self.send_and_process(
            "employee_upsert",
            self.upsert_event("E201", work_phone="+1 555 0201", manager_external_id="M200"),
        )
        self.assertEqual(update.state, "done")
        self.assertEqual(transfer.state, "pending")
        with freeze_time(transfer.effective_at + timedelta(hours=1)):
            self.process()
        self.assertEqual(transfer.state, "done", "not stale: an upsert before its date")
        self.assertEqual(self.employee_201.department_id, self.ed)
        self.assertEqual(self.employee_201.work_phone, "+1 555 0201")

    def test_transfer_is_stale_when_an_upsert_occurred_after_its_date(self):
        effective = (self.now() - timedelta(days=1)).date()
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("E201", department_code="ICU", manager_external_id="M200"),
        )
        late = self.send_and_process(
            "employee_transfer",
            self.transfer_event(
                "E201", effective, occurred_at=self.later(days=-2), department_code="ED"
            ),
        )
        self.assertEqual(late.state, "done")
        self.assertEqual(self.employee_201.department_id, self.icu)
        self.assertTrue(
            self.Audit.sudo().search(
                [("message_id", "=", late.id), ("action", "=", "message.stale")]
            )
        )

    def test_transfer_before_hire_waits_then_applies(self):
        transfer = self.send_and_process(
            "employee_transfer",
            self.transfer_event("E203", self.now().date(), department_code="ED"),
        )
        self.assertEqual(transfer.state, "waiting")
        self.assertFalse(self.employee("E203"))
        hire = self.send_and_process(
            "employee_upsert", self.upsert_event("E203", occurred_at=self.later(days=-1))
        )
        self.assertEqual(hire.state, "done", "the waiting transfer does not block the hire")
        self.assertEqual(transfer.state, "done", "released by the hire's binding")
        self.assertEqual(self.employee("E203").department_id, self.ed)

    def test_unknown_code_in_transfer(self):
        message = self.send_and_process(
            "employee_transfer",
            self.transfer_event("E201", self.now().date(), location_code="MOON"),
        )
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.error_class, "mapping")

    def test_manager_change_moves_approvers(self):
        if "leave_manager_id" not in self.env["hr.employee"]._fields:
            self.skipTest("hr_holidays is not installed")
        self.upsert_flow.hr_provision_users = True
        self.send_and_process("employee_upsert", self.upsert_event("M204", job_code="CLERK"))
        self.send_and_process(
            "employee_upsert",
            self.upsert_event("M200", job_code="CLERK", occurred_at=self.later(seconds=1)),
        )
        manager_200, manager_204 = self.employee("M200"), self.employee("M204")
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E201", manager_external_id="M200", occurred_at=self.later(seconds=2)
            ),
        )
        self.assertEqual(self.employee_201.leave_manager_id, manager_200.user_id)
        self.send_and_process(
            "employee_transfer",
            self.transfer_event(
                "E201",
                self.now().date(),
                manager_external_id="M204",
                occurred_at=self.later(seconds=3),
            ),
        )
        self.assertEqual(self.employee_201.leave_manager_id, manager_204.user_id)
