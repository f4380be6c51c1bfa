"""The receiver's registry cache of flows, backends and signing secrets (issue 13): a
delivery costs one query, the INSERT of its message and audit entry; whatever changes
the flow, the backend or the secret through the ORM is seen by the next delivery, inside
one transaction too; the engine's own bookkeeping writes keep the cache; the cache's
methods are not reachable over RPC."""

import json
import time
import uuid

from odoo.tests import tagged

from ..models.hc_integration_audit import HASHED_FIELDS
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

    def test_a_delivery_is_one_query(self):
        self.assertEqual(self.deliver()[0], 202)  # fills the registry cache
        codes = (self.backend.code, self.flow.code)
        self.env.invalidate_all()  # a new request starts with an empty ORM cache
        # one statement: the message and its audit entry
        with self.assertQueryCount(1):
            status, answer = self.deliver(codes=codes)
        self.assertEqual(status, 202)
        message = self.Message.browse(answer["message_id"])
        self.assertEqual(message.state, "pending")
        entry = self.Audit.search([("message_id", "=", message.id)])
        self.assertEqual(entry.action, "message.received")
        self.assertEqual(entry.company_id, self.flow.company_id)
        self.assertEqual(entry.actor_type, "backend")
        self.assertEqual(entry.trace_id, message.trace_id)
        self.assertEqual(entry.backend_id, self.backend)
        # the hash PostgreSQL computed is the one verification recomputes
        values = {name: entry[name] for name in HASHED_FIELDS}
        values.update(
            user_id=entry.user_id.id,
            backend_id=self.backend.id,
            message_id=message.id,
            company_id=entry.company_id.id,
        )
        self.assertEqual(entry.content_hash, self.Audit._content_hash(values))

    def test_an_unknown_address_costs_no_query(self):
        self.assertEqual(self.deliver()[0], 202)
        receiver = self.env["hc.integration.webhook"]
        with self.assertQueryCount(0):
            self.assertFalse(receiver._hc_find_flow(self.backend.code, "no_such_flow"))
            self.assertFalse(receiver._hc_find_flow("no_such_backend", self.flow.code))

    def test_raw_sql_change_is_seen_once_the_cache_is_emptied(self):
        """Like Odoo's other configuration caches: raw SQL bypasses the invalidation."""
        self.assertEqual(self.deliver()[0], 202)
        self.env.cr.execute(
            "UPDATE hc_integration_flow SET max_body_bytes = 10 WHERE id = %s", (self.flow.id,)
        )
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        self.assertEqual(self.deliver()[0], 413)

    def test_bookkeeping_writes_keep_the_cache(self):
        registry = self.env.registry
        self.assertEqual(self.deliver()[0], 202)
        registry.cache_invalidated.clear()
        self.flow.write({"pull_last_at": self.later(hours=0), "pull_failure_count": 2})
        self.env.flush_all()
        self.assertNotIn("default", registry.cache_invalidated)
        self.flow.write({"pull_last_at": self.later(hours=0), "max_body_bytes": 10})
        self.env.flush_all()
        self.assertIn("default", registry.cache_invalidated)
        self.assertEqual(self.deliver()[0], 413)

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
                "_hc_receivers",
                match="Private methods",
            )
            self.assertRpcRefused(
                user,
                "hc.integration.webhook",
                "_hc_rows",
                "hc.integration.backend",
                [self.backend.id],
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
