import functools
import json
import os
import threading
import time
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name

from ..tools import standard_webhooks
from .common import free_registry_lock
from .http_common import SPEC_SECRET, TEST_KEY


@tagged("post_install", "-at_install")
class TestWebhookRace(BaseCase):
    """Two deliveries of one event racing each other, each in its own real transaction.

    HttpCase requests share the test cursor, so a real race cannot happen through the
    test server; here two threads run the receiver exactly as Odoo's HTTP layer does
    (``odoo.service.model.retrying``: serialization failures re-run the request), on
    committed data, and the data is neutralised afterwards (the audit log is
    append-only, so its entries stay; the backend is archived and the message
    cancelled so that no other test meets them). True multi-process races belong to the
    system tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        free_registry_lock(cls)
        key = patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY})
        key.start()
        cls.addClassCleanup(key.stop)
        cls.registry = Registry(get_db_name())
        cls.code = f"race_{uuid.uuid4().hex[:8]}"
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            backend = env["hc.integration.backend"].create(
                {"name": "Race", "code": cls.code, "webhook_secret": SPEC_SECRET}
            )
            env["hc.integration.flow"].create(
                {
                    "name": "Contacts",
                    "code": "contacts",
                    "backend_id": backend.id,
                    "handler_model": "hc.integration.handler.sample",
                    "event_type": "contact.upsert",
                    "sync_mode": "batch",
                }
            )
            cls.backend_id = backend.id
        cls.addClassCleanup(cls._neutralise)

    @classmethod
    def _neutralise(cls):
        with cls.registry.cursor() as cr:
            cr.execute(
                "UPDATE hc_integration_message SET state = 'cancelled' WHERE backend_id = %s",
                (cls.backend_id,),
            )
            cr.execute(
                "UPDATE hc_integration_flow SET active = false, paused = true "
                "WHERE backend_id = %s",
                (cls.backend_id,),
            )
            cr.execute(
                "UPDATE hc_integration_backend SET active = false WHERE id = %s",
                (cls.backend_id,),
            )

    def _delivery(self):
        body = json.dumps(
            {
                "event_type": "contact.upsert",
                "schema_version": "1.0",
                "occurred_at": "2024-05-01T10:00:00Z",
                "contact": {"external_id": "R1", "name": "Race Contact"},
            }
        ).encode()
        headers = standard_webhooks.sign_headers(SPEC_SECRET, f"msg_{uuid.uuid4().hex}", body)
        headers["Content-Type"] = "application/json"
        return headers, body

    def _receive(self, cr, headers, body):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return env["hc.integration.webhook"]._hc_receive(
            self.code, "contacts", headers, body, "application/json"
        )

    def test_racing_duplicates_answer_202_and_200(self):
        headers, body = self._delivery()
        results = {}
        errors = []
        first_inserted = threading.Event()
        second_started = threading.Event()

        def first():
            try:
                with self.registry.cursor() as cr:
                    results["first"] = self._receive(cr, headers, body)
                    first_inserted.set()
                    # keep the row uncommitted while the second delivery runs into it
                    second_started.wait(10)
                    time.sleep(0.5)
                    # a real concurrent transaction, committed on purpose
                    cr.commit()  # pylint: disable=invalid-commit
            except Exception as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)
                first_inserted.set()

        attempts = []

        def attempt(cr):
            attempts.append(True)
            return self._receive(cr, headers, body)

        def second():
            try:
                first_inserted.wait(10)
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    # the transaction's snapshot is taken now, before the first commits
                    cr.execute("SELECT 1")
                    second_started.set()
                    results["second"] = retrying(functools.partial(attempt, cr), env)
            except Exception as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertFalse(errors, errors)
        # the second delivery met the other's row, failed to serialize, and was re-run
        self.assertEqual(len(attempts), 2)
        status_1, answer_1, _headers = results["first"]
        status_2, answer_2, _headers = results["second"]
        self.assertEqual((status_1, status_2), (202, 200))
        self.assertEqual(answer_1["message_id"], answer_2["message_id"])
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM hc_integration_message WHERE backend_id = %s "
                "AND external_id = %s",
                (self.backend_id, headers["webhook-id"]),
            )
            self.assertEqual(cr.fetchone()[0], 1)
