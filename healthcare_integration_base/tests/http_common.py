"""Shared setup of the HTTP surface tests: a backend signing with the Standard Webhooks
specification's example secret, a flow on the sample handler, and helpers that sign and
post events to the test server over a real socket."""

import json
import os
import time
import uuid
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase

from ..tools import standard_webhooks
from ..tools.source_cooldown import COOLDOWN

TEST_KEY = "dGVzdC1rZXktZm9yLWhlYWx0aGNhcmUtc3VpdGUtMDE="  # 32 bytes, tests only
#: The secret of the Standard Webhooks specification's published example.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_" + "c2Vjb25kLXNlY3JldC1mb3ItdGVzdHMtb25seSEhISE="
PROBLEM_KEYS = {"type", "title", "status", "detail"}


class WebhookHttpCase(HttpCase):
    """Backend ``hc_t1_http`` (secret :data:`SPEC_SECRET`) with a realtime inbound flow
    ``contacts`` (sample handler, ``contact.upsert``, schema 1.0)."""

    backend_code = "hc_t1_http"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        key = patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY})
        key.start()
        cls.addClassCleanup(key.stop)
        cls.Audit = cls.env["hc.integration.audit"]
        cls.Message = cls.env["hc.integration.message"]
        cls.backend = cls.env["hc.integration.backend"].create(
            {
                "name": "HTTP test backend",
                "code": cls.backend_code,
                "webhook_secret": SPEC_SECRET,
            }
        )
        cls.flow = cls.env["hc.integration.flow"].create(
            {
                "name": "Contacts",
                "code": "contacts",
                "backend_id": cls.backend.id,
                "handler_model": "hc.integration.handler.sample",
                "event_type": "contact.upsert",
                "sync_mode": "realtime",
            }
        )

    def setUp(self):
        super().setUp()
        # the per-address cool-down is process memory: every test starts with none
        COOLDOWN.reset()
        self.addCleanup(COOLDOWN.reset)

    # ------------------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------------------
    def url(self, backend=None, flow=None):
        return f"/healthcare/webhook/{backend or self.backend.code}/{flow or self.flow.code}"

    def event(self, external_id="C1", name="Ann Example", **extra):
        body = {
            "event_type": "contact.upsert",
            "schema_version": "1.0",
            "occurred_at": fields.Datetime.now().isoformat() + "Z",
            "contact": {"external_id": external_id, "name": name},
        }
        body.update(extra)
        return body

    @staticmethod
    def new_event_id():
        return f"msg_{uuid.uuid4().hex}"

    def encode(self, body):
        if isinstance(body, bytes):
            return body
        if isinstance(body, str):
            return body.encode()
        return json.dumps(body).encode()

    def signed_headers(self, data, event_id=None, secret=SPEC_SECRET, timestamp=None):
        return standard_webhooks.sign_headers(
            secret, event_id or self.new_event_id(), data, timestamp=timestamp
        )

    def post_event(
        self,
        body=None,
        event_id=None,
        secret=SPEC_SECRET,
        timestamp=None,
        headers=None,
        content_type="application/json",
        url=None,
        sign=True,
    ):
        """Sign (unless ``sign`` is False) and POST ``body`` (dict, str or bytes)."""
        data = self.encode(self.event() if body is None else body)
        all_headers = self.signed_headers(data, event_id, secret, timestamp) if sign else {}
        if content_type:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        return self.opener.post(
            self.base_url() + (url or self.url()), data=data, headers=all_headers, timeout=30
        )

    def rejections(self):
        """Audit entries of refused deliveries, newest first (the refusals counted but not
        folded yet are folded first, whatever their minute)."""
        self.env["hc.integration.webhook.refusal"]._hc_fold(close_all=True)
        return self.Audit.sudo().search([("action", "=", "webhook.rejected")], order="id desc")

    def assertProblem(self, response, status, type_suffix=None):
        """The answer is an RFC 9457 problem with ``status``; returns its body."""
        self.assertEqual(response.status_code, status, response.text[:500])
        self.assertTrue(
            response.headers.get("Content-Type", "").startswith("application/problem+json"),
            response.headers.get("Content-Type"),
        )
        body = response.json()
        self.assertLessEqual(PROBLEM_KEYS, set(body))
        self.assertEqual(body["status"], status)
        self.assertNotIn("Traceback", response.text)
        if type_suffix:
            self.assertTrue(body["type"].endswith(type_suffix), body["type"])
        return body

    def assertRejectedOnce(self, before, status, secret_marker=None):
        """Exactly one new ``webhook.rejected`` audit entry, naming ``status``, holding
        neither ``secret_marker`` (payload value) nor the signing secret."""
        after = self.rejections()
        self.assertEqual(len(after), len(before) + 1)
        entry = after[0]
        self.assertIn(f"status={status}", entry.summary)
        self.assertNotIn(SPEC_SECRET, entry.summary)
        if secret_marker:
            self.assertNotIn(secret_marker, entry.summary)
        return entry

    @staticmethod
    def now():
        return int(time.time())
