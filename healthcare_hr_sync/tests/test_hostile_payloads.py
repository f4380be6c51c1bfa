import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .common import HrSyncCase
from .test_credential_fhir import practitioner

#: Any JSON value, a few levels deep.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@tagged("post_install", "-at_install")
class TestHostilePayloads(HrSyncCase):
    """Whatever the body, the ingest checks of the payroll and FHIR flows answer with a list
    of problems (a 422) and never raise (a 500)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        payroll = cls.env["hc.integration.backend"].create(
            {"name": "Payroll (hostile)", "code": "pay_hostile", "backend_type": "payroll"}
        )
        flows = payroll._hc_hr_setup_flows()
        cls.payroll_flow = flows.filtered(lambda flow: flow.code == "payroll_journal")
        cls.fhir_flow = cls.flow["credential_fhir"]

    def check(self, flow, body):
        handler = flow._get_handler()
        payload = (
            handler._hc_parse_body(flow, json.dumps(body).encode(), "application/json")
            if flow == self.fhir_flow
            else body
        )
        if not isinstance(payload, dict):
            return
        errors = flow._validate_payload(payload)
        self.assertIsInstance(errors, list)
        kept, _dropped = flow._minimize_payload(payload)
        self.assertIsInstance(kept, dict)

    def test_random_documents_and_mutations(self):
        base = {
            "payroll": {
                "event_type": "payroll.journal",
                "schema_version": "1.0",
                "pay_period_id": "P",
                "lines": [{"type": "earning", "code": "REG", "amount": "1"}],
                "control_totals": {"earnings": "1"},
            },
            "fhir": practitioner(),
        }

        @settings(
            max_examples=150,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(
            which=st.sampled_from(["payroll", "fhir"]),
            key=st.sampled_from(["lines", "control_totals", "identifier", "qualification", "meta"]),
            value=JSON,
            extra=st.dictionaries(st.text(max_size=8), JSON, max_size=3),
        )
        def run(which, key, value, extra):
            flow = self.payroll_flow if which == "payroll" else self.fhir_flow
            body = dict(base[which], **extra)
            body[key] = value
            self.check(flow, body)
            if isinstance(value, list):
                body[key] = [value, {"type": value, "system": value, "amount": value}]
                self.check(flow, body)

        run()
