import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..exceptions import (
    BusinessError,
    DependencyError,
    MappingError,
    RetryableError,
    StaleEventError,
)

_logger = logging.getLogger(__name__)

#: Errors from Odoo or PostgreSQL that mean "the data cannot be applied as sent".
BUSINESS_EXCEPTIONS = (UserError, ValidationError, AccessError)
#: What an error raised by a handler leads to: the first row whose classes match names the
#: outcome method, called with ``(message, error)``. Subclasses come before their bases.
HANDLER_ERROR_OUTCOMES = (
    (StaleEventError, "_on_stale_error"),
    (RetryableError, "_on_retryable_error"),
    (DependencyError, "_on_dependency"),
    (MappingError, "_on_mapping"),
    (BusinessError, "_on_business_error"),
    (BUSINESS_EXCEPTIONS, "_on_odoo_error"),
    (
        (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected),
        "_on_database_conflict",
    ),
    (psycopg2.OperationalError, "_on_database_error"),
    (Exception, "_on_unexpected_error"),
)


def _testing():
    """True inside Odoo's test runner: tests run in one transaction that is never committed."""
    return getattr(threading.current_thread(), "testing", False)


class HcIntegrationProcessor(models.AbstractModel):
    """The queue processor, run by the processing crons ("lanes").

    Each lane claims a small batch of due messages with ``FOR UPDATE SKIP LOCKED``, marks
    them ``processing`` with a lease and commits, then processes each message in its own
    savepoint and commits it on its own. Several lanes, threads or servers share the queue
    safely; a lane that dies leaves leases that ``_cron_maintenance`` returns to the queue.

    This file holds the claim, the processing loop and the run of one handler; the lanes,
    outcomes, maintenance and outbound delivery are in ``hc_integration_processor_*.py``.
    """

    _name = "hc.integration.processor"
    _description = "Integration queue processor"

    # ------------------------------------------------------------------------------------
    # Configuration
    # ------------------------------------------------------------------------------------
    @api.model
    def _get_param(self, name, default):
        value = self.env["ir.config_parameter"].sudo().get_param(f"hc_integration.{name}")
        try:
            return int(value) if value not in (None, False, "") else default
        except ValueError:
            return default

    # ------------------------------------------------------------------------------------
    # Claim
    # ------------------------------------------------------------------------------------
    @api.model
    def _claim(self, limit=10, direction="inbound", lane=1, owner=None):
        """Claim up to ``limit`` due messages for this worker and return them; their
        ``lease_owner`` is ``owner`` (default: a new :meth:`_new_lease_owner`).

        A message is due when it is pending or due for retry, its next attempt time has
        come, its flow is not paused, and no earlier message with the same ordering key is
        still on its way (messages effective in the future do not block later ones).
        A ``waiting`` message does not hold its key, like one in ``exception``: what it waits
        for may be the next message of that very key (an update that arrived before the
        hire of its employee), and handlers keep late-released, older events from
        overwriting newer data with the bindings' stale check.
        """
        self._read_committed_if_fresh()
        now = fields.Datetime.now()
        owner = owner or self._new_lease_owner(lane)
        lease = now + timedelta(seconds=self._get_param("lease_seconds", 300))
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE hc_integration_message m
               SET state = 'processing',
                   attempts = m.attempts + 1,
                   lease_expires_at = %(lease)s,
                   lease_owner = %(owner)s,
                   started_at = %(now)s,
                   write_date = %(now)s
             WHERE m.id IN (
                SELECT c.id
                  FROM hc_integration_message c
                 WHERE c.state IN ('pending', 'retry')
                   AND c.direction = %(direction)s
                   AND c.next_attempt_at <= %(now)s
                   AND NOT EXISTS (
                        SELECT 1 FROM hc_integration_flow f
                         WHERE f.id = c.flow_id AND f.paused)
                   AND (c.ordering_key IS NULL OR NOT EXISTS (
                        SELECT 1 FROM hc_integration_message e
                         WHERE e.backend_id = c.backend_id
                           AND e.ordering_key = c.ordering_key
                           AND e.id < c.id
                           AND e.state IN ('pending', 'retry', 'processing')
                           AND (e.effective_at IS NULL OR e.effective_at <= %(now)s)))
                 ORDER BY c.priority, c.id
                 LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED)
            RETURNING m.id
            """,
            {"lease": lease, "owner": owner, "now": now, "direction": direction, "limit": limit},
        )
        ids = sorted(row[0] for row in self.env.cr.fetchall())
        messages = self.env["hc.integration.message"].sudo().browse(ids)
        messages.invalidate_recordset()
        if messages:
            self.env["hc.integration.audit"]._log_many(
                "message.processing", messages, f"pending → processing (lane {lane})"
            )
        return messages

    @api.model
    def _new_lease_owner(self, lane):
        """A name for one claim: host, process, lane and a random part."""
        return f"{socket.gethostname()}:{os.getpid()}:{lane}:{uuid.uuid4().hex[:8]}"

    @api.model
    def _read_committed_if_fresh(self):
        """Run the claim in READ COMMITTED when it starts the transaction.

        Odoo transactions are REPEATABLE READ: there, a row another worker claimed and
        committed after this transaction's snapshot makes ``FOR UPDATE SKIP LOCKED`` fail
        with a serialization error instead of skipping it. READ COMMITTED is the isolation
        the SKIP LOCKED queue pattern is meant for; handlers still run in REPEATABLE READ
        (each message gets a new transaction).
        """
        connection = getattr(self.env.cr, "_cnx", None)
        status = getattr(getattr(connection, "info", None), "transaction_status", None)
        if status == psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")

    @api.model
    def _count_due(self, direction="inbound"):
        self.env.cr.execute(
            """SELECT count(*) FROM hc_integration_message
                WHERE state IN ('pending', 'retry') AND direction = %s AND next_attempt_at <= %s""",
            (direction, fields.Datetime.now()),
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------------------------
    # Cron entry point
    # ------------------------------------------------------------------------------------
    @api.model
    def _cron_process_queue(self, lane=1, direction="inbound", batch_size=None, time_budget=None):
        """Process due messages for up to ``time_budget`` seconds, committing each one.

        The default budget is what is left of the cron round (``_call_time_budget``); each
        claim takes no more messages than fit in the time left, at the pace measured so
        far. Reports progress so the scheduler calls again at once while work remains.
        """
        batch_size = batch_size or self._get_param("batch_size", 10)
        time_budget = self._call_time_budget() if time_budget is None else time_budget
        auto_commit = not _testing()
        started = time.monotonic()
        deadline = started + time_budget
        processed = 0
        other_lanes_woken = False
        while time.monotonic() < deadline:
            if auto_commit:
                # the claim must start a fresh transaction: a REPEATABLE READ snapshot older
                # than other lanes' commits would make row locking fail
                self.env.cr.commit()  # pylint: disable=invalid-commit
            owner = self._new_lease_owner(lane)
            limit = self._claim_size(batch_size, deadline, started, processed)
            try:
                messages = self._claim(limit, direction, lane, owner=owner)
            except psycopg2.errors.SerializationFailure:
                self.env.cr.rollback()
                continue
            if auto_commit:
                # leases are visible to every worker from now on
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if not messages:
                break
            if direction == "inbound" and not other_lanes_woken and len(messages) == limit:
                self._wake_other_lanes(lane)
                other_lanes_woken = True
            for message in messages:
                self._process_message(message, auto_commit, owner=owner)
                processed += 1
            if not auto_commit:
                break
        remaining = self._count_due(direction)
        if remaining and time.monotonic() >= deadline:
            self._hc_come_back(did_nothing=not processed)
        self.env["ir.cron"]._notify_progress(done=processed, remaining=remaining)
        return processed

    @api.model
    def _claim_size(self, batch_size, deadline, started, processed):
        """How many messages to claim: ``batch_size``, fewer when the time left does not
        fit them at the pace of this call so far (0.1 s a message until measured)."""
        left = deadline - time.monotonic()
        pace = (time.monotonic() - started) / processed if processed else 0.1
        return max(1, min(batch_size, int(left / max(pace, 0.001))))

    # ------------------------------------------------------------------------------------
    # One message
    # ------------------------------------------------------------------------------------
    @api.model
    def _process_message(self, message, auto_commit=False, owner=None):
        """Apply one message claimed as ``owner`` and record the outcome. Never raises."""
        cr = self.env.cr
        try:
            if not self._lock_claimed(message, owner):
                return
            self._run_handler(message)
        except Exception:
            # a failure of the engine itself (not of the handler): keep the message leased,
            # the maintenance cron returns it to the queue when the lease expires
            _logger.exception("Integration engine failure on message %s", message.id)
            if auto_commit:
                cr.rollback()
            return
        if auto_commit:
            # each message is committed on its own: one bad message never rolls back others
            cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _lock_claimed(self, message, owner=None):
        """Lock the message row for the time of its processing; False if the message is
        no longer ours.

        The row lock keeps the lease reaper (``SKIP LOCKED``) away from a message a live
        worker is processing, and the state check sees a message the reaper returned to
        the queue meanwhile. Neither sees a message the reaper returned and another lane
        claimed again before this worker got to it (its lease ran out while earlier
        messages of the batch were processed): it is ``processing`` again, for another
        owner. The owner string of this worker's claim tells them apart; without it
        (callers outside the processing loop) only the state is checked.
        """
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT state, lease_owner FROM hc_integration_message "
                    "WHERE id = %s FOR UPDATE",
                    (message.id,),
                )
                row = self.env.cr.fetchone()
        except psycopg2.errors.SerializationFailure:
            row = None  # changed by another worker (lease reaper) since our snapshot
        message.invalidate_recordset()
        if not row or row[0] != "processing" or (owner and row[1] != owner):
            _logger.info("Message %s is no longer ours (%s), skipped", message.id, row)
            return False
        return True

    @api.model
    def _run_handler(self, message):
        """Apply ``message`` with its flow's handler in a savepoint, then record the
        outcome: ``done`` (closing the exceptions the run resolves), or what the handler's
        error calls for (``HANDLER_ERROR_OUTCOMES``)."""
        try:
            # exceptions a successful run resolves; those the handler opens itself as
            # follow-ups (e.g. "the leaver still has direct reports") stay open
            open_before = message.exception_ids.filtered(lambda e: e.state == "open")
            self._apply_in_savepoint(message)
        except Exception as error:  # noqa: BLE001 - every error has an outcome
            self._on_handler_error(message, error)
            return
        message._hc_transition("done", **message._hc_finish_values())
        open_before.filtered(lambda e: e.state == "open")._close(
            "resolved", self.env._("The message was processed successfully.")
        )

    @api.model
    def _apply_in_savepoint(self, message):
        """Run the handler; its writes are rolled back if it raises."""
        handler = message.flow_id._get_handler()
        with self.env.cr.savepoint():
            result = handler.with_context(hc_message_id=message.id)._hc_process(message)
            if result:
                message._link_records(result)

    @api.model
    def _on_handler_error(self, message, error):
        """Dispatch a handler's error to its outcome method."""
        for classes, outcome in HANDLER_ERROR_OUTCOMES:
            if isinstance(error, classes):
                return getattr(self, outcome)(message, error)

    # ------------------------------------------------------------------------------------
    # Handler errors: each one to its outcome (see hc_integration_processor_outcome.py)
    # ------------------------------------------------------------------------------------
    @api.model
    def _on_stale_error(self, message, error):
        """An older event than the data already applied: done, nothing changed."""
        message._hc_transition(
            "done", summary=f"ignored: {error.message}", **message._hc_finish_values()
        )
        self.env["hc.integration.audit"]._log(
            "message.stale", error.message, message=message, backend=message.backend_id
        )

    @api.model
    def _on_retryable_error(self, message, error):
        self._on_retryable(message, error.message, error.delay)

    @api.model
    def _on_business_error(self, message, error):
        self._on_business(message, error.message, error.category, error.detail, error.record)

    @api.model
    def _on_odoo_error(self, message, error):
        """Odoo refused the data (access, validation, user error): a validation issue."""
        self._on_business(message, str(error.args[0] if error.args else error), "validation")

    @api.model
    def _on_database_conflict(self, message, error):
        self._on_conflict(message, f"database conflict ({type(error).__name__})")

    @api.model
    def _on_database_error(self, message, error):
        """Lock timeouts, lost connections: worth a retry."""
        self._on_retryable(message, f"database conflict ({type(error).__name__})", None)

    @api.model
    def _on_unexpected_error(self, message, error):
        """A bug in the handler: logged with its traceback, retried as technical."""
        _logger.error(
            "Handler %s failed on message %s",
            message.flow_id.handler_model,
            message.id,
            exc_info=error,
        )
        self._on_retryable(message, f"unexpected error ({type(error).__name__})", None)
