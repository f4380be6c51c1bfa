"""Fail closed at ingest (issue 9, items 4 and 12), over a real socket: handler code that
raises, flows without a complete contract, an event id reused on another flow, and FHIR
senders' content type."""

import xmlrpc.client
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .http_common import WebhookHttpCase

SAMPLE = "hc.integration.handler.sample"
MARKER = "Quinella-Ostrogoth-5512"  # a payload value that must never be stored or echoed


def ordering_key_like_the_readme(self, flow, payload):
    """The README's example ordering key: a KeyError when ``contact`` is missing."""
    return f"contact:{payload['contact']['external_id']}"


def allowlist_that_raises(self, flow):
    return {"paths": []}["missing"]  # a handler bug: KeyError


@tagged("post_install", "-at_install")
class TestIngestFailClosed(WebhookHttpCase):
    def handler_class(self):
        return type(self.env[SAMPLE])

    def messages(self, flow=None):
        return self.Message.search([("flow_id", "=", (flow or self.flow).id)])

    # -- item 12: handler code raising at ingest ---------------------------------------------
    @mute_logger("odoo.addons.healthcare_integration_base.exceptions")
    def test_ordering_key_error_is_422_and_nothing_is_stored(self):
        before = len(self.messages())
        body = self.event()
        del body["contact"]  # valid for the schema, fatal for the README's ordering key
        body["simulate"] = "noop"
        with patch.object(self.handler_class(), "_hc_ordering_key", ordering_key_like_the_readme):
            response = self.post_event(body)
        problem = self.assertProblem(response, 422, "/unreadable")
        self.assertIn("ordering key", problem["detail"])
        self.assertNotIn("KeyError", response.text)
        self.assertEqual(len(self.messages()), before, "nothing stored")
        entry = self.rejections().filtered(lambda e: "reason=unreadable" in e.summary)[:1]
        self.assertIn("status=422 reason=unreadable", entry.summary)
        self.assertIn("KeyError", entry.summary)

    @mute_logger("odoo.addons.healthcare_integration_base.exceptions")
    def test_allowlist_error_is_422_never_stored_unminimised(self):
        before = len(self.messages())
        body = self.event(ssn=MARKER)
        with patch.object(self.handler_class(), "_hc_default_allowlist", allowlist_that_raises):
            response = self.post_event(body)
        self.assertProblem(response, 422, "/unreadable")
        self.assertNotIn(MARKER, response.text)
        self.assertEqual(len(self.messages()), before)

    @mute_logger("odoo.addons.healthcare_integration_base.exceptions")
    def test_handler_check_error_is_422(self):
        def broken_check(handler, flow, payload):
            return [{"path": "/", "message": payload["absent"]}]

        with patch.object(self.handler_class(), "_hc_check_payload", broken_check):
            response = self.post_event()
        self.assertProblem(response, 422, "/unreadable")

    # -- item 12: a flow without a complete contract -----------------------------------------
    def test_flow_without_contract_is_refused_when_configured(self):
        for values in (
            {"event_type": False},
            {"schema_versions": "1.0, 2.0"},  # no 2.0 schema ships
            {"schema_versions": " "},
        ):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.flow.copy(dict({"code": "incomplete"}, **values))
        with self.assertRaises(ValidationError):
            self.flow.schema_versions = "9.9"
        # outbound flows validate nothing they receive: no contract needed
        self.assertTrue(
            self.flow.copy({"code": "out", "direction": "outbound", "event_type": False})
        )

    def test_flow_without_contract_is_refused_over_rpc(self):
        """A manager configuring over XML-RPC gets the same refusal."""
        manager = new_test_user(
            self.env,
            login="hc_fail_closed_manager",
            groups="base.group_user,healthcare_integration_base.group_integration_manager",
        )
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.xmlrpc_object.execute_kw(
                self.env.cr.dbname,
                manager.id,
                manager.login,
                "hc.integration.flow",
                "write",
                [[self.flow.id], {"schema_versions": "7.0"}],
            )
        self.assertIn("cannot validate what it receives", caught.exception.faultString)
        self.flow.invalidate_recordset(["schema_versions"])
        self.assertEqual(self.flow.schema_versions, "1.0")

    def test_flow_configured_before_the_check_refuses_events(self):
        """Defence in depth: a version without a schema (written before the constraint
        existed) is a 422, never accepted unvalidated."""
        self.env.cr.execute(
            "UPDATE hc_integration_flow SET schema_versions = '1.0,3.0' WHERE id = %s",
            (self.flow.id,),
        )
        self.flow.invalidate_recordset(["schema_versions"])
        self.env.registry.clear_cache()  # the receiver's cache (raw SQL bypasses the ORM)
        before = len(self.messages())
        response = self.post_event(self.event(schema_version="3.0", contact=MARKER))
        problem = self.assertProblem(response, 422, "/schema")
        self.assertEqual(problem["errors"][0]["path"], "/schema_version")
        self.assertEqual(len(self.messages()), before)

    # -- item 4: the same event id on another flow --------------------------------------------
    def test_same_event_id_on_another_flow_is_422(self):
        other = self.flow.copy({"code": "contacts_b"})
        event_id = self.new_event_id()
        data = self.encode(self.event())
        first = self.post_event(data, event_id=event_id)
        self.assertEqual(first.status_code, 202, first.text)
        # the very same body, on the other flow: not the first flow's message
        response = self.post_event(data, event_id=event_id, url=self.url(flow=other.code))
        problem = self.assertProblem(response, 422, "/idempotency_conflict")
        self.assertIn("another flow", problem["detail"])
        self.assertNotIn("message_id", problem)
        self.assertFalse(self.messages(other))
        # on its own flow it is still the duplicate it is
        again = self.post_event(data, event_id=event_id)
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["message_id"], first.json()["message_id"])

    # -- FHIR senders ------------------------------------------------------------------------
    def test_fhir_json_content_type_is_json(self):
        response = self.post_event(content_type="application/fhir+json; charset=utf-8")
        self.assertEqual(response.status_code, 202, response.text)
        x12 = self.flow.copy({"code": "x12_only", "payload_format": "x12"})
        refused = self.post_event(url=self.url(flow=x12.code), content_type="application/fhir+json")
        self.assertProblem(refused, 415)
        document = self.url_open("/healthcare/api/openapi.json").json()
        content = document["paths"][self.url()]["post"]["requestBody"]["content"]
        self.assertEqual(content["application/fhir+json"], content["application/json"])
