"""The HR events dataset of the governed extracts (issue 14 §5): hires, transfers and
terminations as ids, codes, states and times, never the people's data."""

from odoo.tests import tagged

from odoo.addons.healthcare_integration_base.tests.extract_common import ExtractTestMixin

from .common import HrSyncCase

HR_EVENT_COLUMNS = [
    "message_id",
    "company_id",
    "backend_code",
    "flow_code",
    "event_type",
    "state",
    "employee_id",
    "department_id",
    "job_id",
    "occurred_at",
    "effective_at",
    "received_at",
    "finished_at",
    "updated_at",
]


@tagged("post_install", "-at_install")
class TestExtractHrEvents(ExtractTestMixin, HrSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["hc.integration.backend"].create(
            {"name": "HR warehouse", "code": "t_hr_warehouse"}
        )
        cls.other_flow = cls.env["hc.integration.flow"].create(
            {
                "name": "Contacts",
                "code": "contacts",
                "backend_id": cls.backend.id,
                "handler_model": "hc.integration.handler.sample",
                "event_type": "contact.upsert",
            }
        )

    def test_hire_and_termination_as_ids_and_codes(self):
        extract = self.make_extract(self.warehouse, dataset="hr_events")
        hire = self.send_and_process(
            "employee_upsert",
            self.upsert_event("E900", first_name="Ottoline", last_name="Phiperson"),
        )
        employee = self.employee("E900")
        leave = self.send_and_process(
            "employee_terminate", self.terminate_event("E900", self.now().date(), immediate=True)
        )
        # a message of a flow that is not an HR flow stays out
        self.Message._hc_enqueue(
            self.other_flow,
            self.envelope("contact.upsert", contact={"external_id": "C9", "name": "X"}),
            external_id="evt-not-hr",
        )
        extract._hc_run()
        data = self.read_bytes(extract)
        for personal in (b"Ottoline", b"Phiperson", b"e900@hospital.test", b"E900"):
            self.assertNotIn(personal, data)
        header, rows = self.parse(data, "csv")
        self.assertEqual(header, HR_EVENT_COLUMNS)
        by_message = {int(row["message_id"]): row for row in rows}
        self.assertEqual(set(by_message), {hire.id, leave.id})
        row = by_message[hire.id]
        self.assertEqual(row["event_type"], "employee.upsert")
        self.assertEqual(row["flow_code"], "employee_upsert")
        self.assertEqual(row["state"], "done")
        self.assertEqual(int(row["employee_id"]), employee.id)
        self.assertEqual(int(row["department_id"]), self.icu.id)
        self.assertEqual(int(row["job_id"]), self.job_rn.id)
        self.assertEqual(by_message[leave.id]["event_type"], "employee.terminate")
        self.assertEqual(by_message[leave.id]["state"], "done")
        self.assertEqual(int(by_message[leave.id]["employee_id"]), employee.id)
