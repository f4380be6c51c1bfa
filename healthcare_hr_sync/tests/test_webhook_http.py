import json
import os
import uuid
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.healthcare_integration_base.tools import standard_webhooks

from .common import TEST_KEY

SECRET = "whsec_" + "aHItd2ViaG9vay10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5"


@tagged("post_install", "-at_install")
class TestHrWebhook(HttpCase):
    """The HR flows through the real route: signed POST → 202 → processed → employee."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        key = patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY})
        key.start()
        cls.addClassCleanup(key.stop)
        cls.backend = cls.env["hc.integration.backend"].create(
            {"name": "HRIS over HTTP", "code": "hris_http", "backend_type": "hris"}
        )
        cls.backend.webhook_secret = SECRET
        cls.backend._hc_hr_setup_flows()
        cls.icu = cls.env["hr.department"].create({"name": "ICU (http)"})
        cls.env["hc.integration.mapping"].create(
            {
                "backend_id": cls.backend.id,
                "mapping_type": "department",
                "external_code": "ICU",
                "target_ref": f"hr.department,{cls.icu.id}",
            }
        )

    def post(self, flow, body, event_id=None):
        data = json.dumps(body).encode()
        headers = standard_webhooks.sign_headers(
            SECRET, event_id or f"msg_{uuid.uuid4().hex}", data
        )
        headers["Content-Type"] = "application/json"
        return self.opener.post(
            f"{self.base_url()}/healthcare/webhook/{self.backend.code}/{flow}",
            data=data,
            headers=headers,
            timeout=30,
        )

    def event(self, event_type, **body):
        return dict(
            body,
            event_type=event_type,
            schema_version="1.0",
            occurred_at=fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    def test_signed_upsert_becomes_an_employee(self):
        body = self.event(
            "employee.upsert",
            employee={
                "external_id": "W1",
                "first_name": "Wanda",
                "last_name": "Web",
                "department_code": "ICU",
                "ssn": "111-22-3333",
            },
        )
        response = self.post("employee_upsert", body, event_id="msg_w1")
        self.assertEqual(response.status_code, 202, response.text)
        again = self.post("employee_upsert", body, event_id="msg_w1")
        self.assertEqual(again.status_code, 200, "a duplicate answers with the original")
        self.assertEqual(again.json()["message_id"], response.json()["message_id"])
        message = self.env["hc.integration.message"].sudo().search([("external_id", "=", "msg_w1")])
        self.assertNotIn("111-22-3333", json.dumps(message.payload))
        self.env["hc.integration.processor"]._cron_process_queue()
        self.assertEqual(message.state, "done")
        employee = self.env["hc.integration.binding"]._find_record(
            self.backend, "employee", "W1", "hr.employee"
        )
        self.assertEqual(employee.name, "Wanda Web")
        self.assertEqual(employee.department_id, self.icu)

    def test_attendance_control_total_is_a_422(self):
        body = self.event(
            "attendance.summary",
            period_start="2026-03-01",
            period_end="2026-03-15",
            lines=[{"employee_external_id": "W1", "regular_hours": 8}],
            control_total_hours=9,
        )
        response = self.post("attendance_summary", body)
        self.assertEqual(response.status_code, 422, response.text)
        self.assertIn("/control_total_hours", response.text)

    def test_invalid_upsert_is_a_422_without_echoing_values(self):
        body = self.event(
            "employee.upsert",
            employee={
                "external_id": "W2",
                "first_name": "X",
                "last_name": "Y",
                "status": "fired-secretly",
            },
        )
        response = self.post("employee_upsert", body)
        self.assertEqual(response.status_code, 422)
        self.assertNotIn("fired-secretly", response.text)
