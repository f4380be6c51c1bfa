"""Two lanes hire two HRIS ids with one work e-mail at the same instant (committed data,
two real database connections in two threads).

This test commits through its own cursors: it creates a uniquely named backend and removes
everything it created at the end.
"""

import threading
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import BaseCase, tagged

from odoo.addons.healthcare_integration_base.tests.common import (
    key_patch,
    purge_committed_queue,
)

from ..models.hc_hr_sync import HcHrSync


@tagged("post_install", "-at_install")
class TestEmailTwoLanes(BaseCase):
    """Not a TransactionCase: a second connection only sees committed data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from odoo.modules.registry import Registry
        from odoo.tests.common import get_db_name

        cls.registry = Registry(get_db_name())
        key = key_patch()
        key.start()
        cls.addClassCleanup(key.stop)

    def setUp(self):
        super().setUp()
        self.code = f"lanes_{uuid.uuid4().hex[:8]}"
        self.email = f"{self.code}@hospital.test"
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            backend = env["hc.integration.backend"].create(
                {"name": self.code, "code": self.code, "backend_type": "hris"}
            )
            flows = backend._hc_hr_setup_flows()
            self.flow_id = flows.filtered(lambda f: f.code == "employee_upsert").id
            # no users: the guard under test is the employee's, not res.users' unique login
            flows.write({"sync_mode": "batch", "hr_provision_users": False})
            self.backend_id = backend.id
        self.addCleanup(self._cleanup)

    def _enqueue(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            flow = env["hc.integration.flow"].browse(self.flow_id)
            for external_id, case in (("A1", self.email), ("B2", self.email.upper())):
                env["hc.integration.message"]._hc_enqueue(
                    flow,
                    {
                        "event_type": "employee.upsert",
                        "schema_version": "1.0",
                        "occurred_at": "2026-01-01T00:00:00Z",
                        "employee": {
                            "external_id": f"{self.code}-{external_id}",
                            "first_name": "Twin",
                            "last_name": external_id,
                            "work_email": case,
                            "status": "active",
                        },
                    },
                    external_id=f"{self.code}-{external_id}",
                )

    def _lane(self, lane, errors, done=None):
        """One lane: claim one message and process it on a connection of its own."""
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                processor = env["hc.integration.processor"]
                owner = processor._new_lease_owner(lane)
                messages = processor._claim(1, lane=lane, owner=owner)
                # the lease, seen by the other lane
                cr.commit()  # pylint: disable=invalid-commit
                for message in messages:
                    processor._process_message(message, auto_commit=True, owner=owner)
                if done is not None:
                    done.append(len(messages))
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    def _run_lanes_at_once(self):
        """Both lanes pass the duplicate search before either creates its employee."""
        barrier = threading.Barrier(2)
        original = HcHrSync._save_employee
        calls = []

        def save_together(this, message, employee, values, external_id):
            calls.append(external_id)
            if len(calls) <= 2 and not employee:
                barrier.wait(timeout=20)
            return original(this, message, employee, values, external_id)

        errors = []
        with patch.object(HcHrSync, "_save_employee", save_together):
            threads = [threading.Thread(target=self._lane, args=(lane, errors)) for lane in (1, 2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertFalse(errors, errors)
        self.assertEqual(len(calls), 2, "both lanes reached the creation at the same time")
        # what the conflict put back in the queue runs again (one lane is enough)
        for _round in range(10):
            done = []
            self._lane(1, errors, done)
            self.assertFalse(errors, errors)
            if not done[0]:
                break

    def test_same_email_in_two_lanes_ends_as_one_conflict(self):
        self._enqueue()
        self._run_lanes_at_once()
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM hr_employee WHERE lower(work_email) = %s", [self.email]
            )
            self.assertEqual(cr.fetchone()[0], 1, "two employees with one work e-mail")
            cr.execute(
                "SELECT state FROM hc_integration_message WHERE backend_id = %s ORDER BY state",
                [self.backend_id],
            )
            self.assertEqual([row[0] for row in cr.fetchall()], ["done", "exception"])
            cr.execute(
                "SELECT x.category, x.state FROM hc_integration_exception x "
                "JOIN hc_integration_message m ON m.id = x.message_id WHERE m.backend_id = %s",
                [self.backend_id],
            )
            self.assertEqual(cr.fetchall(), [("conflict", "open")], "exactly one exception")

    def _cleanup(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT id FROM hr_employee WHERE hc_backend_id = %s", [self.backend_id])
            employee_ids = [row[0] for row in cr.fetchall()]
            purge_committed_queue(cr, self.backend_id)
            cr.execute(
                "DELETE FROM hc_integration_binding WHERE backend_id = %s", [self.backend_id]
            )
            env = api.Environment(cr, SUPERUSER_ID, {})
            employees = env["hr.employee"].with_context(active_test=False).browse(employee_ids)
            employees._hc_hr_sync_env().unlink()
            cr.execute("DELETE FROM hc_integration_flow WHERE backend_id = %s", [self.backend_id])
            cr.execute(
                "DELETE FROM hc_integration_secret "
                "WHERE res_model = 'hc.integration.backend' AND res_id = %s",
                [self.backend_id],
            )
            cr.execute("DELETE FROM hc_integration_backend WHERE id = %s", [self.backend_id])
