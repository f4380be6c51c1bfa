"""835 files and revenue-cycle events through the real webhook route (signed HTTP)."""

import json
import uuid

from odoo.tests import HttpCase, tagged

from odoo.addons.healthcare_integration_base.tools import standard_webhooks

from .common import RcmCase, fixture

SECRET = "whsec_" + "cmNtLXdlYmhvb2stdGVzdC1zZWNyZXQtb25seS0xMjM0"


@tagged("post_install", "-at_install")
class TestRemittanceWebhook(RcmCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.clearinghouse | cls.billing).write({"webhook_secret": SECRET})

    def post(self, backend, flow, data, content_type="application/edi-x12", event_id=None):
        if isinstance(data, dict):
            data = json.dumps(data).encode()
        headers = standard_webhooks.sign_headers(
            SECRET, event_id or f"msg_{uuid.uuid4().hex}", data
        )
        headers["Content-Type"] = content_type
        return self.opener.post(
            f"{self.base_url()}/healthcare/webhook/{backend}/{flow}",
            data=data,
            headers=headers,
            timeout=60,
        )

    def test_835_over_http(self):
        response = self.post(
            "t_clearing", "remittance_835", fixture("remit_basic.835"), event_id="f1"
        )
        self.assertEqual(response.status_code, 202, response.text)
        message = self.Message.browse(response.json()["message_id"])
        self.assertEqual(message.flow_id, self.flow_835)
        self.assertNotIn("JANE", json.dumps(message.payload), "minimised at ingest")
        # the same delivery again: 200 with the original message
        again = self.post("t_clearing", "remittance_835", fixture("remit_basic.835"), event_id="f1")
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["message_id"], message.id)
        self.process()
        self.assertEqual(self.remittance("EFT0001").payment_id.amount, 172.50)

    def test_malformed_and_wrong_type(self):
        garbage = self.post("t_clearing", "remittance_835", b"NOT-AN-X12-BODY with secrets")
        self.assertEqual(garbage.status_code, 400, garbage.text)
        self.assertTrue(garbage.headers["Content-Type"].startswith("application/problem+json"))
        self.assertNotIn("secrets", garbage.text, "the body is not echoed")
        truncated = self.post("t_clearing", "remittance_835", fixture("remit_basic.835")[:500])
        self.assertEqual(truncated.status_code, 400, truncated.text)
        wrong_type = self.post(
            "t_clearing", "remittance_835", fixture("remit_basic.835"), "application/json"
        )
        self.assertEqual(wrong_type.status_code, 415, wrong_type.text)
        self.assertFalse(self.Message.search([("flow_id", "=", self.flow_835.id)]))

    def test_unbalanced_file_is_accepted_then_rejected_per_transaction(self):
        response = self.post("t_clearing", "remittance_835", fixture("remit_unbalanced.835"))
        self.assertEqual(response.status_code, 202, response.text)
        self.process()
        self.assertFalse(self.remittance("EFT0500"))
        self.assertTrue(self.remittance("CHK0501"))

    def test_json_events_over_http(self):
        body = {
            "event_type": "payment.posted",
            "schema_version": "1.0",
            "occurred_at": "2026-03-02T10:00:00Z",
            "payment_id": "PAY-HTTP-1",
            "payer_code": "PAYER01",
            "amount": "99.90",
            "currency": self.company.currency_id.name,
            "received_on": "2026-03-02",
            "trace_number": "TRC-HTTP-1",
            "patient_name": "Jane Doe",
        }
        response = self.post("t_billing", "payment_posted", body, "application/json")
        self.assertEqual(response.status_code, 202, response.text)
        message = self.Message.browse(response.json()["message_id"])
        self.assertNotIn("patient_name", message.payload, "dropped by the allow-list")
        bad = dict(body, amount="99.999")
        response = self.post("t_billing", "payment_posted", bad, "application/json")
        self.assertEqual(response.status_code, 422, response.text)
        self.assertNotIn("99.999", response.text)
        self.process()
        self.assertEqual(message.state, "done")
