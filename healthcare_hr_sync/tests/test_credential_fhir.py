import copy
import json
import logging
import re
import uuid

from odoo.tests import tagged
from odoo.tools import SQL

from ..models.hc_integration_flow_fhir import DEFAULT_EMPLOYEE_SYSTEM
from .common import HrSyncCase, JsonStandIn
from .http_common import HrWebhookCase

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
#: Personal data of the practitioner below that must never reach the database or the logs.
PERSONAL = (
    "Zebediah",
    "Quill",
    "1961-07-23",
    "742 Evergreen Terrace",
    "555-0199",
    "zeb.quill@home.example",
    "999-99-1234",
    "UEhPVE8tREFUQS1NQVJLRVI",
)


def practitioner(employee_id="E10", npi="1234567893", **extra):
    """A FHIR R4 Practitioner as a credentialing system exports it, personal data included."""
    identifiers = [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-99-1234"}]
    if employee_id:
        identifiers.append({"system": DEFAULT_EMPLOYEE_SYSTEM, "value": employee_id})
    if npi:
        identifiers.append({"system": NPI_SYSTEM, "value": npi})
    resource = {
        "resourceType": "Practitioner",
        "id": f"prac-{employee_id or npi}",
        "meta": {"versionId": "3", "lastUpdated": "2025-07-01T09:30:00.000+02:00"},
        "identifier": identifiers,
        "active": True,
        "name": [{"family": "Quill", "given": ["Zebediah"]}],
        "telecom": [
            {"system": "phone", "value": "555-0199", "use": "home"},
            {"system": "email", "value": "zeb.quill@home.example"},
        ],
        "address": [{"line": ["742 Evergreen Terrace"], "city": "Springfield"}],
        "gender": "male",
        "birthDate": "1961-07-23",
        "photo": [{"contentType": "image/png", "data": "UEhPVE8tREFUQS1NQVJLRVI="}],
        "qualification": [
            {
                "identifier": [{"value": "RN-5566"}],
                "code": {
                    "coding": [
                        {"system": "http://example.org/credential-types", "code": "RN_LICENSE"}
                    ],
                    "text": "Registered nurse licence",
                },
                "period": {"start": "2024-01-01", "end": "2027-06-30"},
                "issuer": {"display": "State Board of Nursing"},
            }
        ],
    }
    resource.update(extra)
    return resource


@tagged("post_install", "-at_install")
class TestCredentialFhir(HrSyncCase):
    """credential_fhir: a FHIR Practitioner → the employee's credential records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fhir_flow = cls.flow["credential_fhir"]
        cls.npi_type = cls.env.ref("healthcare_hr_sync.credential_type_npi")

    def receive(self, resource, expect="created"):
        """As the webhook does it: parse, validate, minimise, enqueue."""
        handler = self.fhir_flow._get_handler()
        payload = handler._hc_parse_body(self.fhir_flow, json.dumps(resource).encode(), "")
        self.assertFalse(self.fhir_flow._validate_payload(payload))
        message, status = self.Message._hc_enqueue(
            self.fhir_flow, payload, external_id=f"fhir-{uuid.uuid4().hex[:12]}"
        )
        self.assertEqual(status, expect)
        return message

    def errors(self, resource):
        handler = self.fhir_flow._get_handler()
        payload = handler._hc_parse_body(self.fhir_flow, json.dumps(resource).encode(), "")
        return self.fhir_flow._validate_payload(payload)

    def credentials(self, external_id):
        return self.employee(external_id).hc_credential_ids

    def test_practitioner_becomes_the_same_credential_records(self):
        self.send_and_process("employee_upsert", self.upsert_event("E10"))
        message = self.receive(practitioner())
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        credentials = self.credentials("E10")
        npi = credentials.filtered(lambda c: c.type_id == self.npi_type)
        self.assertEqual(npi.number, "1234567893")
        licence = credentials.filtered(lambda c: c.type_id == self.rn_license)
        self.assertEqual(
            (licence.number, str(licence.expires_on), licence.issuer, licence.status),
            ("RN-5566", "2027-06-30", "State Board of Nursing", "active"),
        )
        self.assertEqual(licence.source, "hris")
        self.assertTrue(licence.is_valid)
        self.assertEqual(str(message.occurred_at), "2025-07-01 07:30:00", "meta.lastUpdated")
        # the same licence as a credential.update later: one record, not two
        self.send_and_process(
            "credential_update",
            self.credential_event("E10", number="RN-5566", expires_on="2028-06-30"),
        )
        self.assertEqual(
            len(self.credentials("E10").filtered(lambda c: c.type_id == self.rn_license)), 1
        )
        self.assertEqual(str(licence.expires_on), "2028-06-30")

    def test_personal_data_is_stored_nowhere(self):
        self.send_and_process("employee_upsert", self.upsert_event("E11"))
        with self.assertLogs("odoo", level=logging.DEBUG) as logs:
            message = self.receive(practitioner("E11"))
            self.process()
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(
            {i["system"] for i in message.payload["identifier"]},
            {DEFAULT_EMPLOYEE_SYSTEM, NPI_SYSTEM},
            "the SSN identifier is dropped, though its paths are allow-listed",
        )
        self.assertEqual(
            set(message.payload),
            {
                "resourceType",
                "identifier",
                "qualification",
                "event_type",
                "schema_version",
                "occurred_at",
            },
        )
        output = "\n".join(logs.output)
        self.env.flush_all()
        # the scan finds what is stored: the licence number kept on purpose
        self.assertIn("hc_hr_credential", self._tables_holding("RN-5566"))
        for marker in PERSONAL:
            self.assertNotIn(marker, output)
            self.assertEqual(self._tables_holding(marker), [], marker)

    def _tables_holding(self, marker):
        """Every table.column of the database whose text holds ``marker``."""
        cr = self.env.cr
        cr.execute(
            """SELECT table_name, array_agg(column_name::text)
                 FROM information_schema.columns
                WHERE table_schema = 'public'
                  AND data_type IN ('character varying', 'text', 'json', 'jsonb')
                  AND table_name IN (SELECT table_name FROM information_schema.tables
                                      WHERE table_schema = 'public' AND table_type = 'BASE TABLE')
             GROUP BY table_name"""
        )
        found = []
        pattern = f"%{marker}%"
        for table, columns in cr.fetchall():
            condition = SQL(" OR ").join(
                SQL("%s::text LIKE %s", SQL.identifier(column), pattern) for column in columns
            )
            cr.execute(SQL("SELECT 1 FROM %s WHERE %s LIMIT 1", SQL.identifier(table), condition))
            if cr.fetchone():
                found.append(table)
        return found

    def test_invalid_resources_are_refused_with_their_paths(self):
        paths = {e["path"] for e in self.errors(practitioner(birthDate="23/07/1961"))}
        self.assertEqual(paths, {"/birthDate"})
        unknown = self.errors(practitioner(favouriteColour="blue"))
        self.assertEqual([e["path"] for e in unknown], ["/favouriteColour"])
        self.assertIn("FHIR R4", unknown[0]["message"])
        bad_npi = self.errors(practitioner(npi="1234567890"))
        self.assertEqual(
            bad_npi,
            [{"path": "/identifier/2/value", "message": "is not a valid NPI (check digit)"}],
        )
        short_npi = self.errors(practitioner(npi="12345"))
        self.assertEqual([e["path"] for e in short_npi], ["/identifier/2/value"])
        nobody = self.errors(practitioner(employee_id=None, npi=None))
        self.assertEqual([e["path"] for e in nobody], ["/identifier"])
        self.assertIn(
            "/resourceType", {e["path"] for e in self.errors(practitioner(resourceType="Patient"))}
        )
        no_number = practitioner()
        del no_number["qualification"][0]["identifier"]
        self.assertEqual([e["path"] for e in self.errors(no_number)], ["/qualification/0"])
        every = json.dumps([self.errors(practitioner(birthDate="23/07/1961", npi="1234567890"))])
        for value in ("23/07/1961", "1234567890", "Zebediah"):
            self.assertNotIn(value, every, "values are never echoed")

    def test_unknown_qualification_codes_wait_as_one_mapping_exception(self):
        self.send_and_process("employee_upsert", self.upsert_event("E12"))
        resource = practitioner("E12")
        extra = copy.deepcopy(resource["qualification"][0])
        extra["code"]["coding"][0]["code"] = "BLS_CERT"
        extra["identifier"][0]["value"] = "BLS-77"
        other = copy.deepcopy(extra)
        other["code"]["coding"][0]["code"] = "ACLS_CERT"
        other["identifier"][0]["value"] = "ACLS-88"
        resource["qualification"] += [extra, other]
        message = self.receive(resource)
        self.process()
        self.assertEqual(message.state, "exception")
        self.assertEqual(len(message.exception_ids), 1)
        for code in ("BLS_CERT", "ACLS_CERT"):
            self.assertIn(code, message.exception_ids.description)
        self.assertFalse(
            self.credentials("E12").filtered(lambda c: c.type_id == self.npi_type), "all or nothing"
        )
        bls = self.env["hc.hr.credential.type"].create(
            {"name": "Basic life support", "code": "BLS"}
        )
        for row in self.Mapping.search([("external_code", "in", ("BLS_CERT", "ACLS_CERT"))]):
            row.write({"target_ref": f"hc.hr.credential.type,{bls.id}", "state": "mapped"})
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(len(self.credentials("E12")), 4)

    def test_a_practitioner_before_the_employee_waits_for_the_hris(self):
        message = self.receive(practitioner("E13"))
        self.process()
        self.assertEqual(message.state, "waiting")
        self.send_and_process("employee_upsert", self.upsert_event("E13"))
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(len(self.credentials("E13")), 2)

    def test_an_npi_alone_finds_the_employee_holding_it(self):
        self.send_and_process(
            "employee_upsert",
            self.upsert_event(
                "E14", credentials=[{"type": "NPI", "number": "1245319599", "status": "active"}]
            ),
        )
        message = self.receive(practitioner(employee_id=None, npi="1245319599"))
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        self.assertIn("RN-5566", self.credentials("E14").mapped("number"))
        stranger = self.receive(practitioner(employee_id=None, npi="1003000126"))
        self.process()
        self.assertEqual(stranger.state, "exception")
        self.assertIn("No employee holds the NPI", stranger.exception_ids.description)

    def test_a_credentialing_system_feeds_the_hris_employees(self):
        self.send_and_process("employee_upsert", self.upsert_event("E15"))
        credentialing = self.env["hc.integration.backend"].create(
            {"name": "Credentialing", "code": "cred_test", "backend_type": "credentialing"}
        )
        flows = credentialing._hc_hr_setup_flows()
        self.assertEqual(flows.mapped("code"), ["credential_fhir"])
        pages = {
            "/Practitioner": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": practitioner("E15")}],
                "link": [{"relation": "next", "url": "/Practitioner?page=2"}],
            },
            "/Practitioner?page=2": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": practitioner("E16", npi="1669487138")}],
            },
        }

        def fhir_server(method, path, headers, body):
            return 200, pages[re.sub(r"[?&]_count=\d+", "", path).replace("?&", "?")]

        with JsonStandIn(fhir_server) as server:
            credentialing.base_url = server.url
            flows.pull_enabled = True
            self.env["hc.integration.puller"]._pull_flow(flows)
        messages = self.Message.search([("flow_id", "=", flows.id)])
        self.assertEqual(len(messages), 2, flows.pull_last_error)
        self.assertIn("Practitioner/prac-E15/_history/3", messages.mapped("external_id"))
        for message in messages:
            self.assertNotIn("999-99-1234", json.dumps(message.payload))
        self.process()
        self.assertIn("RN-5566", self.credentials("E15").mapped("number"))
        waiting = messages.filtered(lambda m: m.state == "waiting")
        self.assertEqual(len(waiting), 1, "E16 is not in the HRIS yet: it waits for it")
        self.send_and_process("employee_upsert", self.upsert_event("E16"))
        self.assertEqual(waiting.state, "done", waiting.last_error)


@tagged("post_install", "-at_install")
class TestCredentialFhirWebhook(HrWebhookCase):
    """The FHIR flow over the real route: 202 for a valid Practitioner, 422 otherwise, and
    its contract in the OpenAPI document."""

    backend_code = "cred_http"
    backend_type = "credentialing"

    def test_valid_and_invalid_practitioners(self):
        accepted = self.post("credential_fhir", practitioner())
        self.assertEqual(accepted.status_code, 202, accepted.text)
        refused = self.post(
            "credential_fhir", practitioner(birthDate="23/07/1961", npi="1234567890")
        )
        self.assertEqual(refused.status_code, 422)
        self.assertEqual(refused.headers["Content-Type"], "application/problem+json")
        self.assertIn("/birthDate", refused.text)
        self.assertIn("/identifier/2/value", refused.text)
        for value in ("23/07/1961", "1234567890", "Zebediah"):
            self.assertNotIn(value, refused.text)
        message = self.env["hc.integration.message"].search(
            [("external_id", "=", accepted.json()["event_id"])]
        )
        self.assertNotIn("1961-07-23", json.dumps(message.payload))

    def test_the_contract_is_in_the_openapi_document(self):
        document = self.url_open("/healthcare/api/openapi.json").json()
        path = f"/healthcare/webhook/{self.backend.code}/credential_fhir"
        operation = document["paths"][path]["post"]
        schema = json.dumps(operation["requestBody"])
        self.assertIn("Practitioner", schema)
        self.assertIn("us-npi", schema)
