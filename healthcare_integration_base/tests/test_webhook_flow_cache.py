"""The receiver's one-query look-up of flow, backend and signing secrets (issue 13): a
delivery costs that query, the insert and the audit entry; whatever changes the flow,
the backend or the secret is seen by the next delivery, even through raw SQL or inside
one transaction; the cache's methods are not reachable over RPC."""

import json
import time
import uuid

from odoo.tests import tagged

from ..tools import standard_webhooks
from .common import IntegrationCase
from .http_common import OTHER_SECRET, SPEC_SECRET
from .rpc_common import RpcCase


class TestWebhookFlowCache(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.webhook_secret = SPEC_SECRET
        cls.flow.sync_mode = "batch"  # no wake-up: the queries are the receiver's own

    def deliver(self, secret=SPEC_SECRET, codes=None):
        """The controller's calls for one delivery; ``(status, answer)``."""
        data = json.dumps(self.payload(f"C-{uuid.uuid4().hex[:8]}")).encode()
        headers = standard_webhooks.sign_headers(secret, f"evt-{uuid.uuid4().hex}", data)
        headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(data))
        receiver = self.env["hc.integration.webhook"]
        backend_code, flow_code = codes or (self.backend.code, self.flow.code)
        flow_id, _limit = receiver._hc_body_limit(backend_code, flow_code)
        status, answer, _headers = receiver._hc_receive(
            backend_code,
            flow_code,
            headers,
            lambda limit: data,
            "application/json",
            flow_id=flow_id,
        )
        return status, answer

    def test_a_delivery_is_three_queries(self):
        self.assertEqual(self.deliver()[0], 202)  # fills the registry cache
        codes = (self.backend.code, self.flow.code)
        self.env.invalidate_all()  # a new request starts with an empty ORM cache
        # the look-up (flow, backend, secrets), the message INSERT, the audit INSERT
        with self.assertQueryCount(3):
            status, answer = self.deliver(codes=codes)
        self.assertEqual(status, 202)
        message = self.Message.browse(answer["message_id"])
        self.assertEqual(message.state, "pending")
        entry = self.Audit.search([("message_id", "=", message.id)])
        self.assertEqual(entry.action, "message.received")
        self.assertEqual(entry.company_id, self.flow.company_id)
        self.assertEqual(entry.actor_type, "backend")

    def test_raw_sql_change_of_the_flow_is_seen(self):
        self.assertEqual(self.deliver()[0], 202)
        self.env.cr.execute(
            "UPDATE hc_integration_flow SET max_body_bytes = 10 WHERE id = %s", (self.flow.id,)
        )
        self.env.invalidate_all()
        self.assertEqual(self.deliver()[0], 413)
        self.env.cr.execute(
            "UPDATE hc_integration_flow SET payload_format = 'x12' WHERE id = %s",
            (self.flow.id,),
        )
        self.env.cr.execute(
            "UPDATE hc_integration_flow SET max_body_bytes = 1000000 WHERE id = %s",
            (self.flow.id,),
        )
        self.env.invalidate_all()
        self.assertEqual(self.deliver()[0], 415)

    def test_orm_changes_in_the_same_transaction_are_seen(self):
        self.assertEqual(self.deliver()[0], 202)
        self.backend.webhook_secret = OTHER_SECRET
        self.assertEqual(self.deliver()[0], 401)
        self.assertEqual(self.deliver(secret=OTHER_SECRET)[0], 202)
        # signed 10 s ago: within the default tolerance, not within one second
        ten_seconds_ago = int(time.time()) - 10
        data = json.dumps(self.payload("C-late")).encode()
        late = standard_webhooks.sign_headers(OTHER_SECRET, "evt-late", data, ten_seconds_ago)
        self.backend.timestamp_tolerance = 1
        status, _body, _headers = self.env["hc.integration.webhook"]._hc_receive(
            self.backend.code, self.flow.code, late, data, "application/json"
        )
        self.assertEqual(status, 401)
        self.flow.active = False
        self.assertEqual(self.deliver(secret=OTHER_SECRET)[0], 404)

    def test_previous_secret_until_its_expiry(self):
        self.backend.action_rotate_webhook_secret(OTHER_SECRET, keep_previous_hours=1)
        self.assertEqual(self.deliver(secret=SPEC_SECRET)[0], 202)
        self.assertEqual(self.deliver(secret=OTHER_SECRET)[0], 202)
        self.backend.webhook_secret_previous_expiry = self.later(hours=-1)
        self.assertEqual(self.deliver(secret=SPEC_SECRET)[0], 401)
        self.assertEqual(self.deliver(secret=OTHER_SECRET)[0], 202)


@tagged("post_install", "-at_install")
class TestWebhookFlowCacheRpc(RpcCase):
    backend_code = "hc_cache_rpc"

    def test_cache_methods_refused_over_rpc(self):
        for user in (self.resolver, self.manager):
            self.assertRpcRefused(
                user,
                "hc.integration.webhook",
                "_hc_row_values",
                "hc.integration.backend",
                self.backend.id,
                "0/(0,1)",
                match="Private methods",
            )
            self.assertRpcRefused(
                user,
                "hc.integration.webhook",
                "_hc_find_flow",
                self.backend.code,
                self.flow.code,
                match="Private methods",
            )
