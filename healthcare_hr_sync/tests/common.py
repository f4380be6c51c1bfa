"""Shared setup of the HR sync tests: an HRIS backend with the standard HR flows, the
codes of Appendix B mapped on it, and helpers that enqueue events and run the queue
processor inside the test transaction (nothing is committed)."""

import json
import os
import threading
import uuid
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user

TEST_KEY = "aHItc3luYy10ZXN0cy1lbmNyeXB0aW9uLWtleS0zMmI="  # 32 bytes, tests only


def iso(value):
    """A naive UTC datetime (or a date) as the HRIS sends it."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return fields.Date.to_string(value)


class HrSyncCase(TransactionCase):
    """Backend ``hris_test`` (HRIS) with the flows of ``_hc_hr_setup_flows``; departments
    ICU/ED, jobs RN (requires RN_LICENSE) and CLERK, cost centres CC-4410/CC-5200,
    locations MAIN/NORTH, roles staff/approver/buyer and agency AGENCY-01, all mapped."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        key = patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY})
        key.start()
        cls.addClassCleanup(key.stop)
        cls.Message = cls.env["hc.integration.message"]
        cls.Processor = cls.env["hc.integration.processor"]
        cls.Audit = cls.env["hc.integration.audit"]
        cls.Mapping = cls.env["hc.integration.mapping"]
        cls.Binding = cls.env["hc.integration.binding"]
        cls.Employee = cls.env["hr.employee"].with_context(active_test=False)
        cls.company = cls.env.company
        cls.backend = cls.env["hc.integration.backend"].create(
            {"name": "Test HRIS", "code": "hris_test", "backend_type": "hris"}
        )
        cls.flows = cls.backend._hc_hr_setup_flows()
        cls.flow = {flow.code: flow for flow in cls.flows}
        cls.upsert_flow = cls.flow["employee_upsert"]
        cls._setup_targets()
        cls._setup_mappings()
        cls._setup_users()

    @classmethod
    def _setup_targets(cls):
        """What the codes map to."""
        cls.rn_license = cls.env.ref("healthcare_hr_sync.credential_type_rn_license")
        cls.md_license = cls.env.ref("healthcare_hr_sync.credential_type_md_license")
        cls.icu = cls.env["hr.department"].create({"name": "Intensive Care"})
        cls.ed = cls.env["hr.department"].create({"name": "Emergency"})
        cls.job_rn = cls.env["hr.job"].create(
            {
                "name": "Registered Nurse",
                "hc_required_credential_type_ids": [Command.link(cls.rn_license.id)],
            }
        )
        cls.job_md = cls.env["hr.job"].create(
            {
                "name": "Physician",
                "hc_required_credential_type_ids": [Command.link(cls.md_license.id)],
            }
        )
        cls.job_clerk = cls.env["hr.job"].create({"name": "Clerk"})
        plan = cls.env["account.analytic.plan"].create({"name": "Cost centres (test)"})
        cls.cc_4410 = cls.env["account.analytic.account"].create(
            {"name": "ICU nursing", "code": "4410", "plan_id": plan.id}
        )
        cls.cc_5200 = cls.env["account.analytic.account"].create(
            {"name": "Emergency", "code": "5200", "plan_id": plan.id}
        )
        address = cls.company.partner_id
        cls.loc_main = cls.env["hr.work.location"].create(
            {"name": "Main campus", "address_id": address.id, "location_type": "office"}
        )
        cls.loc_north = cls.env["hr.work.location"].create(
            {"name": "North clinic", "address_id": address.id, "location_type": "office"}
        )
        cls.agency = cls.env["res.partner"].create(
            {"name": "Nurses on Call Ltd", "is_company": True}
        )
        cls.group_buyer = cls.env["res.groups"].create({"name": "Test buyers"})
        cls.group_approver = cls.env.ref("hr.group_hr_user")
        cls.group_staff = cls.env.ref("base.group_user")
        # a custom group is outside the default allow-list of groups roles may grant
        Mapping = cls.env["hc.integration.mapping"]
        Mapping._hc_set_grantable_groups(Mapping._hc_grantable_groups() | cls.group_buyer)

    @classmethod
    def _setup_mappings(cls):
        mappings = [
            ("department", "ICU", cls.icu),
            ("department", "ED", cls.ed),
            ("job", "RN", cls.job_rn),
            ("job", "MD", cls.job_md),
            ("job", "CLERK", cls.job_clerk),
            ("cost_center", "CC-4410", cls.cc_4410),
            ("cost_center", "CC-5200", cls.cc_5200),
            ("location", "MAIN", cls.loc_main),
            ("location", "NORTH", cls.loc_north),
            ("agency", "AGENCY-01", cls.agency),
        ]
        cls.Mapping.create(
            [
                {
                    "backend_id": cls.backend.id,
                    "mapping_type": mapping_type,
                    "external_code": code,
                    "target_ref": f"{record._name},{record.id}",
                }
                for mapping_type, code, record in mappings
            ]
            + [
                {
                    "backend_id": cls.backend.id,
                    "mapping_type": "role",
                    "external_code": code,
                    "group_ids": [Command.set(group.ids)],
                }
                for code, group in (
                    ("staff", cls.group_staff),
                    ("approver", cls.group_approver),
                    ("buyer", cls.group_buyer),
                )
            ]
        )

    @classmethod
    def _setup_users(cls):
        cls.hr_resolver = new_test_user(
            cls.env,
            login="hr_resolver",
            name="Harriet Resolver",
            groups="healthcare_hr_sync.group_hr_resolver",
        )
        cls.integration_manager = new_test_user(
            cls.env,
            login="integration_manager",
            name="Ivan Manager",
            groups="healthcare_integration_base.group_integration_manager,hr.group_hr_manager",
        )

    # ------------------------------------------------------------------------------------
    # Event builders (Appendix A)
    # ------------------------------------------------------------------------------------
    def now(self):
        return fields.Datetime.now()

    def envelope(self, event_type, occurred_at=None, **body):
        return dict(
            body,
            event_type=event_type,
            schema_version="1.0",
            occurred_at=iso(occurred_at or self.now()),
        )

    def employee_data(self, external_id, **fields_):
        data = {
            "external_id": external_id,
            "first_name": fields_.pop("first_name", "Nora"),
            "last_name": fields_.pop("last_name", f"Nurse {external_id}"),
            "work_email": fields_.pop("work_email", f"{external_id.lower()}@hospital.test"),
            "job_code": "RN",
            "department_code": "ICU",
            "cost_center_code": "CC-4410",
            "location_code": "MAIN",
            "employment_type": "employee",
            "status": "active",
            "hire_date": "2025-01-06",
        }
        data.update(fields_)
        return {key: value for key, value in data.items() if value is not OMIT}

    def upsert_event(self, external_id, occurred_at=None, **fields_):
        return self.envelope(
            "employee.upsert", occurred_at, employee=self.employee_data(external_id, **fields_)
        )

    def transfer_event(self, external_id, effective_date, occurred_at=None, **changes):
        return self.envelope(
            "employee.transfer",
            occurred_at,
            employee_external_id=external_id,
            effective_date=iso(effective_date),
            **changes,
        )

    def terminate_event(self, external_id, termination_date, occurred_at=None, **extra):
        return self.envelope(
            "employee.terminate",
            occurred_at,
            employee_external_id=external_id,
            termination_date=iso(termination_date),
            **extra,
        )

    def credential_event(self, external_id, occurred_at=None, **credential):
        data = {"type": "RN_LICENSE", "number": "RN-1", "status": "active"}
        data.update(credential)
        return self.envelope(
            "credential.update", occurred_at, employee_external_id=external_id, credential=data
        )

    # ------------------------------------------------------------------------------------
    # Queue helpers
    # ------------------------------------------------------------------------------------
    def send(self, flow_code, payload, event_id=None, expect="created"):
        """Validate like the webhook does, then enqueue; returns the message."""
        flow = self.flow[flow_code]
        errors = flow._validate_payload(payload)
        self.assertFalse(errors, f"the event breaks the contract: {errors}")
        message, status = self.Message._hc_enqueue(
            flow, payload, external_id=event_id or f"evt-{uuid.uuid4().hex[:12]}"
        )
        if expect:
            self.assertEqual(status, expect)
        return message

    def process(self):
        """Run the processor until nothing is due (one lane, no commits, as in tests)."""
        processed = 0
        for _round in range(100):
            done = self.Processor.with_context(no_reset_password=True)._cron_process_queue(
                lane=1, direction="inbound"
            )
            processed += done
            if not done:
                return processed
        raise AssertionError("the queue never drained")

    def send_and_process(self, flow_code, payload, **kwargs):
        message = self.send(flow_code, payload, **kwargs)
        self.process()
        return message

    def employee(self, external_id):
        return self.Binding._find_record(self.backend, "employee", external_id, "hr.employee")

    def audits(self, action, record=None):
        domain = [("action", "=", action)]
        if record is not None:
            domain += [("res_model", "=", record._name), ("res_id", "=", record.id)]
        return self.Audit.sudo().search(domain)

    @staticmethod
    def later(**delta):
        return fields.Datetime.now() + timedelta(**delta)


class _Omit:
    def __repr__(self):
        return "OMIT"


#: Marks a key to leave out of :meth:`HrSyncCase.employee_data`.
OMIT = _Omit()


class JsonStandIn:
    """A real HTTP server on 127.0.0.1 (Odoo's tests reach nothing else) answering GETs
    with ``pages`` (a callable ``(path, query) -> (status, dict)``) and recording POSTs.
    """

    def __init__(self, responder):
        self.responder = responder
        self.requests = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                stand_in.requests.append(("GET", self.path, dict(self.headers), b""))
                status, body = stand_in.responder("GET", self.path, dict(self.headers), b"")
                self._answer(status, body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                stand_in.requests.append(("POST", self.path, dict(self.headers), body))
                status, answer = stand_in.responder("POST", self.path, dict(self.headers), body)
                self._answer(status, answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
