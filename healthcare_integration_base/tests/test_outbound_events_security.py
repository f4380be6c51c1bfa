"""Issue 14 §3, least privilege over XML-RPC: only Integration Managers (and the
superuser) create, change or delete "Send to integration flow" actions, even users who
may otherwise configure server actions and automation rules (Settings)."""

from odoo.tests import new_test_user, tagged

from .rpc_common import RpcCase
from .test_outbound_events import DEFINITION

STATE = "hc_integration_flow"


@tagged("post_install", "-at_install")
class TestOutboundEventsSecurity(RpcCase):
    backend_code = "hc_rpc_events"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Flow = cls.env["hc.integration.flow"]
        cls.events_flow = Flow.browse(Flow.hc_import_definition(cls.backend.code, DEFINITION))
        cls.model_id = cls.env["ir.model"]._get_id("purchase.order")
        cls.action = cls.env["ir.actions.server"].create(
            {
                "name": "Send orders",
                "model_id": cls.model_id,
                "state": STATE,
                "hc_flow_id": cls.events_flow.id,
            }
        )
        # may configure server actions and automation rules, but is no Integration Manager
        cls.settings_admin = new_test_user(cls.env, "hc_rpc_settings", groups="base.group_system")
        cls.manager_admin = new_test_user(
            cls.env,
            "hc_rpc_manager_admin",
            groups="base.group_system,healthcare_integration_base.group_integration_manager",
        )

    def action_values(self, **extra):
        values = {"name": "Orders out", "model_id": self.model_id, "state": STATE}
        values.update(hc_flow_id=self.events_flow.id, **extra)
        return values

    def test_only_managers_with_settings_create_such_an_action(self):
        for user in (self.settings_admin, self.resolver, self.manager):
            with self.subTest(user.login):
                self.assertRpcRefused(
                    user, "ir.actions.server", "create", [self.action_values()], error="AccessError"
                )
        values = self.action_values()
        del values["hc_flow_id"]
        self.assertRpcRefused(
            self.settings_admin, "ir.actions.server", "create", [values], error="AccessError"
        )

    def test_settings_admin_cannot_change_or_delete_such_an_action(self):
        other = self.env["ir.actions.server"].create(
            {"name": "Note", "model_id": self.model_id, "state": "code", "code": "pass"}
        )
        for args in (
            ("write", [self.action.id], {"name": "renamed"}),
            ("write", [self.action.id], {"state": "code"}),
            ("write", [other.id], {"state": STATE}),
            ("unlink", [self.action.id]),
        ):
            with self.subTest(args[0]):
                self.assertRpcRefused(
                    self.settings_admin, "ir.actions.server", *args, error="AccessError"
                )
        self.assertEqual((self.action.name, self.action.state), ("Send orders", STATE))
        self.assertEqual(other.state, "code")

    def test_settings_admin_cannot_change_or_delete_the_rule(self):
        rule = self.env["base.automation"].create(
            {"name": "Orders", "model_id": self.model_id, "trigger": "on_create_or_write"}
        )
        self.action.base_automation_id = rule
        self.action.usage = "base_automation"
        for args in (("write", [rule.id], {"filter_domain": "[]"}), ("unlink", [rule.id])):
            with self.subTest(args[0]):
                self.assertRpcRefused(
                    self.settings_admin, "base.automation", *args, error="AccessError"
                )
        self.rpc(self.manager_admin, "base.automation", "write", [rule.id], {"name": "Out"})
        self.assertEqual(rule.name, "Out")

    def test_manager_with_settings_configures_it(self):
        [action_id] = self.rpc(
            self.manager_admin, "ir.actions.server", "create", [self.action_values()]
        )
        self.rpc(self.manager_admin, "ir.actions.server", "write", [action_id], {"name": "Out"})
        action = self.env["ir.actions.server"].browse(action_id)
        self.assertEqual((action.name, action.hc_flow_id), ("Out", self.events_flow))

    def test_import_with_a_trigger_is_for_managers_only(self):
        definition = dict(
            DEFINITION, code="po_rule", trigger={"domain": [["state", "=", "purchase"]]}
        )
        self.assertRpcRefused(
            self.resolver,
            "hc.integration.flow",
            "hc_import_definition",
            self.backend.code,
            definition,
            error="AccessError",
        )
        self.assertRpcRefused(
            self.settings_admin,
            "hc.integration.flow",
            "hc_import_definition",
            self.backend.code,
            definition,
            error="AccessError",
        )
        # a manager without Settings: the engine writes the rule and its action (audited)
        flow_id = self.rpc(
            self.manager,
            "hc.integration.flow",
            "hc_import_definition",
            self.backend.code,
            definition,
        )
        flow = self.env["hc.integration.flow"].browse(flow_id)
        rule = flow._hc_automation_action().base_automation_id
        self.assertEqual(rule.filter_domain, "[['state', '=', 'purchase']]")
        self.assertTrue(
            self.Audit.search_count([("action", "=", "flow.automation"), ("res_id", "=", flow.id)])
        )
