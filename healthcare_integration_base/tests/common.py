"""Shared setup of the engine tests: a backend, a flow on the sample handler, helpers to
enqueue and process messages inside the test transaction."""

import os
import uuid
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import DummyRLock, Registry
from odoo.tests import BaseCase, TransactionCase
from odoo.tests.common import get_db_name

TEST_KEY = "dGVzdC1rZXktZm9yLWhlYWx0aGNhcmUtc3VpdGUtMDE="  # 32 bytes, tests only
TEST_AUDIT_KEY = "test-audit-key-for-the-healthcare-suite"  # tests only


def key_patch(value=TEST_KEY):
    """Configure the encryption key for the duration of a test (environment variable)."""
    return patch.dict(os.environ, {"HC_INTEGRATION_KEY": value})


def free_registry_lock(case_class):
    """Let the worker threads of a test class reach the registry under Odoo's own runner.

    That runner holds ``Registry._lock`` for the whole run (``ThreadedServer.run``); a thread
    that opens an environment or retries a transaction looks the registry up through that
    lock and would wait until the run ends. HttpCase's test mode swaps in the same dummy
    lock; under pytest the lock is free and this changes nothing. Call from setUpClass.
    """
    case_class.classPatch(Registry, "_lock", DummyRLock())


def purge_committed_queue(cr, backend_id):
    """Delete what a test committed for ``backend_id``: its messages, their exceptions and
    their audit entries (test data only: the append-only guard is lifted inside this
    transaction). Returns the ids of the deleted messages."""
    cr.execute("SELECT id FROM hc_integration_message WHERE backend_id = %s", [backend_id])
    message_ids = tuple(row[0] for row in cr.fetchall()) or (0,)
    cr.execute("ALTER TABLE hc_integration_audit DISABLE TRIGGER hc_integration_audit_append_only")
    cr.execute(
        "DELETE FROM hc_integration_audit WHERE backend_id = %s OR message_id IN %s",
        [backend_id, message_ids],
    )
    cr.execute("ALTER TABLE hc_integration_audit ENABLE TRIGGER hc_integration_audit_append_only")
    cr.execute("DELETE FROM hc_integration_exception WHERE message_id IN %s", [message_ids])
    cr.execute("DELETE FROM hc_integration_message WHERE id IN %s", [message_ids])
    return message_ids


class CommittedCase(BaseCase):
    """Tests that commit through their own cursors, so that a second database connection
    sees the data (not a TransactionCase): the test database's registry, the encryption
    key, and a superuser environment on a cursor. Such tests create uniquely named
    records and remove what they created."""

    #: the context of :meth:`_env`
    env_context = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        free_registry_lock(cls)
        cls.registry = Registry(get_db_name())
        key = key_patch()
        key.start()
        cls.addClassCleanup(key.stop)

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, dict(self.env_context))


def audit_key_patch(value=TEST_AUDIT_KEY):
    """Configure the audit chain key for the duration of a test (environment variable)."""
    return patch.dict(os.environ, {"HC_AUDIT_KEY": value})


class IntegrationCase(TransactionCase):
    """A backend ``test_backend`` with a realtime flow ``contacts`` on the sample handler."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        for key in (key_patch(), audit_key_patch()):
            key.start()
            cls.addClassCleanup(key.stop)
        cls.Message = cls.env["hc.integration.message"]
        cls.Processor = cls.env["hc.integration.processor"]
        cls.Audit = cls.env["hc.integration.audit"]
        cls.Mapping = cls.env["hc.integration.mapping"]
        cls.Binding = cls.env["hc.integration.binding"]
        cls.backend = cls.env["hc.integration.backend"].create(
            {"name": "Test HRIS", "code": "test_backend", "backend_type": "hris"}
        )
        cls.flow = cls.env["hc.integration.flow"].create(
            {
                "name": "Contacts",
                "code": "contacts",
                "backend_id": cls.backend.id,
                "handler_model": "hc.integration.handler.sample",
                "event_type": "contact.upsert",
                "sync_mode": "realtime",
                "max_attempts": 3,
                "backoff_base": 10,
                "backoff_cap": 60,
                "dependency_timeout_minutes": 60,
            }
        )
        cls.category = cls.env["res.partner.category"].create({"name": "VIP tag"})

    # helpers ------------------------------------------------------------------------------
    def payload(self, external_id="C1", name="Ann Example", occurred_at=None, **extra):
        contact = {"external_id": external_id, "name": name}
        contact.update(extra.pop("contact", {}))
        body = {
            "event_type": "contact.upsert",
            "schema_version": "1.0",
            "occurred_at": occurred_at or fields.Datetime.now().isoformat() + "Z",
            "contact": contact,
        }
        body.update(extra)
        return body

    def enqueue(self, payload=None, event_id=None, flow=None, **kwargs):
        message, status = self.Message._hc_enqueue(
            flow or self.flow,
            payload or self.payload(**kwargs),
            external_id=event_id or f"evt-{uuid.uuid4().hex[:12]}",
        )
        self.assertEqual(status, "created")
        return message

    def process(self, direction="inbound"):
        """Run one processing pass (a lane without commits, as in tests)."""
        processed = 0
        while True:
            done = self.Processor._cron_process_queue(lane=1, direction=direction)
            processed += done
            if not done:
                return processed

    def partner_of(self, external_id, backend=None):
        return self.Binding._find_record(
            backend or self.backend, "contact", external_id, "res.partner"
        )

    @staticmethod
    def later(**delta):
        return fields.Datetime.now() + timedelta(**delta)
