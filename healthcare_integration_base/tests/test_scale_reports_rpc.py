from odoo.tests import new_test_user, tagged

from .rpc_common import RpcCase


@tagged("post_install", "-at_install")
class TestScaleReportsOverRpc(RpcCase):
    """Over XML-RPC, as the user: the traffic analysis shows the flows of the user's groups
    only, and the tables behind it and behind the exception desk are managers' reading."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outsider = new_test_user(
            cls.env,
            "hc_rpc_scale_outsider",
            groups="healthcare_integration_base.group_integration_user",
        )
        message, _status = cls.env["hc.integration.message"]._hc_enqueue(
            cls.flow,
            {
                "event_type": "contact.upsert",
                "schema_version": "1.0",
                "contact": {"external_id": "RPC-T", "name": "Traffic"},
            },
            external_id="rpc-scale-1",
        )
        cls.env["hc.integration.exception"]._hc_open_for(message, "validation", "Refused.")
        cls.env.flush_all()

    def _traffic(self, user):
        rows = self.rpc(
            user,
            "hc.integration.traffic.report",
            "read_group",
            [("flow_id", "=", self.flow.id)],
            ["message_count:sum"],
            ["outcome"],
            lazy=False,
        )
        return {row["outcome"]: row["message_count"] for row in rows}

    def test_traffic_of_the_flows_of_my_groups_only(self):
        self.assertEqual(self._traffic(self.resolver), {"received": 1})
        self.assertEqual(self._traffic(self.outsider), {})
        self.assertEqual(self._traffic(self.manager), {"received": 1})

    def test_summary_tables_are_refused_to_integration_users(self):
        for model in ("hc.integration.exception.cause.summary", "hc.integration.traffic.hour"):
            self.assertRpcRefused(
                self.resolver, model, "search_read", [], ["id"], error="AccessError"
            )
            self.assertIsInstance(self.rpc(self.manager, model, "search_count", []), int)
        groups = self.rpc(
            self.resolver, "hc.integration.exception.group", "search_read", [], ["exception_count"]
        )
        self.assertEqual([group["exception_count"] for group in groups], [1])
        self.assertEqual(
            self.rpc(self.outsider, "hc.integration.exception.group", "search_count", []), 0
        )
