import base64
import json
import os
from unittest.mock import patch

import jsonschema

from odoo.modules.module import get_module_path
from odoo.tests import tagged

from odoo.addons.healthcare_integration_base.tools import standard_webhooks

from .common import TEST_KEY, HrSyncCase, JsonStandIn

PAYROLL_SECRET = "whsec_" + base64.b64encode(b"payroll-stand-in-secret-01234567").decode()


@tagged("post_install", "-at_install")
class TestAttendanceAndLabour(HrSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payroll = cls.env["hc.integration.backend"].create(
            {"name": "Test payroll", "code": "payroll_test", "backend_type": "payroll"}
        )
        cls.labour_flow = cls.payroll._hc_hr_setup_flows().filtered(
            lambda flow: flow.code == "labour_allocation"
        )
        with patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY}):
            cls.payroll.outbound_secret = PAYROLL_SECRET

    def setUp(self):
        super().setUp()
        for external_id in ("E600", "E601"):
            self.send_and_process(
                "employee_upsert", self.upsert_event(external_id, job_code="CLERK")
            )

    def summary_event(self, lines=None, control=None, start="2026-03-01", end="2026-03-15"):
        lines = lines or [
            {"employee_external_id": "E600", "regular_hours": 72, "overtime_hours": 4.5},
            {
                "employee_external_id": "E600",
                "cost_center_code": "CC-5200",
                "regular_hours": 8,
                "leave_hours": 0,
            },
            {"employee_external_id": "E601", "regular_hours": 64, "leave_hours": 16},
        ]
        total = control if control is not None else 72 + 4.5 + 8 + 64 + 16
        return self.envelope(
            "attendance.summary",
            period_start=start,
            period_end=end,
            lines=lines,
            control_total_hours=total,
        )

    def summaries(self):
        return self.env["hc.hr.attendance.summary"].search(
            [("backend_id", "=", self.backend.id)], order="employee_id, cost_center_id"
        )

    def test_summary_stored_per_employee_period_and_cost_centre(self):
        message = self.send_and_process("attendance_summary", self.summary_event())
        self.assertEqual(message.state, "done")
        self.assertEqual(message.ordering_key, "attendance:2026-03-01:2026-03-15")
        summaries = self.summaries()
        self.assertEqual(len(summaries), 3)
        e600 = summaries.filtered(lambda s: s.employee_id == self.employee("E600"))
        self.assertEqual(e600.cost_center_id, self.cc_4410 | self.cc_5200)
        main = e600.filtered(lambda s: s.cost_center_id == self.cc_4410)
        self.assertEqual(
            (main.regular_hours, main.overtime_hours, main.total_hours), (72, 4.5, 76.5)
        )
        self.assertEqual(sum(summaries.mapped("total_hours")), 164.5)
        self.assertEqual(set(summaries.mapped("state")), {"draft"})

    def test_lines_on_the_same_cost_centre_add_up(self):
        lines = [
            {"employee_external_id": "E600", "regular_hours": 40},
            {"employee_external_id": "E600", "cost_center_code": "CC-4410", "regular_hours": 30},
        ]
        self.send_and_process("attendance_summary", self.summary_event(lines=lines, control=70))
        summaries = self.summaries()
        self.assertEqual(len(summaries), 1, "the employee's cost centre is CC-4410")
        self.assertEqual(summaries.regular_hours, 70)

    def test_control_total_checked(self):
        errors = self.flow["attendance_summary"]._validate_payload(self.summary_event(control=100))
        self.assertEqual(errors[0]["path"], "/control_total_hours")
        message, _status = self.Message._hc_enqueue(
            self.flow["attendance_summary"],
            self.summary_event(control=100),
            external_id="bad-total",
        )
        self.process()
        self.assertEqual(message.state, "exception", "checked again before applying")
        self.assertFalse(self.summaries())

    def test_batch_sent_again_replaces_the_period(self):
        self.send_and_process("attendance_summary", self.summary_event())
        self.summaries().action_approve()
        corrected = self.summary_event(
            lines=[{"employee_external_id": "E600", "regular_hours": 70}], control=70
        )
        self.send_and_process("attendance_summary", corrected)
        summaries = self.summaries()
        self.assertEqual(len(summaries), 1)
        self.assertEqual(summaries.regular_hours, 70)
        self.assertEqual(summaries.state, "draft", "changed hours need a new approval")

    def test_unknown_employee_line_waits(self):
        message = self.send_and_process(
            "attendance_summary",
            self.summary_event(
                lines=[{"employee_external_id": "E699", "regular_hours": 8}], control=8
            ),
        )
        self.assertEqual(message.state, "waiting")
        self.send_and_process("employee_upsert", self.upsert_event("E699", job_code="CLERK"))
        self.assertEqual(message.state, "done")

    def test_labour_allocation_produced_with_control_totals(self):
        self.send_and_process("attendance_summary", self.summary_event())
        summaries = self.summaries()
        summaries.with_user(self.hr_resolver).action_approve()
        message = self.env["hc.hr.handler.labour.allocation"]._hc_produce()
        self.assertEqual(len(message), 1)
        self.assertEqual(message.direction, "outbound")
        self.assertEqual(message.flow_id, self.labour_flow)
        payload = message.sudo().payload
        schema_path = os.path.join(
            get_module_path("healthcare_hr_sync"), "schemas", "labour.allocation", "1.0.json"
        )
        with open(schema_path) as schema_file:
            jsonschema.validate(payload, json.load(schema_file))
        self.assertEqual(payload["period_start"], "2026-03-01")
        self.assertEqual(payload["control_total_hours"], 164.5)
        self.assertEqual(payload["line_count"], 3)
        self.assertEqual(payload["employee_count"], 2)
        lines = {
            (line["employee_external_id"], line["cost_center_code"]): line
            for line in payload["lines"]
        }
        self.assertEqual(lines[("E600", "CC-4410")]["total_hours"], 76.5)
        self.assertEqual(lines[("E601", "CC-4410")]["leave_hours"], 16)
        self.assertEqual(
            {t["cost_center_code"]: t["total_hours"] for t in payload["cost_center_totals"]},
            {"CC-4410": 156.5, "CC-5200": 8},
        )
        self.assertEqual(set(summaries.mapped("state")), {"exported"})
        self.assertFalse(self.env["hc.hr.handler.labour.allocation"]._hc_produce(), "sent once")
        # a period already sent to payroll is not silently replaced
        again = self.send_and_process("attendance_summary", self.summary_event(), expect="created")
        self.assertEqual(again.state, "exception")
        self.assertEqual(again.exception_ids.category, "conflict")

    def test_only_approved_summaries_are_sent(self):
        self.send_and_process("attendance_summary", self.summary_event())
        self.assertFalse(self.env["hc.hr.handler.labour.allocation"]._hc_produce())

    def test_labour_allocation_delivered_signed_to_payroll(self):
        received = []

        def payroll(method, path, headers, body):
            lower = {key.lower(): value for key, value in headers.items()}
            standard_webhooks.verify([PAYROLL_SECRET], lower, body, tolerance=300)
            received.append((path, json.loads(body), lower["webhook-id"]))
            return 202, {"status": "accepted"}

        self.send_and_process("attendance_summary", self.summary_event())
        self.summaries().action_approve()
        with JsonStandIn(payroll) as stand_in:
            self.payroll.base_url = stand_in.url
            message = self.env["hc.hr.handler.labour.allocation"]._hc_produce()
            with patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY}):
                self.Processor._cron_process_queue(lane=0, direction="outbound")
        self.assertEqual(message.state, "done")
        self.assertEqual(len(received), 1)
        path, body, webhook_id = received[0]
        self.assertEqual(path, "/labour-allocations")
        self.assertEqual(body["control_total_hours"], 164.5)
        self.assertEqual(webhook_id, message.external_id, "stable id for de-duplication")
