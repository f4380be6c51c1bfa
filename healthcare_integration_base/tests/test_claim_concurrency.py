"""Claiming from two real database connections at once (committed data).

These tests commit through their own cursors, so they create uniquely named records and
remove everything they created at the end.
"""

import threading
import uuid

from odoo.tests import tagged

from .common import CommittedCase, purge_committed_queue


@tagged("post_install", "-at_install")
class TestClaimConcurrency(CommittedCase):
    """Not a TransactionCase: the data must be committed for a second connection to see it."""

    def setUp(self):
        super().setUp()
        self.code = f"conc_{uuid.uuid4().hex[:8]}"
        with self.registry.cursor() as cr:
            env = self._env(cr)
            backend = env["hc.integration.backend"].create({"name": self.code, "code": self.code})
            self.flow_id = (
                env["hc.integration.flow"]
                .create(
                    {
                        "name": "Contacts",
                        "code": "contacts",
                        "backend_id": backend.id,
                        "handler_model": "hc.integration.handler.sample",
                        "event_type": "contact.upsert",
                        "sync_mode": "batch",
                    }
                )
                .id
            )
            self.backend_id = backend.id
        self.addCleanup(self._cleanup)

    def _enqueue(self, count, same_key=False):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            flow = env["hc.integration.flow"].browse(self.flow_id)
            for index in range(count):
                external_id = "SAME" if same_key else f"C{index}"
                env["hc.integration.message"]._hc_enqueue(
                    flow,
                    {"contact": {"external_id": external_id, "name": f"Concurrent {index}"}},
                    external_id=f"{self.code}-{index}",
                )

    def _claim_in_threads(self, workers=2, limit=7):
        barrier = threading.Barrier(workers)
        results, errors = [], []

        def claim():
            try:
                with self.registry.cursor() as cr:
                    env = self._env(cr)
                    barrier.wait(timeout=10)
                    claimed = env["hc.integration.processor"]._claim(limit)
                    results.append(
                        set(claimed.filtered(lambda m: m.flow_id.id == self.flow_id).ids)
                    )
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=claim) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        self.assertFalse(errors, errors)
        return results

    def _cleanup(self):
        with self.registry.cursor() as cr:
            purge_committed_queue(cr, self.backend_id)
            cr.execute("DELETE FROM hc_integration_flow WHERE backend_id = %s", [self.backend_id])
            cr.execute(
                "DELETE FROM hc_integration_secret "
                "WHERE res_model = 'hc.integration.backend' AND res_id = %s",
                [self.backend_id],
            )
            cr.execute("DELETE FROM hc_integration_backend WHERE id = %s", [self.backend_id])

    def test_two_connections_claiming_at_once_never_get_the_same_message(self):
        self._enqueue(20)
        for _round in range(3):
            first, second = self._claim_in_threads(workers=2, limit=7)
            self.assertFalse(first & second, "a message was claimed twice")
        # every message claimed exactly once over the three rounds
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT state, attempts, count(*) FROM hc_integration_message "
                "WHERE backend_id = %s GROUP BY state, attempts",
                [self.backend_id],
            )
            self.assertEqual(cr.fetchall(), [("processing", 1, 20)])

    def test_four_connections_share_a_backlog_without_overlap(self):
        self._enqueue(40)
        claimed = self._claim_in_threads(workers=4, limit=10)
        union = set().union(*claimed)
        self.assertEqual(sum(len(ids) for ids in claimed), len(union), "overlap between workers")
        self.assertEqual(len(union), 40)

    def test_same_ordering_key_is_never_processed_in_parallel(self):
        self._enqueue(5, same_key=True)
        first, second = self._claim_in_threads(workers=2, limit=5)
        self.assertEqual(len(first | second), 1, "only the oldest message of a key is claimable")
