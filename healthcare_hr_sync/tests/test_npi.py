import json

from odoo.exceptions import ValidationError
from odoo.tests import BaseCase, tagged

from ..tools.npi import is_valid_npi, luhn_check_digit, npi_problem
from .common import HrSyncCase
from .http_common import HrWebhookCase


class TestNpiTool(BaseCase):
    """tools/npi.py: 10 digits, Luhn check digit over the 80840 prefix."""

    def test_check_digit(self):
        self.assertEqual(luhn_check_digit("80840123456789"), 3)
        self.assertTrue(is_valid_npi("1234567893"))
        self.assertFalse(is_valid_npi("1234567890"))
        # NPIs of the public NPPES registry
        for npi in ("1245319599", "1003000126", "1669487138"):
            self.assertTrue(is_valid_npi(npi), npi)
        self.assertFalse(is_valid_npi("1245319598"))

    def test_shape(self):
        for value in ("123456789", "12345678931", "12345678 3", " 1234567893", "123456789X"):
            self.assertEqual(npi_problem(value), "must be 10 digits", value)
        for value in (1234567893, None, ["1234567893"]):
            self.assertEqual(npi_problem(value), "must be 10 digits")
        self.assertEqual(npi_problem("1234567890"), "is not a valid NPI (check digit)")
        self.assertNotIn("1234567890", npi_problem("1234567890"), "the value is never echoed")


@tagged("post_install", "-at_install")
class TestNpiCredentials(HrSyncCase):
    """Credentials of an NPI type are checked at ingest, when applied, and by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.npi_type = cls.env.ref("healthcare_hr_sync.credential_type_npi")

    def test_invalid_npi_is_refused_at_ingest(self):
        flow = self.flow["credential_update"]
        bad = self.credential_event("E1", type="NPI", number="1234567890")
        self.assertEqual(
            flow._validate_payload(bad),
            [{"path": "/credential/number", "message": "is not a valid NPI (check digit)"}],
        )
        short = self.credential_event("E1", type="NPI", number="123456789")
        self.assertEqual([e["path"] for e in flow._validate_payload(short)], ["/credential/number"])
        # other types keep their free-form numbers
        self.assertFalse(
            flow._validate_payload(self.credential_event("E1", type="RN_LICENSE", number="12"))
        )
        upsert = self.upsert_event(
            "E1",
            credentials=[
                {"type": "RN_LICENSE", "number": "RN-1", "status": "active"},
                {"type": "NPI", "number": "1234567890", "status": "active"},
            ],
        )
        self.assertEqual(
            [e["path"] for e in self.upsert_flow._validate_payload(upsert)],
            ["/employee/credentials/1/number"],
        )

    def test_valid_npi_becomes_a_credential(self):
        self.send_and_process("employee_upsert", self.upsert_event("E2"))
        self.send_and_process(
            "credential_update",
            self.credential_event("E2", type="NPI", number="1234567893", issuer="NPPES"),
        )
        credential = self.employee("E2").hc_credential_ids.filtered(
            lambda c: c.type_id == self.npi_type
        )
        self.assertEqual(credential.number, "1234567893")

    def test_a_code_mapped_to_the_npi_type_is_checked_too(self):
        flow = self.flow["credential_update"]
        event = self.credential_event("E3", type="US_NPI", number="1234567890")
        self.assertFalse(flow._validate_payload(event), "US_NPI is not an NPI type yet")
        self.send_and_process("employee_upsert", self.upsert_event("E3"))
        message = self.send("credential_update", event)
        # mapped after the message was accepted: the check runs again when it is applied
        self.Mapping.create(
            {
                "backend_id": self.backend.id,
                "mapping_type": "credential_type",
                "external_code": "US_NPI",
                "target_ref": f"hc.hr.credential.type,{self.npi_type.id}",
            }
        )
        self.process()
        self.assertEqual(message.state, "exception")
        self.assertIn("not a valid NPI", message.exception_ids.description)
        self.assertNotIn("1234567890", message.exception_ids.description)
        self.assertEqual(
            [e["path"] for e in flow._validate_payload(event)],
            ["/credential/number"],
            "now refused at the door",
        )

    def test_hr_cannot_enter_an_invalid_npi(self):
        self.send_and_process("employee_upsert", self.upsert_event("E4"))
        credentials = self.env["hc.hr.credential"]
        with self.assertRaises(ValidationError):
            credentials.create(
                {
                    "employee_id": self.employee("E4").id,
                    "type_id": self.npi_type.id,
                    "number": "1234567890",
                }
            )
        credentials.create(
            {
                "employee_id": self.employee("E4").id,
                "type_id": self.npi_type.id,
                "number": "1234567893",
            }
        )


@tagged("post_install", "-at_install")
class TestNpiWebhook(HrWebhookCase):
    """An invalid NPI is a 422 at the webhook, with the path and without the number."""

    backend_code = "hris_npi"

    def event(self, number):
        return {
            "event_type": "credential.update",
            "schema_version": "1.0",
            "occurred_at": "2025-07-01T08:00:00Z",
            "employee_external_id": "W-NPI",
            "credential": {"type": "NPI", "number": number, "status": "active"},
        }

    def test_invalid_npi_answers_422(self):
        response = self.post("credential_update", self.event("1234567890"))
        self.assertEqual(response.status_code, 422, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/problem+json")
        problem = response.json()
        self.assertIn("/credential/number", json.dumps(problem))
        self.assertNotIn("1234567890", response.text)
        self.assertEqual(self.post("credential_update", self.event("1234567893")).status_code, 202)
