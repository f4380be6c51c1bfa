"""Allow-list paths keep values, never whole sub-trees (issue 9, item 5): on the
minimisation function, on a webhook delivery and on a pulled item that fails its schema."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import TransactionCase, tagged

from ..tools import payload as payload_tools
from ..tools.payload import apply_allowlist
from .stand_ins import HrisStandIn, TransportCase, iso

SSN = "078-05-1120"
DOB = "1961-07-04"
T0 = datetime(2031, 5, 5, 8, 0, 0)
EMPLOYEE_PATHS = [
    "employee.external_id",
    "employee.roles",
    "employee.credentials[].type",
    "employee.credentials[].number",
]


class TestAllowlistFunction(TransactionCase):
    def test_object_under_a_listed_value_path_is_dropped(self):
        payload = {"employee": {"external_id": "E1", "roles": {"ssn": SSN, "dob": DOB}}}
        kept, dropped = apply_allowlist(payload, EMPLOYEE_PATHS)
        self.assertEqual(kept, {"employee": {"external_id": "E1"}})
        self.assertIn("employee.roles", dropped)

    def test_list_of_values_kept_objects_in_it_dropped(self):
        payload = {"employee": {"roles": ["staff", {"ssn": SSN}, ["nested", DOB], 7, None]}}
        kept, dropped = apply_allowlist(payload, EMPLOYEE_PATHS)
        self.assertEqual(kept, {"employee": {"roles": ["staff", 7, None]}})
        self.assertIn("employee.roles[]", dropped)

    def test_objects_of_a_list_keep_their_own_listed_children(self):
        credential = {"type": "RN", "number": "N1", "ssn": SSN, "holder": {"dob": DOB}}
        payload = {"employee": {"credentials": [credential, "loose value", [SSN]]}}
        kept, dropped = apply_allowlist(payload, EMPLOYEE_PATHS)
        self.assertEqual(kept, {"employee": {"credentials": [{"type": "RN", "number": "N1"}]}})
        self.assertLessEqual(
            {"employee.credentials[].ssn", "employee.credentials[].holder"}, set(dropped)
        )
        self.assertNotIn(SSN, repr(kept))

    def test_a_listed_object_path_keeps_nothing_of_its_subtree(self):
        """``employee`` alone, or next to ``employee.external_id``, is no wildcard."""
        payload = {"employee": {"external_id": "E1", "ssn": SSN}}
        self.assertEqual(apply_allowlist(payload, ["employee"])[0], {})
        kept, _dropped = apply_allowlist(payload, ["employee", "employee.external_id"])
        self.assertEqual(kept, {"employee": {"external_id": "E1"}})
        kept, _dropped = apply_allowlist(payload, ["employee.external_id", "employee"])
        self.assertEqual(kept, {"employee": {"external_id": "E1"}})

    def test_star_keeps_plain_values_of_its_level_only(self):
        payload = {"lines": [{"code": "A", "amount": 1, "patient": {"name": "Jo", "dob": DOB}}]}
        kept, dropped = apply_allowlist(payload, ["lines[].*"])
        self.assertEqual(kept, {"lines": [{"code": "A", "amount": 1}]})
        self.assertIn("lines[].patient", dropped)

    def test_value_where_a_structure_is_listed_is_dropped(self):
        payload = {"employee": SSN, "lines": DOB}
        kept, dropped = apply_allowlist(payload, ["employee.external_id", "lines[].code"])
        self.assertEqual(kept, {})
        self.assertEqual(set(dropped), {"employee", "lines"})

    def test_payload_keys_cannot_forge_path_markers(self):
        payload = {"employee": {"[]": [SSN], "*": SSN, ".": SSN, "external_id": "E1"}}
        kept, _dropped = apply_allowlist(payload, EMPLOYEE_PATHS)
        self.assertEqual(kept, {"employee": {"external_id": "E1"}})

    def test_compiled_list_is_shared_and_never_changed_by_a_payload(self):
        # the compiled tree is cached per list of paths (every delivery of a flow)
        tree = payload_tools._compile(tuple(EMPLOYEE_PATHS))
        before = repr(tree)
        first, _dropped = apply_allowlist(
            {"employee": {"external_id": "E1", "x": 1}}, EMPLOYEE_PATHS
        )
        second, dropped = apply_allowlist(
            {"employee": {"roles": ["a"], "ssn": SSN}}, EMPLOYEE_PATHS
        )
        self.assertIs(payload_tools._compile(tuple(EMPLOYEE_PATHS)), tree)
        self.assertEqual(repr(tree), before)
        self.assertEqual(first, {"employee": {"external_id": "E1"}})
        self.assertEqual(second, {"employee": {"roles": ["a"]}})
        self.assertEqual(dropped, ["employee.ssn"])


@tagged("post_install", "-at_install")
class TestAllowlistOnIngest(TransportCase):
    """The sample flow lists ``contact.name``: a sender nesting an object there (a name
    with the patient's SSN, say) stores nothing of it, whether valid or not."""

    def setUp(self):
        super().setUp()
        self.hris = self.start(HrisStandIn())
        self.backend.base_url = self.hris.url
        self.flow = self.env["hc.integration.flow"].create(
            {
                "name": "Workers (allow-list)",
                "code": "workers_allowlist",
                "backend_id": self.backend.id,
                "handler_model": "hc.integration.handler.sample",
                "event_type": "contact.upsert",
                "sync_mode": "batch",
                "pull_enabled": True,
                "pull_endpoint": "/api/workers",
                "pull_page_size": 10,
            }
        )

    def item(self, number, name):
        return {
            "id": f"A{number}",
            "event_type": "contact.upsert",
            "schema_version": "1.0",
            "occurred_at": iso(T0 - timedelta(hours=number)),
            "updated_at": iso(T0 - timedelta(hours=number)),
            "contact": {"external_id": f"A{number}", "name": name, "ssn": SSN},
        }

    def test_pulled_invalid_item_is_stored_minimised_only(self):
        self.hris.items = [
            self.item(1, "Ann Valid"),
            self.item(2, {"first": "Zelda", "ssn": SSN, "dob": DOB}),  # fails the schema
        ]
        with freeze_time(T0):
            self.env["hc.integration.puller"]._cron_pull()
        messages = self.Message.search([("flow_id", "=", self.flow.id)], order="external_id")
        self.assertEqual(messages.mapped("external_id"), ["A1", "A2"])
        valid, invalid = messages
        self.assertEqual(invalid.state, "exception")
        self.assertEqual(invalid.sudo().payload["contact"], {"external_id": "A2"})
        self.assertEqual(
            valid.sudo().payload["contact"], {"external_id": "A1", "name": "Ann Valid"}
        )
        self.env.cr.execute(
            "SELECT count(*) FROM hc_integration_message WHERE flow_id = %s "
            "AND (payload::text LIKE %s OR payload::text LIKE %s OR payload::text LIKE %s)",
            (self.flow.id, f"%{SSN}%", f"%{DOB}%", "%Zelda%"),
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
