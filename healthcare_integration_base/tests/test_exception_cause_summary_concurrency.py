"""The per-cause counts under two real database connections at once (committed data).

These tests commit through their own cursors, so they create uniquely named records and
remove everything they created at the end.
"""

import uuid

from odoo.tests import tagged

from .common import CommittedCase, purge_committed_queue


@tagged("post_install", "-at_install")
class TestExceptionCauseSummaryConcurrency(CommittedCase):
    """Two transactions opening or closing exceptions of one cause at the same time both
    commit, and the count is exact: no lost update, no serialization failure, no wait."""

    env_context = {"tracking_disable": True}

    def setUp(self):
        super().setUp()
        self.code = f"sum_{uuid.uuid4().hex[:8]}"
        with self.registry.cursor() as cr:
            env = self._env(cr)
            backend = env["hc.integration.backend"].create({"name": self.code, "code": self.code})
            flow = env["hc.integration.flow"].create(
                {
                    "name": "Contacts",
                    "code": "contacts",
                    "backend_id": backend.id,
                    "handler_model": "hc.integration.handler.sample",
                    "event_type": "contact.upsert",
                    # batch: enqueueing commits no wake-up trigger that would outlive the test
                    "sync_mode": "batch",
                }
            )
            self.backend_id, self.flow_id = backend.id, flow.id
            self.message_ids = [
                env["hc.integration.message"]
                ._hc_enqueue(
                    flow,
                    {"contact": {"external_id": f"S{index}", "name": "Concurrent"}},
                    external_id=f"{self.code}-{index}",
                )[0]
                .id
                for index in range(4)
            ]
        self.cause_key = f"error:validation:{self.flow_id}"
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT id FROM hc_integration_exception WHERE backend_id = %s", [self.backend_id]
            )
            exception_ids = tuple(row[0] for row in cr.fetchall()) or (0,)
            cr.execute(
                "DELETE FROM mail_message WHERE model = 'hc.integration.exception' "
                "AND res_id IN %s",
                [exception_ids],
            )
            purge_committed_queue(cr, self.backend_id)
            cr.execute("DELETE FROM hc_integration_flow WHERE backend_id = %s", [self.backend_id])
            cr.execute(
                "DELETE FROM hc_integration_secret "
                "WHERE res_model = 'hc.integration.backend' AND res_id = %s",
                [self.backend_id],
            )
            cr.execute("DELETE FROM hc_integration_backend WHERE id = %s", [self.backend_id])

    def _open(self, cr, index):
        """Open the exception of message ``index`` in ``cr`` and write it to the database."""
        env = self._env(cr)
        message = env["hc.integration.message"].browse(self.message_ids[index])
        exception = env["hc.integration.exception"]._hc_open_for(
            message, "validation", "Cannot be applied."
        )
        env.flush_all()
        return exception.id

    def _counts(self):
        """(summary count of the cause, open exceptions of the cause counted one by one)."""
        with self.registry.cursor() as cr:
            summary = self._env(cr)["hc.integration.exception.cause.summary"]._hc_counts()
            cr.execute(
                "SELECT count(*) FROM hc_integration_exception "
                "WHERE state = 'open' AND flow_id = %s",
                [self.flow_id],
            )
            counted = cr.fetchone()[0]
            company_id = self._env(cr)["hc.integration.flow"].browse(self.flow_id).company_id.id
        return summary.get((self.cause_key, self.flow_id, company_id), 0), counted

    def _second(self):
        """A second connection that would fail at once instead of waiting for a lock."""
        cr = self.registry.cursor()
        cr.execute("SET LOCAL lock_timeout = '2s'")
        return cr

    def test_two_transactions_open_exceptions_of_one_cause_at_once(self):
        with self.registry.cursor() as first, self._second() as second:
            self._open(first, 0)  # holds its summary row until it commits
            self._open(second, 1)  # would wait here (lock timeout) with one shared row
            first.commit()
            second.commit()
        self.assertEqual(self._counts(), (2, 2))

    def test_a_transaction_older_than_a_commit_still_counts(self):
        """Under REPEATABLE READ, updating a counter row another transaction changed since
        this one's snapshot is a serialization failure: each connection writes its own."""
        with self.registry.cursor() as first, self._second() as second:
            second.execute("SELECT 1")  # its snapshot: before the first one's commit
            self._open(first, 0)
            first.commit()
            self._open(second, 1)
            second.commit()
        self.assertEqual(self._counts(), (2, 2))

    def test_one_resolves_while_another_opens(self):
        with self.registry.cursor() as cr:
            opened = [self._open(cr, 0), self._open(cr, 1)]
        self.assertEqual(self._counts(), (2, 2))
        with self.registry.cursor() as first, self._second() as second:
            second.execute("SELECT 1")
            env = self._env(first)
            env["hc.integration.exception"].browse(opened[0])._close("resolved", "fixed")
            env.flush_all()
            self._open(second, 2)
            first.commit()
            self._open(second, 3)
            second.commit()
        self.assertEqual(self._counts(), (3, 3))
        with self.registry.cursor() as cr:
            self._env(cr)["hc.integration.exception.cause.summary"]._hc_compact()
        self.assertEqual(self._counts(), (3, 3))
