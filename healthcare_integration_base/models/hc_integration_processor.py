import logging
import math
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import config

from ..exceptions import (
    BusinessError,
    DependencyError,
    MappingError,
    RetryableError,
    StaleEventError,
)
from ..tools.backoff import full_jitter_delay

_logger = logging.getLogger(__name__)

LANE_CRON_XMLID = "healthcare_integration_base.ir_cron_process_queue"
#: Odoo calls a cron that reports remaining work up to this many times per round
#: (``ir_cron.MAX_BATCH_PER_CRON_JOB``).
MAX_CALLS_PER_ROUND = 10
#: Errors from Odoo or PostgreSQL that mean "the data cannot be applied as sent".
BUSINESS_EXCEPTIONS = (UserError, ValidationError, AccessError)


def _testing():
    """True inside Odoo's test runner: tests run in one transaction that is never committed."""
    return getattr(threading.current_thread(), "testing", False)


class HcIntegrationProcessor(models.AbstractModel):
    """The queue processor, run by the processing crons ("lanes").

    Each lane claims a small batch of due messages with ``FOR UPDATE SKIP LOCKED``, marks
    them ``processing`` with a lease and commits, then processes each message in its own
    savepoint and commits it on its own. Several lanes, threads or servers share the queue
    safely; a lane that dies leaves leases that ``_cron_maintenance`` returns to the queue.
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

    @api.model
    def _lane_crons(self):
        """The processing crons, lane 1 first."""
        lane_one = self.env.ref(LANE_CRON_XMLID, raise_if_not_found=False)
        if not lane_one:
            return self.env["ir.cron"]
        others = (
            self.env["ir.cron"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("ir_actions_server_id.code", "like", "model._cron_process_queue(lane="),
                    ("id", "!=", lane_one.id),
                ],
                order="id",
            )
        )
        return lane_one.sudo() | others

    @api.model
    def _sync_lanes(self, count):
        """Make ``count`` processing crons active (lane 1 is the data record)."""
        count = max(1, int(count))
        crons = self._lane_crons()
        if not crons:
            return crons
        lane_one = crons[0]
        for lane in range(2, count + 1):
            if len(crons) < lane:
                crons |= lane_one.copy(
                    {
                        "name": f"Integrations: process queue (lane {lane})",
                        "code": f"model._cron_process_queue(lane={lane})",
                        "active": True,
                    }
                )
        for index, cron in enumerate(crons, start=1):
            wanted = index <= count
            if cron.active != wanted:
                cron.active = wanted
        return crons

    @api.model
    def _wake_up(self, at=None):
        """Wake a processing lane now (or at ``at``), once per transaction."""
        self._trigger_cron_once(LANE_CRON_XMLID, at)

    @api.model
    def _trigger_cron_once(self, xmlid, at=None):
        """``_trigger`` the cron unless this transaction already did, or a trigger that is
        due and not yet consumed is waiting for it.

        Each trigger costs an insert and, after commit, a new connection to the
        ``postgres`` database for ``NOTIFY`` (Odoo does not pool those): a burst of
        deliveries needs one wake-up, not one per event. Skipping is safe: the scheduler
        deletes triggers only when a run completes, and a lane reports remaining work
        (so it runs again at once) when messages arrived during its run.
        """
        woken = self.env.cr.precommit.data.setdefault("hc_integration.woken", set())
        now = fields.Datetime.now()
        when = at if at and at > now else None
        key = (xmlid, when.isoformat() if when else "now")
        if key in woken:
            return
        woken.add(key)
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False)
        if not cron_id:
            return
        if when is None:
            self.env.cr.execute(
                "SELECT 1 FROM ir_cron_trigger WHERE cron_id = %s AND call_at <= %s LIMIT 1",
                (cron_id, now),
            )
            if self.env.cr.fetchone():
                return
        self.env["ir.cron"].sudo().browse(cron_id)._trigger(at=when)

    # ------------------------------------------------------------------------------------
    # Claim
    # ------------------------------------------------------------------------------------
    @api.model
    def _claim(self, limit=10, direction="inbound", lane=1):
        """Claim up to ``limit`` due messages for this worker and return them.

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
        owner = f"{socket.gethostname()}:{os.getpid()}:{lane}:{uuid.uuid4().hex[:8]}"
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

        Reports progress so the scheduler calls again at once while work remains.
        """
        batch_size = batch_size or self._get_param("batch_size", 10)
        time_budget = time_budget or self._call_time_budget()
        auto_commit = not _testing()
        deadline = time.monotonic() + time_budget
        processed = 0
        other_lanes_woken = False
        while time.monotonic() < deadline:
            if auto_commit:
                # the claim must start a fresh transaction: a REPEATABLE READ snapshot older
                # than other lanes' commits would make row locking fail
                self.env.cr.commit()  # pylint: disable=invalid-commit
            try:
                messages = self._claim(batch_size, direction, lane)
            except psycopg2.errors.SerializationFailure:
                self.env.cr.rollback()
                continue
            if auto_commit:
                # leases are visible to every worker from now on
                self.env.cr.commit()  # pylint: disable=invalid-commit
            if not messages:
                break
            if direction == "inbound" and not other_lanes_woken and len(messages) == batch_size:
                self._wake_other_lanes(lane)
                other_lanes_woken = True
            for message in messages:
                self._process_message(message, auto_commit)
                processed += 1
            if not auto_commit:
                break
        remaining = self._count_due(direction)
        self.env["ir.cron"]._notify_progress(done=processed, remaining=remaining)
        return processed

    @api.model
    def _call_time_budget(self):
        """Seconds one call of a queue cron (a lane, the delivery or the pull cron) may work.

        In prefork mode (``--workers``) a cron worker runs every ready job in one round,
        calls a job that reports remaining work up to 10 times in a row, and is killed when
        the round outlasts ``limit_time_real_cron`` (``limit_time_real`` when unset) or
        ``limit_time_cpu``. With a deep backlog every queue cron is ready and reports
        remaining work, so their calls share one round: each call gets half of the limit
        divided among all those calls, and work resumes in the next round. Threaded servers
        kill no cron, so the configured budget (default 50 s) applies as is.
        """
        configured = self._get_param("time_budget_seconds", 50)
        if not config.get("workers"):
            return configured
        # the watchdog of cron workers: limit_time_real_cron, -1 meaning limit_time_real
        real = config.get("limit_time_real_cron", -1)
        if real == -1:
            real = config.get("limit_time_real") or 0
        limits = [limit for limit in (real, config.get("limit_time_cpu") or 0) if limit > 0]
        if not limits:
            return configured
        queue_crons = len(self._lane_crons().filtered("active")) + 2  # + delivery and pull
        share = min(limits) * 0.5 / (MAX_CALLS_PER_ROUND * queue_crons)
        return max(0.2, min(configured, share))

    @api.model
    def _wake_other_lanes(self, lane):
        """A full batch means a backlog: let the other lanes help now."""
        for index, cron in enumerate(self._lane_crons(), start=1):
            if index != lane and cron.active:
                cron._trigger()

    # ------------------------------------------------------------------------------------
    # One message
    # ------------------------------------------------------------------------------------
    @api.model
    def _process_message(self, message, auto_commit=False):
        """Apply one claimed message and record the outcome. Never raises."""
        cr = self.env.cr
        try:
            if not self._lock_claimed(message):
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
    def _lock_claimed(self, message):
        """Lock the message row for the time of its processing, so the lease reaper never
        takes a message from a live worker; False if it is no longer ours."""
        owner = message.lease_owner
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
        flow = message.flow_id
        try:
            handler = flow._get_handler()
            # exceptions a successful run resolves; those the handler opens itself as
            # follow-ups (e.g. "the leaver still has direct reports") stay open
            open_before = message.exception_ids.filtered(lambda e: e.state == "open")
            with self.env.cr.savepoint():
                result = handler.with_context(hc_message_id=message.id)._hc_process(message)
                if result:
                    message._link_records(result)
        except StaleEventError as error:
            message._hc_transition(
                "done", summary=f"ignored: {error.message}", **message._hc_finish_values()
            )
            self.env["hc.integration.audit"]._log(
                "message.stale", error.message, message=message, backend=message.backend_id
            )
        except RetryableError as error:
            self._on_retryable(message, error.message, error.delay)
        except DependencyError as error:
            self._on_dependency(message, error)
        except MappingError as error:
            self._on_mapping(message, error)
        except BusinessError as error:
            self._on_business(message, error.message, error.category, error.detail, error.record)
        except BUSINESS_EXCEPTIONS as error:
            self._on_business(message, str(error.args[0] if error.args else error), "validation")
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.DeadlockDetected) as error:
            self._on_conflict(message, f"database conflict ({type(error).__name__})")
        except psycopg2.OperationalError as error:
            # lock timeouts, lost connections: worth a retry
            self._on_retryable(message, f"database conflict ({type(error).__name__})", None)
        except Exception as error:
            _logger.exception("Handler %s failed on message %s", flow.handler_model, message.id)
            self._on_retryable(message, f"unexpected error ({type(error).__name__})", None)
        else:
            message._hc_transition("done", **message._hc_finish_values())
            open_before.filtered(lambda e: e.state == "open")._close(
                "resolved", self.env._("The message was processed successfully.")
            )

    # ------------------------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------------------------
    @api.model
    def _on_retryable(self, message, reason, delay):
        flow = message.flow_id
        if message.attempts >= flow.max_attempts:
            self._on_business(
                message,
                self.env._(
                    "Gave up after %(attempts)s attempts. Last error: %(reason)s",
                    attempts=message.attempts,
                    reason=reason,
                ),
                "technical",
            )
            return
        if delay is None:
            # whole seconds (Datetime.now() has none) and at least one, so a zero draw of
            # the jitter does not retry within the same pass
            delay = max(
                1,
                math.ceil(full_jitter_delay(message.attempts, flow.backoff_base, flow.backoff_cap)),
            )
        next_at = fields.Datetime.now() + timedelta(seconds=int(delay))
        message._hc_transition(
            "retry",
            summary=f"attempt {message.attempts} failed, next at {next_at:%Y-%m-%d %H:%M:%S}: "
            f"{reason}",
            next_attempt_at=next_at,
            last_error=reason,
            error_class="technical",
            lease_expires_at=False,
            lease_owner=False,
        )

    @api.model
    def _on_conflict(self, message, reason):
        """Another worker committed a change to a row this message changes too (typically
        a counter stored on a shared record: two employees hired into one job both update
        the job's number of employees). As Odoo's HTTP layer does for requests, the message
        runs again at once in a fresh transaction, and the attempt is given back: a
        conflict says nothing about the message. After ``hc_integration.conflict_retries``
        (default 10) conflicts, further ones count as ordinary failures (backoff, then
        exception), so nothing can loop for ever."""
        allowed = self._get_param("conflict_retries", 10)
        conflicts = (
            self.env["hc.integration.audit"]
            .sudo()
            .search_count(
                [
                    ("message_id", "=", message.id),
                    ("action", "=", "message.retry"),
                    ("summary", "like", "conflict, run again"),
                ]
            )
        )
        if conflicts >= allowed:
            self._on_retryable(message, reason, None)
            return
        message._hc_transition(
            "retry",
            summary=f"conflict, run again at once: {reason}",
            attempts=max(0, message.attempts - 1),
            next_attempt_at=fields.Datetime.now(),
            last_error=reason,
            error_class="technical",
            lease_expires_at=False,
            lease_owner=False,
        )

    @api.model
    def _on_dependency(self, message, error):
        flow = message.flow_id
        wait_until = fields.Datetime.now() + timedelta(minutes=flow.dependency_timeout_minutes)
        message._hc_transition(
            "waiting",
            summary=error.message,
            wait_key=error.key,
            wait_until=wait_until,
            last_error=error.message,
            error_class="dependency",
            lease_expires_at=False,
            lease_owner=False,
        )

    @api.model
    def _on_mapping(self, message, error):
        try:
            with self.env.cr.savepoint():
                mappings = self.env["hc.integration.mapping"]._ensure_pending(
                    message.backend_id, error.missing
                )
        except psycopg2.IntegrityError:
            # another worker is creating the same pending mapping right now
            self._on_retryable(message, "pending mapping created concurrently", 5)
            return
        first = mappings.filtered(lambda m: m.state == "pending")[:1] or mappings[:1]
        lines = "\n".join(
            f"• {dict(m._fields['mapping_type'].selection).get(m.mapping_type, m.mapping_type)}"
            f" '{m.external_code}'"
            for m in mappings
        )
        description = self.env._(
            "The %(backend)s sent codes that are not mapped to Odoo yet:\n%(lines)s\n"
            "Open Map value, choose what each code stands for in Odoo and save: the message "
            "is processed again automatically.",
            backend=message.backend_id.name,
            lines=lines,
        )
        self._on_business(
            message,
            description,
            "mapping",
            mapping=first,
            wait_key=f"mapping:{first.id}",
            title=self.env._("Missing mapping: %s", ", ".join(m.display_name for m in mappings)),
        )

    @api.model
    def _on_business(
        self,
        message,
        description,
        category,
        detail=None,
        record=None,
        mapping=None,
        wait_key=None,
        title=None,
    ):
        """Move the message to ``exception`` and open (or refresh) its exception."""
        title = title or (description.splitlines()[0] if description else category)
        message._hc_transition(
            "exception",
            summary=f"{category}: {title[:150]}",
            last_error=description,
            error_class=category
            if category in dict(message._fields["error_class"].selection)
            else "technical",
            wait_key=wait_key or False,
            lease_expires_at=False,
            lease_owner=False,
            finished_at=fields.Datetime.now(),
        )
        self.env["hc.integration.exception"]._hc_open_for(
            message,
            category,
            description,
            detail=detail,
            record=record,
            mapping=mapping,
            title=title,
        )

    # ------------------------------------------------------------------------------------
    # Maintenance (every minute)
    # ------------------------------------------------------------------------------------
    @api.model
    def _cron_maintenance(self):
        """Return expired leases to the queue, time out waits, release satisfied waits,
        seal the audit log."""
        if not _testing():
            # start fresh so the lease reaper claims in READ COMMITTED
            self.env.cr.commit()  # pylint: disable=invalid-commit
        expired = self._release_expired_leases()
        timed_out = self._expire_waits()
        released = self._release_satisfied_waits()
        sealed = self.env["hc.integration.audit"]._seal()
        _logger.debug(
            "maintenance: %s lease(s) expired, %s wait(s) timed out, %s released, %s sealed",
            expired,
            timed_out,
            released,
            sealed,
        )
        return expired, timed_out, released

    @api.model
    def _release_expired_leases(self):
        """Messages whose worker died (lease expired, row not locked by a live worker)."""
        self._read_committed_if_fresh()
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT id FROM hc_integration_message
                WHERE state = 'processing' AND lease_expires_at < %s
                  FOR UPDATE SKIP LOCKED""",
            (fields.Datetime.now(),),
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
