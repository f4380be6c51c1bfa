import logging
import time

from odoo import api, fields, models

from .hc_integration_metrics import LATENCY_BUCKETS
from .hc_integration_processor import _testing

_logger = logging.getLogger(__name__)
#: Expired leases given back per call of the maintenance cron.
LEASE_BATCH = 500
#: Audit entries sealed per statement batch of the maintenance cron.
SEAL_BATCH = 500


# hc.integration.processor is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationProcessor(models.AbstractModel):
    """Maintenance of the queue, every minute: leases of dead workers returned to the
    queue, waits timed out or released, the audit log sealed."""

    _inherit = "hc.integration.processor"

    @api.model
    def _cron_maintenance(self):
        """Return expired leases to the queue, time out waits, release satisfied waits,
        seal the audit log, roll up the metrics' hourly totals.

        Like the queue crons, a call works within what is left of its cron round (issue
        13): leases, sealing and roll-ups go in batches, and a call out of time reports
        remaining work so that the scheduler comes back for the rest.
        """
        budget = self._call_time_budget()
        if not budget:
            self._hc_come_back(did_nothing=True)
            self.env["ir.cron"]._notify_progress(done=0, remaining=1)
            return 0, 0, 0
        deadline = time.monotonic() + budget
        if not _testing():
            # start fresh so the lease reaper claims in READ COMMITTED
            self.env.cr.commit()  # pylint: disable=invalid-commit
        expired = self._release_expired_leases(limit=LEASE_BATCH)
        timed_out = released = sealed = 0
        if expired < LEASE_BATCH:
            timed_out = self._expire_waits()
            released = self._release_satisfied_waits()
            sealed, finished = self._seal_audit(deadline)
            if finished:
                # the metrics' hourly totals (a scrape reads them, not the whole audit log)
                self.env["hc.integration.metric.bucket"]._hc_roll_up(LATENCY_BUCKETS, deadline)
        if expired == LEASE_BATCH or time.monotonic() >= deadline:
            # more leases or more to seal than fits in this call
            self._hc_come_back(did_nothing=False)
            self.env["ir.cron"]._notify_progress(done=expired + sealed + 1, remaining=1)
        _logger.debug(
            "maintenance: %s lease(s) expired, %s wait(s) timed out, %s released, %s sealed",
            expired,
            timed_out,
            released,
            sealed,
        )
        return expired, timed_out, released

    @api.model
    def _seal_audit(self, deadline):
        """Seal the audit log in batches until done or ``deadline``; ``(sealed, done)``."""
        sealed = 0
        while True:
            batch = self.env["hc.integration.audit"]._seal(limit=SEAL_BATCH)
            sealed += batch
            if batch < SEAL_BATCH:
                return sealed, True
            if _testing() or time.monotonic() >= deadline:
                return sealed, False
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _release_expired_leases(self, limit=None):
        """Messages whose worker died (lease expired, row not locked by a live worker), at
        most ``limit`` of them."""
        self._read_committed_if_fresh()
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT id FROM hc_integration_message
                WHERE state = 'processing' AND lease_expires_at < %s
                ORDER BY id LIMIT %s
                  FOR UPDATE SKIP LOCKED""",
            (fields.Datetime.now(), limit),
        )
        messages = (
            self.env["hc.integration.message"].sudo().browse([r[0] for r in self.env.cr.fetchall()])
        )
        messages.invalidate_recordset()
        for message in messages:
            self._on_retryable(message, "the worker processing it stopped (lease expired)", 0)
        if messages:
            self._wake_up()
        return len(messages)

    @api.model
    def _expire_waits(self):
        messages = (
            self.env["hc.integration.message"]
            .sudo()
            .search([("state", "=", "waiting"), ("wait_until", "<", fields.Datetime.now())])
        )
        for message in messages:
            self._on_business(
                message,
                self.env._(
                    "Still waiting after %(minutes)s minutes: %(reason)s",
                    minutes=message.flow_id.dependency_timeout_minutes,
                    reason=message.last_error or message.wait_key,
                ),
                "dependency",
            )
        return len(messages)

    @api.model
    def _release_satisfied_waits(self):
        """Catch dependencies that arrived while the waiting message was being committed."""
        messages = self.env["hc.integration.message"].sudo().search([("state", "=", "waiting")])
        released = 0
        for key in set(messages.mapped("wait_key")):
            if key and self.env["hc.integration.binding"]._dependency_satisfied(key):
                released += len(self.env["hc.integration.message"]._release_waiting(key))
        return released
