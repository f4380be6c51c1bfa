"""Issue 14 §2: the minimal definition imported over XML-RPC by an Integration Manager
(refused to others), then its events over real signed HTTP."""

import copy
import xmlrpc.client

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .http_common import WebhookHttpCase

VENDOR_ONBOARDING = {
    "code": "vendor_onboarding",
    "name": "Vendor onboarding",
    "event_type": "vendor.upsert",
    "sync_mode": "realtime",
    "target_model": "res.partner",
    "match": {"external_id": "vendor.id", "object": "vendor"},
    "fields": {
        "name": {"path": "vendor.name", "required": True},
        "email": {"path": "vendor.email"},
        "vat": {"path": "vendor.tax_id"},
        "comment": {"value": "onboarded by integration"},
    },
}


@tagged("post_install", "-at_install")
class TestDeclarativeOverRpcAndWebhook(WebhookHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new_test_user(
            cls.env, "hc_decl_mgr", groups="healthcare_integration_base.group_integration_manager"
        )
        new_test_user(
            cls.env, "hc_decl_user", groups="healthcare_integration_base.group_integration_user"
        )

    def rpc(self, login, method, *args):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, login, login, {})
        self.assertTrue(uid)
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, login, "hc.integration.flow", method, list(args)
        )

    def vendor_event(self, **vendor):
        body = self.event()
        body.pop("contact")
        body["event_type"] = "vendor.upsert"
        body["vendor"] = dict({"id": "V-100", "name": "Acme Medical"}, **vendor)
        return body

    def test_import_over_rpc_then_signed_events(self):
        with mute_logger("odoo.http"), self.assertRaisesRegex(xmlrpc.client.Fault, "Managers"):
            self.rpc("hc_decl_user", "hc_import_definition", self.backend.code, VENDOR_ONBOARDING)
        flow_id = self.rpc(
            "hc_decl_mgr", "hc_import_definition", self.backend.code, VENDOR_ONBOARDING
        )
        flow = self.env["hc.integration.flow"].browse(flow_id)
        self.assertEqual(
            (flow.code, flow.handler_model, flow.declarative_version),
            ("vendor_onboarding", "hc.integration.handler.declarative", 1),
        )
        # importing again updates the same flow, without a new version when unchanged
        again = self.rpc(
            "hc_decl_mgr", "hc_import_definition", self.backend.code, VENDOR_ONBOARDING
        )
        self.assertEqual((again, flow.declarative_version), (flow_id, 1))

        url = self.url(flow="vendor_onboarding")
        body = self.vendor_event(email="ap@acme.example", tax_id="BE0477472701", ssn="123-45-6789")
        first = self.post_event(body, event_id="evt-vendor-1", url=url)
        self.assertEqual(first.status_code, 202, first.text)
        message = self.Message.browse(first.json()["message_id"])
        self.assertNotIn("ssn", message.payload["vendor"], "only mapped paths are stored")
        self.assertEqual(message.declarative_version, 1)
        self.env["hc.integration.processor"]._cron_process_queue(lane=1)
        self.assertEqual(message.state, "done", message.last_error)
        partner = self.env["hc.integration.binding"]._find_record(
            self.backend, "vendor", "V-100", "res.partner"
        )
        self.assertEqual(
            (partner.name, partner.email, partner.vat),
            ("Acme Medical", "ap@acme.example", "BE0477472701"),
        )
        self.assertIn("onboarded by integration", str(partner.comment))

        duplicate = self.post_event(body, event_id="evt-vendor-1", url=url)
        self.assertEqual(duplicate.status_code, 200, duplicate.text)
        self.assertEqual(duplicate.json()["message_id"], message.id)
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Acme Medical")]), 1)

        missing_name = self.vendor_event()
        missing_name["vendor"].pop("name")
        refused = self.post_event(missing_name, url=url)
        problem = self.assertProblem(refused, 422)
        self.assertIn("/vendor", [error["path"] for error in problem["errors"]])

    def test_refused_definitions_store_nothing(self):
        cases = {
            "unknown model": dict(VENDOR_ONBOARDING, target_model="no.such.model"),
            "refused model": dict(VENDOR_ONBOARDING, target_model="res.users"),
            "ir model": dict(VENDOR_ONBOARDING, target_model="ir.config_parameter"),
            "post-action": dict(VENDOR_ONBOARDING, post_actions=["unlink"]),
        }
        unknown_field = copy.deepcopy(VENDOR_ONBOARDING)
        unknown_field["fields"]["no_such_field"] = {"path": "vendor.x"}
        bad_path = copy.deepcopy(VENDOR_ONBOARDING)
        bad_path["fields"]["email"] = {"path": "vendor..email"}
        mismatch = copy.deepcopy(VENDOR_ONBOARDING)
        mismatch["fields"]["active"] = {"path": "vendor.active", "transform": "date"}
        cases.update({"unknown field": unknown_field, "path": bad_path, "type": mismatch})
        messages = {
            "unknown model": "unknown model 'no.such.model'",
            "refused model": "may not be written",
            "ir model": "may not be written",
            "post-action": "post-action 'unlink' is not allowed",
            "unknown field": "has no field 'no_such_field'",
            "path": "is not a dotted path",
            "type": "does not fit a boolean field",
        }
        for name, definition in cases.items():
            with (
                self.subTest(name),
                mute_logger("odoo.http"),
                self.assertRaisesRegex(xmlrpc.client.Fault, messages[name]),
            ):
                self.rpc("hc_decl_mgr", "hc_import_definition", self.backend.code, definition)
        self.assertFalse(
            self.env["hc.integration.flow"].search([("code", "=", "vendor_onboarding")])
        )

    def test_schema_in_openapi_document(self):
        self.env["hc.integration.flow"].hc_import_definition(self.backend.code, VENDOR_ONBOARDING)
        document = self.url_open("/healthcare/api/openapi.json").json()
        path = f"/healthcare/webhook/{self.backend.code}/vendor_onboarding"
        schema = document["paths"][path]["post"]["requestBody"]["content"]["application/json"][
            "schema"
        ]
        self.assertEqual(schema["properties"]["vendor"]["required"], ["id", "name"])
        self.assertEqual(schema["properties"]["event_type"], {"const": "vendor.upsert"})
