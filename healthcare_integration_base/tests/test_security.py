import xmlrpc.client

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import IntegrationCase
from .http_common import WebhookHttpCase


@tagged("post_install", "-at_install")
class TestRecordRules(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Groups = cls.env["res.groups"]
        cls.group_hr = Groups.create({"name": "Test HR resolvers"})
        cls.group_rcm = Groups.create({"name": "Test RCM resolvers"})
        cls.flow.owning_group_id = cls.group_hr
        cls.flow_rcm = cls.flow.copy(
            {"code": "rcm_contacts", "name": "RCM contacts", "owning_group_id": cls.group_rcm.id}
        )
        base_groups = "healthcare_integration_base.group_integration_user"
        cls.hr_user = new_test_user(cls.env, "hc_hr_resolver", groups=base_groups)
        cls.hr_user.groups_id |= cls.group_hr
        cls.rcm_user = new_test_user(cls.env, "hc_rcm_resolver", groups=base_groups)
        cls.rcm_user.groups_id |= cls.group_rcm
        cls.manager = new_test_user(
            cls.env, "hc_rules_mgr", groups="healthcare_integration_base.group_integration_manager"
        )

    def _failing_message(self, flow, external_id):
        message = self.enqueue(
            self.payload(external_id, "Private Person", simulate="business"), flow=flow
        )
        self.process()
        self.assertEqual(message.state, "exception")
        return message

    def test_users_see_only_the_flows_of_their_groups(self):
        hr_message = self._failing_message(self.flow, "S1")
        rcm_message = self._failing_message(self.flow_rcm, "S2")
        Message = self.env["hc.integration.message"]
        Exception_ = self.env["hc.integration.exception"]
        scope = [("id", "in", (hr_message | rcm_message).ids)]
        self.assertEqual(Message.with_user(self.hr_user).search(scope), hr_message)
        self.assertEqual(Message.with_user(self.rcm_user).search(scope), rcm_message)
        exc_scope = [("message_id", "in", (hr_message | rcm_message).ids)]
        self.assertEqual(
            Exception_.with_user(self.hr_user).search(exc_scope), hr_message.exception_ids
        )
        self.assertEqual(
            Exception_.with_user(self.rcm_user).search(exc_scope), rcm_message.exception_ids
        )
        self.assertEqual(
            self.env["hc.integration.flow"]
            .with_user(self.hr_user)
            .search([("id", "in", (self.flow | self.flow_rcm).ids)]),
            self.flow,
        )
        with self.assertRaises(AccessError):
            rcm_message.with_user(self.hr_user).read(["state"])
        with self.assertRaises(AccessError):
            rcm_message.exception_ids.with_user(self.hr_user).read(["description"])
        self.assertEqual(len(Message.with_user(self.manager).search(scope)), 2)

    def test_users_cannot_read_payloads_but_managers_can(self):
        message = self._failing_message(self.flow, "S3")
        with self.assertRaises(AccessError):
            message.with_user(self.hr_user).read(["payload"])
        self.assertEqual(
            message.with_user(self.manager).payload["contact"]["name"], "Private Person"
        )

    def test_messages_of_another_company_are_invisible(self):
        other_company = self.env["res.company"].create({"name": "Other hospital"})
        backend = self.backend.copy({"code": "other_co", "company_id": other_company.id})
        flow = self.flow.copy({"backend_id": backend.id, "owning_group_id": False})
        message = self.enqueue(self.payload("S4", "Elsewhere"), flow=flow)
        user = new_test_user(
            self.env, "hc_company_user", groups="healthcare_integration_base.group_integration_user"
        )
        self.assertFalse(
            self.env["hc.integration.message"].with_user(user).search([("id", "=", message.id)])
        )
        user.write({"company_ids": [(4, other_company.id)]})
        self.assertTrue(
            self.env["hc.integration.message"]
            .with_user(user)
            .with_context(allowed_company_ids=[user.company_id.id, other_company.id])
            .search([("id", "=", message.id)])
        )

    def test_resolver_can_retry_and_ignore_exceptions_of_their_flow(self):
        message = self._failing_message(self.flow, "S5")
        exception = message.exception_ids.with_user(self.hr_user)
        exception.action_retry()
        self.assertEqual(message.state, "pending")
        self.process()
        exception = message.exception_ids.filtered(lambda e: e.state == "open").with_user(
            self.hr_user
        )
        wizard = (
            self.env["hc.integration.exception.ignore"]
            .with_user(self.hr_user)
            .create(
                {"exception_ids": [(6, 0, exception.ids)], "note": "Duplicate of a manual entry."}
            )
        )
        wizard.action_confirm()
        self.assertEqual(exception.state, "ignored")
        self.assertEqual(message.state, "cancelled")

    def test_codes_must_fit_in_a_webhook_url(self):
        Backend = self.env["hc.integration.backend"]
        for code in ("with space", "é-accent", "a/b", "x" * 65):
            with self.assertRaises(ValidationError, msg=code):
                Backend.create({"name": "Bad", "code": code})
        with self.assertRaises(ValidationError):
            self.flow.copy({"code": "contacts/v2"})
        self.assertTrue(Backend.create({"name": "Good", "code": "Good_code-2"}))

    def test_users_cannot_configure(self):
        with self.assertRaises(AccessError):
            self.flow.with_user(self.hr_user).write({"max_attempts": 9})
        with self.assertRaises(AccessError):
            self.env["hc.integration.backend"].with_user(self.hr_user).create(
                {"name": "x", "code": "x"}
            )


@tagged("post_install", "-at_install")
class TestEngineFieldsOverRpc(WebhookHttpCase):
    """The queue's engine-owned fields refuse writes from any caller over XML-RPC, whatever
    context the call carries: the guard's sentinel cannot be sent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, "hc_rpc_mgr", groups="healthcare_integration_base.group_integration_manager"
        )
        cls.message, _status = cls.Message._hc_enqueue(
            cls.flow,
            {"event_type": "contact.upsert", "schema_version": "1.0", "contact": {}},
            external_id="rpc-guard-1",
        )

    def execute(self, method, *args, **kwargs):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, "hc_rpc_mgr", "hc_rpc_mgr", {})
        self.assertTrue(uid)
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, "hc_rpc_mgr", "hc.integration.message", method, args, kwargs
        )

    def test_manager_reads_but_cannot_write_attempt_and_conflict_counters(self):
        [row] = self.execute("read", [self.message.id], ["attempts", "conflict_count"])
        self.assertEqual((row["attempts"], row["conflict_count"]), (0, 0))
        for values, context in (
            ({"conflict_count": 5}, {}),
            ({"attempts": 5}, {}),
            ({"conflict_count": 5}, {"hc_engine": True}),
        ):
            with (
                self.subTest(values=values, context=context),
                mute_logger("odoo.http"),
                self.assertRaisesRegex(xmlrpc.client.Fault, "integration engine only"),
            ):
                self.execute("write", [self.message.id], values, context=context)
        self.message.invalidate_recordset()
        self.assertEqual((self.message.attempts, self.message.conflict_count), (0, 0))
