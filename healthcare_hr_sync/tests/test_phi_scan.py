"""Minimum necessary data, proven on the whole database (issue 9, item 9).

The demo's traffic (the payload builders of ``tools/demo_sender_hr.py`` and, when the
revenue-cycle addon is installed, ``tools/demo_sender_rcm.py``) is sent over real HTTP to
the demo configuration (the addons' demo data files, loaded into this test's
transaction), with personal data planted the way an HRIS or a clearinghouse would send
it; the queue is processed; then **every table** of the database — each text, JSON and
binary column that ``information_schema`` lists, not a list of tables — is searched for
the planted SSNs, dates of birth, patient names and member ids.
"""

import importlib.util
import os
import sys
from datetime import date
from pathlib import Path

from odoo.modules.module import get_manifest
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL, convert_file, mute_logger

REPO = Path(__file__).resolve().parents[2]
SSN = "219-09-9999"
SSN_DIGITS = "219099999"
DATE_OF_BIRTH = "1958-11-23"
FHIR_SSN = "000-12-3456"  # already in the demo's FHIR Practitioner
FHIR_BIRTH_DATE = "1975-04-02"
#: The 835 demo files' patients (NM1*QC) and their member ids.
PATIENT_NAMES = ("SAMPLE*PATIENT", "EXAMPLE*PERSON", "SPECIMEN", "PLACEHOLDER")
MEMBER_IDS = ("ZX0000001", "ZX0000002", "ZX0000005", "ZX0000004")
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "bytea")
DEMO_SECRET = "whsec_ZGVtby13ZWJob29rLXNlY3JldC1jaGFuZ2UtbWUtISE="
TEST_KEY = "dGVzdC1rZXktZm9yLWhlYWx0aGNhcmUtc3VpdGUtMDE="


def load_tool(name):
    """A demo sender module of ``tools/`` (plain Python, no Odoo import)."""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        spec = importlib.util.spec_from_file_location(f"hc_{name}", REPO / "tools" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(REPO / "tools"))


def plant_hr(body):
    """What HRIS exports carry besides the allow-listed fields, nested too."""
    employee = body.get("employee")
    if isinstance(employee, dict):
        employee.update(
            ssn=SSN,
            national_id=SSN_DIGITS,
            date_of_birth=DATE_OF_BIRTH,
            home_address={"line": "1 Secret Lane", "birth_date": DATE_OF_BIRTH},
        )
        for credential in employee.get("credentials") or []:
            credential["holder"] = {"ssn": SSN, "dob": DATE_OF_BIRTH}
    return body


