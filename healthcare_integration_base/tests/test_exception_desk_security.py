import xmlrpc.client

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .http_common import WebhookHttpCase


@tagged("post_install", "-at_install")
class TestExceptionDeskOverRpc(WebhookHttpCase):
    """Over XML-RPC, as the user: groups of exceptions follow the flows' owning groups, a
    paced replay is a manager's, a suggestion is accepted by integration users only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = cls.env["res.groups"].create({"name": "Desk RPC resolvers"})
        cls.flow.owning_group_id = cls.owner
        user_group = "healthcare_integration_base.group_integration_user"
        cls.resolver = new_test_user(cls.env, "hc_desk_rpc_in", groups=user_group)
        cls.resolver.groups_id = [(4, cls.owner.id)]
        cls.outsider = new_test_user(cls.env, "hc_desk_rpc_out", groups=user_group)
        cls.employee = new_test_user(cls.env, "hc_desk_rpc_emp", groups="base.group_user")
        tag = cls.env["res.partner.category"].create({"name": "Remote desk tag"})
        cls.messages = cls.env["hc.integration.message"]
        for index in range(3):
            message, _status = cls.Message._hc_enqueue(
                cls.flow,
                {
                    "event_type": "contact.upsert",
                    "schema_version": "1.0",
                    "contact": {"external_id": f"R{index}", "name": "X", "category_code": "RPC"},
                },
                external_id=f"rpc-desk-{index}",
            )
            cls.messages |= message
        processor = cls.env["hc.integration.processor"]
        while processor._cron_process_queue():
            pass
        cls.mapping = cls.env["hc.integration.mapping"].search([("external_code", "=", "RPC")])
        cls.mapping.label = "Remote desk tag"
        cls.mapping._hc_refresh_suggestions()
        cls.suggestion = cls.mapping.suggestion_ids.filtered(lambda s: s.target_ref == tag)

    def execute(self, login, model, method, *args, **kwargs):
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, login, login, {})
        self.assertTrue(uid)
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, login, model, method, args, kwargs
        )

    def test_groups_are_visible_to_the_flow_owners_only(self):
        group = "hc.integration.exception.group"
        rows = self.execute("hc_desk_rpc_in", group, "search_read", [], ["exception_count"])
        self.assertEqual([row["exception_count"] for row in rows], [3])
        self.assertEqual(self.execute("hc_desk_rpc_out", group, "search_read", [], ["name"]), [])
        self.assertEqual(self.execute("hc_desk_rpc_out", group, "search_count", []), 0)

    def test_a_resolver_cannot_start_a_paced_replay(self):
        group_id = self.execute("hc_desk_rpc_in", "hc.integration.exception.group", "search", [])
        with mute_logger("odoo.http"), self.assertRaisesRegex(xmlrpc.client.Fault, "not allowed"):
            self.execute(
                "hc_desk_rpc_in", "hc.integration.exception.group", "action_replay_paced", group_id
            )
        self.assertFalse(self.env["hc.integration.replay.batch"].search([]))

    def test_suggestion_accepted_only_by_an_integration_user(self):
        self.assertTrue(self.suggestion)
        with mute_logger("odoo.http"), self.assertRaisesRegex(xmlrpc.client.Fault, "not allowed"):
            self.execute(
                "hc_desk_rpc_emp",
                "hc.integration.mapping.suggestion",
                "action_accept",
                self.suggestion.ids,
            )
        self.assertEqual(self.mapping.state, "pending")
        self.execute(
            "hc_desk_rpc_in",
            "hc.integration.mapping.suggestion",
            "action_accept",
            self.suggestion.ids,
        )
        self.mapping.invalidate_recordset()
        self.assertEqual(self.mapping.state, "mapped")
        self.assertEqual(set(self.messages.mapped("state")), {"pending"})