@tagged("post_install", "-at_install")
class TestPhiScan(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.environ.setdefault("HC_DEMO_WEBHOOK_SECRET", DEMO_SECRET)
        cls.env_patch = {"HC_INTEGRATION_KEY": os.environ.get("HC_INTEGRATION_KEY")}
        os.environ["HC_INTEGRATION_KEY"] = os.environ.get("HC_INTEGRATION_KEY") or TEST_KEY
        cls.addClassCleanup(cls.restore_key)
        cls.rcm = bool(
            cls.env["ir.module.module"].search_count(
                [("name", "=", "healthcare_rcm_sync"), ("state", "=", "installed")]
            )
        )
        modules = ["healthcare_integration_base", "healthcare_hr_sync"]
        if cls.rcm:
            modules.append("healthcare_rcm_sync")
        for module in modules:
            for filename in cls.demo_files(module):
                convert_file(cls.env, module, filename, {}, mode="init", kind="demo")

    @classmethod
    def restore_key(cls):
        previous = cls.env_patch["HC_INTEGRATION_KEY"]
        if previous is None:
            os.environ.pop("HC_INTEGRATION_KEY", None)
        else:
            os.environ["HC_INTEGRATION_KEY"] = previous

    @staticmethod
    def demo_files(module):
        return get_manifest(module).get("demo", [])

    # ------------------------------------------------------------------------------------
    def send_demo_traffic(self):
        hr = load_tool("demo_sender_hr")
        client = load_tool("demo_client").WebhookClient(self.base_url(), session=self.opener)
        today = date.today()
        traffic = [(hr.BACKEND, event) for event in hr.events(today)]
        traffic += [(hr.BACKEND, event) for event in hr.credential_fhir_events(today)]
        traffic += [(hr.PAYROLL_BACKEND, event) for event in hr.payroll_events(today)]
        statuses = []
        for backend, (_label, flow, event_id, body) in traffic:
            response = client.post(backend, flow, plant_hr(body), event_id=event_id)
            statuses.append(response.status_code)
        if self.rcm:
            rcm = load_tool("demo_sender_rcm")
            for _label, flow, body in rcm.billing_events(today):
                body["patient"] = {"name": "SPECIMEN ANN", "member_id": MEMBER_IDS[0]}
                response = client.post(rcm.BILLING, flow, body)
                statuses.append(response.status_code)
            for data in rcm.remittance_files(today).values():
                response = client.post(
                    rcm.CLEARINGHOUSE, "remittance_835", data, content_type=rcm.X12
                )
                statuses.append(response.status_code)
        return statuses

    def process_queue(self):
        processor = self.env["hc.integration.processor"]
        for _round in range(10):
            if not processor._cron_process_queue(lane=1, batch_size=200):
                break

    def planted(self):
        values = [SSN, SSN_DIGITS, DATE_OF_BIRTH, FHIR_SSN, FHIR_BIRTH_DATE, "Secret Lane"]
        values += ["12 Elm Street", "555-0100"]  # the FHIR Practitioner's home address, phone
        if self.rcm:
            values += list(MEMBER_IDS) + list(PATIENT_NAMES)
        return values

    def scan(self, needles):
        """``{(table, column): [needle, …]}`` for every text, JSON or binary column of
        every table of the public schema holding one of ``needles``."""
        cr = self.env.cr
        cr.execute(
            """
            SELECT c.table_name, c.column_name, c.data_type
              FROM information_schema.columns c
              JOIN information_schema.tables t
                ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
               AND c.data_type IN %s
             ORDER BY 1, 2
            """,
            (TEXT_TYPES,),
        )
        columns = cr.fetchall()
        self.assertGreater(len({table for table, _c, _t in columns}), 100, "every table")
        found = {}
        patterns = [f"%{needle}%" for needle in needles]
        for table, column, data_type in columns:
            text = (
                SQL("convert_from(%s, 'LATIN1')", SQL.identifier(column))
                if data_type == "bytea"
                else SQL("%s::text", SQL.identifier(column))
            )
            cr.execute(
                SQL(
                    "SELECT DISTINCT p FROM %s, unnest(%s::text[]) AS p WHERE %s LIKE p",
                    SQL.identifier(table),
                    patterns,
                    text,
                )
            )
            hits = [row[0].strip("%") for row in cr.fetchall()]
            if hits:
                found[(table, column)] = hits
        return found

    @mute_logger(
        "odoo.addons.healthcare_integration_base.models.hc_integration_processor",
        "odoo.addons.healthcare_integration_base.models.hc_integration_processor_outcome",
    )
    def test_demo_traffic_leaves_no_planted_personal_data_anywhere(self):
        statuses = self.send_demo_traffic()
        self.assertTrue(statuses)
        self.assertLessEqual(set(statuses), {200, 202}, statuses)
        self.process_queue()
        messages = self.env["hc.integration.message"].sudo()
        self.assertTrue(messages.search_count([("state", "=", "done")]))
        employees = self.env["hr.employee"].search([("name", "ilike", "Nguyen")])
        self.assertTrue(employees, "the traffic was applied, not only stored")
        self.assertEqual(self.scan(self.planted()), {})

    def test_the_scan_finds_what_is_planted(self):
        """The scan is no test that cannot fail: a value written anywhere is found, in a
        text column as in a JSON one."""
        self.env["res.partner"].create({"name": "Scan probe", "comment": f"ssn {SSN}"})
        self.env["product.template"].create({"name": f"probe {DATE_OF_BIRTH}"})
        found = self.scan([SSN, DATE_OF_BIRTH])
        self.assertEqual(found.get(("res_partner", "comment")), [SSN])
        self.assertEqual(found.get(("product_template", "name")), [DATE_OF_BIRTH])
