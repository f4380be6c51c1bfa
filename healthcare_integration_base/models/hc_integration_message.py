import json
import logging
from datetime import timedelta

from psycopg2.extras import Json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..exceptions import ingest_hook
from ..tools import orm_cache
from ..tools.actions import filtered_action
from ..tools.payload import canonical_json, parse_iso_datetime, sha256_hex
from ..tools.sql_columns import column_list
from ..tools.tracecontext import new_trace_id, parse_traceparent

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "healthcare_integration_base.group_integration_manager"

STATES = [
    ("pending", "Pending"),
    ("processing", "Processing"),
    ("retry", "Retry"),
    ("waiting", "Waiting"),
    ("exception", "Exception"),
    ("done", "Done"),
    ("cancelled", "Cancelled"),
]
#: For each target state, the states a message may leave to reach it. Anything else is
#: refused (logged and skipped), as in ``payment.transaction._update_state``.
ALLOWED_FROM = {
    "processing": {"pending", "retry"},
    "done": {"processing"},
    "retry": {"processing"},
    "waiting": {"processing"},
    "exception": {"processing", "waiting", "pending", "retry"},
    "pending": {"waiting", "exception", "retry", "done"},
    "cancelled": {"pending", "retry", "waiting", "exception"},
}
ACTIVE_STATES = ("pending", "retry", "processing", "waiting")
#: Every field of a message is the engine's: people act through the actions (Retry,
#: Replay, Cancel), never by writing state, attempts, wait or ordering keys, lease, times,
#: company or payload (queue_job's protected fields, applied to the whole record).
_ENGINE = object()  # context sentinel: cannot be sent over RPC, so only code can write


class HcIntegrationMessage(models.Model):
    """The integration queue: one row per event received, pulled or to be sent."""

    _name = "hc.integration.message"
    _description = "Integration Message"
    _order = "id desc"
    _rec_name = "external_id"

    backend_id = fields.Many2one(
        "hc.integration.backend", required=True, readonly=True, ondelete="restrict", index=True
    )
    flow_id = fields.Many2one(
        "hc.integration.flow", required=True, readonly=True, ondelete="restrict", index=True
    )
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")], required=True, readonly=True
    )
    external_id = fields.Char(
        string="Event ID", required=True, readonly=True, help="The sender's id of the event."
    )
    content_hash = fields.Char(readonly=True, help="SHA-256 of the body as received.")
    ordering_key = fields.Char(readonly=True, index=True)
    event_type = fields.Char(readonly=True)
    schema_version = fields.Char(readonly=True)
    occurred_at = fields.Datetime(readonly=True, help="When the event happened at the source.")
    effective_at = fields.Datetime(
        string="Effective", readonly=True, help="Not applied before this time."
    )
    payload = fields.Json(readonly=True, groups=MANAGER_GROUP, copy=False)
    payload_display = fields.Text(
        string="Payload (minimised)", compute="_compute_payload_display", groups=MANAGER_GROUP
    )
    payload_purged_at = fields.Datetime(readonly=True, copy=False)
    state = fields.Selection(
        STATES, required=True, default="pending", readonly=True, index=True, copy=False
    )
    priority = fields.Integer(readonly=True, default=10)
    attempts = fields.Integer(readonly=True, copy=False)
    conflict_count = fields.Integer(
        string="Conflicts",
        readonly=True,
        copy=False,
        help="Database conflicts with other workers since the last reset of the attempts; "
        "each one ran the message again at once without using an attempt.",
    )
    next_attempt_at = fields.Datetime(readonly=True, copy=False)
    lease_expires_at = fields.Datetime(readonly=True, copy=False)
    lease_owner = fields.Char(readonly=True, copy=False)
    wait_key = fields.Char(
        readonly=True, index=True, copy=False, help="What the message waits for."
    )
    wait_until = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    error_class = fields.Selection(
        [
            ("technical", "Technical"),
            ("validation", "Validation"),
            ("mapping", "Missing mapping"),
            ("conflict", "Conflict"),
            ("dependency", "Dependency"),
        ],
        readonly=True,
        copy=False,
    )
    trace_id = fields.Char(readonly=True, index=True)
    traceparent = fields.Char(readonly=True, help="W3C traceparent as received.")
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    started_at = fields.Datetime(readonly=True, copy=False)
    finished_at = fields.Datetime(readonly=True, copy=False)
    latency_seconds = fields.Float(
        readonly=True, copy=False, aggregator="avg", help="From arrival to the final state."
    )
    link_ids = fields.One2many("hc.integration.message.link", "message_id", readonly=True)
    exception_ids = fields.One2many("hc.integration.exception", "message_id", readonly=True)
    open_exception_count = fields.Integer(compute="_compute_open_exception_count")
    audit_count = fields.Integer(compute="_compute_audit_count")

    _sql_constraints = [
        (
            "external_id_backend_unique",
            "unique(backend_id, external_id)",
            "This event was already received from this backend.",
        ),
    ]

    def init(self):
        # The claim query scans due messages in priority order; ordering-key checks look
        # for earlier active messages of the same key. Partial indexes keep both cheap
        # whatever the number of finished messages. So do the dashboard's (issue 13):
        # unfinished messages per flow, the last arrival and the done of the last 24 h;
        # the traffic analysis' time window.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS hc_integration_message_due_idx
                ON hc_integration_message (direction, priority, id)
             WHERE state IN ('pending', 'retry');
            CREATE INDEX IF NOT EXISTS hc_integration_message_ordering_idx
                ON hc_integration_message (backend_id, ordering_key, id)
             WHERE state IN ('pending', 'retry', 'processing', 'waiting')
               AND ordering_key IS NOT NULL;
            CREATE INDEX IF NOT EXISTS hc_integration_message_lease_idx
                ON hc_integration_message (lease_expires_at)
             WHERE state = 'processing';
            CREATE INDEX IF NOT EXISTS hc_integration_message_waiting_idx
                ON hc_integration_message (wait_until)
             WHERE state = 'waiting';
            CREATE INDEX IF NOT EXISTS hc_integration_message_active_idx
                ON hc_integration_message (flow_id, state)
             WHERE state IN ('pending', 'retry', 'processing', 'waiting', 'exception');
            CREATE INDEX IF NOT EXISTS hc_integration_message_flow_received_idx
                ON hc_integration_message (flow_id, received_at);
            CREATE INDEX IF NOT EXISTS hc_integration_message_received_idx
                ON hc_integration_message (received_at);
            CREATE INDEX IF NOT EXISTS hc_integration_message_done_idx
                ON hc_integration_message (flow_id, finished_at)
             WHERE state = 'done';
            """
        )

    @api.depends("flow_id.code", "external_id")
    def _compute_display_name(self):
        for message in self:
            message.display_name = f"{message.flow_id.code or ''} · {message.external_id or ''}"

    def _compute_payload_display(self):
        for message in self:
            message.payload_display = (
                json.dumps(message.payload, indent=2, sort_keys=True, ensure_ascii=False)
                if message.payload is not None
                else False
            )

    def _compute_open_exception_count(self):
        counts = dict(
            self.env["hc.integration.exception"]._read_group(
                [("message_id", "in", self.ids), ("state", "=", "open")],
                ["message_id"],
                ["__count"],
            )
        )
        for message in self:
            message.open_exception_count = counts.get(message, 0)

    def _compute_audit_count(self):
        counts = dict(
            self.env["hc.integration.audit"]
            .sudo()
            ._read_group([("message_id", "in", self.ids)], ["message_id"], ["__count"])
        )
        for message in self:
            message.audit_count = counts.get(message, 0)

    # ------------------------------------------------------------------------------------
    # Protection of engine-owned fields
    # ------------------------------------------------------------------------------------
    def write(self, vals):
        """Refused to everyone, the superuser included, unless called through
        :meth:`_engine` (a sentinel object no RPC call can send)."""
        if vals and self.env.context.get("hc_engine") is not _ENGINE:
            raise AccessError(
                self.env._(
                    "Integration messages are changed by the integration engine only; use the "
                    "Retry, Replay or Cancel actions."
                )
            )
        return super().write(vals)

    def _engine(self):
        """This recordset, allowed to write engine-owned fields (model code only)."""
        return self.with_context(hc_engine=_ENGINE)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(
            self.env._("Integration messages are kept for traceability; cancel them instead.")
        )

    # ------------------------------------------------------------------------------------
    # Enqueue (webhooks, pulls, outbound producers)
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_enqueue(
        self,
        flow,
        payload,
        *,
        external_id,
        content_hash=None,
        traceparent=None,
        received_at=None,
        minimized=False,
    ):
        """Store one event idempotently and wake the processor if the flow is realtime.

        ``payload`` is the parsed, validated body; it is minimised here with the flow's
        allow-list unless ``minimized``. Returns ``(message, status)`` where status is
        ``"created"``, ``"duplicate"`` (same event id, same content: the original message)
        or ``"conflict"`` (same event id, different content: nothing stored). When the
        handler's allow-list, ordering-key or effective-date code raises, nothing is stored
        and :class:`IngestHookError` is raised (fail closed: never stored unminimised).

        Idempotency rests on the unique constraint (backend, event id) and
        ``INSERT … ON CONFLICT DO NOTHING``, never on a search. In REPEATABLE READ,
        PostgreSQL raises a serialization failure when the conflicting row was committed
        after this transaction's snapshot: Odoo then re-runs the request, which finds it.
        """
        flow.ensure_one()
        with ingest_hook("allow-list"):
            if not minimized:
                payload = self._hc_minimize(flow, payload)
        with ingest_hook("ordering key or effective date"):
            values = self._prepare_message_values(
                flow,
                payload,
                external_id=str(external_id),
                content_hash=content_hash or sha256_hex(canonical_json(payload)),
                traceparent=traceparent,
                received_at=received_at,
            )
        message_id = self._hc_insert_if_new(values, self._hc_arrival_entry(flow, values))
        if not message_id:
            return self._hc_already_received(values)
        message = self.browse(message_id)
        self._hc_cache_inserted(message, values)
        self._hc_announce(message, flow, values)
        return message, "created"

    @api.model
    def _hc_minimize(self, flow, payload):
        """The payload cut down to the flow's allow-list (only counts are logged)."""
        payload, dropped = flow._minimize_payload(payload)
        if dropped:
            _logger.info(
                "Flow %s: %d field(s) outside the allow-list dropped before storage",
                flow.code,
                len(dropped),
            )
        return payload

    @api.model
    def _prepare_message_values(
        self, flow, payload, *, external_id, content_hash, traceparent, received_at
    ):
        """The column values of a new pending message (written by SQL, so every column
        the ORM would fill is here)."""
        handler = flow._get_handler()
        now = fields.Datetime.now()
        effective_at = handler._hc_effective_date(flow, payload)
        # what a backend sends has no Odoo user behind it (like a record an auth='none'
        # route creates): naming the superuser would also cost two foreign-key checks
        # per delivery (issue 13)
        user_id = None if self.env.context.get("hc_actor") == "backend" else self.env.uid
        parsed_trace = parse_traceparent(traceparent)
        return {
            "backend_id": flow.backend_id.id,
            "flow_id": flow.id,
            "company_id": flow.company_id.id,
            "direction": flow.direction,
            "external_id": external_id,
            "content_hash": content_hash,
            "ordering_key": handler._hc_ordering_key(flow, payload) or None,
            "event_type": (payload or {}).get("event_type") or flow.event_type,
            "schema_version": (payload or {}).get("schema_version"),
            "occurred_at": parse_iso_datetime((payload or {}).get("occurred_at")),
            "effective_at": effective_at,
            "payload": Json(payload),
            "state": "pending",
            "priority": flow.priority,
            "attempts": 0,
            "conflict_count": 0,
            "next_attempt_at": max(now, effective_at) if effective_at else now,
            "trace_id": parsed_trace[0] if parsed_trace else new_trace_id(),
            "traceparent": traceparent if parsed_trace else None,
            "received_at": received_at or now,
            "create_uid": user_id,
            "write_uid": user_id,
            "create_date": now,
            "write_date": now,
        }

    @api.model
    def _hc_insert_if_new(self, values, entry):
        """Insert the message unless its event id is known on its backend, and with it
        the audit ``entry`` (SQL over the CTE ``inserted``, see
        ``hc.integration.audit._hc_entry_of_inserted_message``); its id or None."""
        self.env.cr.execute(
            SQL(
                "WITH inserted AS (INSERT INTO hc_integration_message (%s) VALUES (%s) "
                "ON CONFLICT (backend_id, external_id) DO NOTHING RETURNING id) %s",
                column_list(tuple(values)),
                # one parameter each: psycopg2 quotes them in C (a tuple is quoted in Python)
                SQL(", ").join(values.values()),
                entry,
            )
        )
        row = self.env.cr.fetchone()
        return row[0] if row else None

    @api.model
    def _hc_arrival_entry(self, flow, values):
        """The ``message.received`` audit entry of the message ``values``, as SQL."""
        effective_at = values["effective_at"]
        return self.env["hc.integration.audit"]._hc_entry_of_inserted_message(
            "message.received",
            f"{flow.code}: event received"
            + (f", effective {effective_at}" if effective_at else ""),
            backend=flow.backend_id,
            trace_id=values["trace_id"],
            company_id=values["company_id"],
        )

    @api.model
    def _hc_cache_inserted(self, message, values):
        """Put the columns just inserted in the ORM cache (not the payload), so that what
        follows in the request (audit, wake-up) does not read the row back."""
        fields_ = self._fields
        orm_cache.insert_missing(
            message,
            [
                (fields_[name], value)
                for name, value in values.items()
                if name != "payload" and orm_cache.plain_field(self, fields_[name])
            ],
        )

    @api.model
    def _hc_already_received(self, values):
        """``(original message, "duplicate" or "conflict")`` for an event id already
        stored: a duplicate when its content is the same."""
        existing = self.sudo().search(
            [
                ("backend_id", "=", values["backend_id"]),
                ("external_id", "=", values["external_id"]),
            ],
            limit=1,
        )
        status = "duplicate" if existing.content_hash == values["content_hash"] else "conflict"
        return existing, status

    @api.model
    def _hc_announce(self, message, flow, values):
        """On a realtime flow that is not paused, wake what processes the new message: a
        processing lane (inbound) or the delivery cron (outbound). (Its arrival is
        audited by the statement that inserted it.)"""
        if flow.sync_mode != "realtime" or flow.paused:
            return
        processor = self.env["hc.integration.processor"]
        if flow.direction == "outbound":
            processor._wake_up_outbound(at=values["effective_at"])
        else:
            processor._wake_up(at=values["effective_at"])

    # ------------------------------------------------------------------------------------
    # State machine
    # ------------------------------------------------------------------------------------
    def _hc_transition(self, state, summary=None, actor_type=None, **vals):
        """Move each message to ``state`` if allowed from its current state, write
        ``vals`` and audit the change. Returns the messages that moved."""
        moved = self.browse()
        for message in self:
            old = message.state
            if old not in ALLOWED_FROM[state]:
                _logger.warning("Message %s: refused state change %s -> %s", message.id, old, state)
                continue
            values = dict(vals, state=state)
            if state == "done" and (message.last_error or message.error_class):
                # a done message has no current error (the status API would report one):
                # the failures before it stay in the audit, as queue_job clears a job's
                # exception once it is done
                values.setdefault("last_error", False)
                values.setdefault("error_class", False)
            message._engine().write(values)
            self.env["hc.integration.audit"]._log(
                f"message.{state}",
                f"{old} → {state}" + (f": {summary}" if summary else ""),
                message=message,
                backend=message.backend_id,
                actor_type=actor_type,
                trace_id=message.trace_id,
            )
            moved |= message
        return moved

    def _hc_finish_values(self):
        now = fields.Datetime.now()
        received = self.received_at or now
        return {
            "finished_at": now,
            "latency_seconds": (now - received).total_seconds(),
            "lease_expires_at": False,
            "lease_owner": False,
            "wait_key": False,
            "wait_until": False,
        }

    @api.model
    def _release_waiting(self, key):
        """Release the messages waiting for ``key`` (e.g. a binding just created): they go
        back to the queue and the processor is woken up."""
        waiting = self.sudo().search([("state", "=", "waiting"), ("wait_key", "=", key)])
        if waiting:
            waiting._hc_transition(
                "pending",
                summary=f"released: {key} arrived",
                next_attempt_at=fields.Datetime.now(),
                wait_key=False,
                wait_until=False,
            )
            self.env["hc.integration.processor"]._wake_up()
        return waiting

    def _requeue(self, summary, reset_attempts=True, actor_type=None):
        """Back to ``pending`` (from exception, retry or waiting) for a new attempt."""
        vals = {
            "next_attempt_at": fields.Datetime.now(),
            "wait_key": False,
            "wait_until": False,
        }
        if reset_attempts:
            vals.update(attempts=0, conflict_count=0)
        moved = self._hc_transition("pending", summary=summary, actor_type=actor_type, **vals)
        if moved:
            self.env["hc.integration.processor"]._wake_up()
        return moved

    def _link_records(self, records):
        """Link the records a message created or changed (shown on both sides)."""
        links = self.env["hc.integration.message.link"].sudo()
        for message in self:
            existing = {(link.res_model, link.res_id) for link in message.link_ids}
            for record in records or []:
                for rec in record:
                    if (rec._name, rec.id) not in existing:
                        links.create(
                            {"message_id": message.id, "res_model": rec._name, "res_id": rec.id}
                        )
                        existing.add((rec._name, rec.id))

    # ------------------------------------------------------------------------------------
    # Actions for people
    # ------------------------------------------------------------------------------------
    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(self.env._("Only Integration Managers can do this."))

    def action_retry(self):
        """Retry messages in exception (or due for retry) now, with a fresh attempt count."""
        self.check_access("write")
        todo = self.filtered(lambda m: m.state in ("exception", "retry", "waiting"))
        if not todo:
            raise UserError(
                self.env._("Only messages in exception, retry or waiting can be retried.")
            )
        todo.sudo()._requeue(
            self.env._("retry requested by %s", self.env.user.name), actor_type="user"
        )
        self.env["hc.integration.audit"]._log_many(
            "message.retry", todo, "retry requested by a person"
        )
        return True

    def action_replay(self):
        """Process done messages again (handlers are idempotent). Managers only."""
        self._check_manager()
        todo = self.filtered(lambda m: m.state == "done")
        if not todo:
            raise UserError(self.env._("Only processed messages can be replayed."))
        if todo.filtered(lambda m: m.payload_purged_at):
            raise UserError(
                self.env._("The payload of a message was purged: it cannot be replayed.")
            )
        todo.sudo()._requeue(
            self.env._("replay requested by %s", self.env.user.name), actor_type="user"
        )
        self.env["hc.integration.audit"]._log_many("message.replay", todo, "replay requested")
        return True

    def action_cancel(self):
        """Cancel messages that will not be processed. Managers only."""
        self._check_manager()
        todo = self.filtered(lambda m: m.state in ALLOWED_FROM["cancelled"])
        if not todo:
            raise UserError(self.env._("Only messages not yet processed can be cancelled."))
        for message in todo.sudo():
            message._hc_transition(
                "cancelled",
                summary=self.env._("cancelled by %s", self.env.user.name),
                actor_type="user",
                **message._hc_finish_values(),
            )
            message.exception_ids.filtered(lambda e: e.state == "open")._close(
                "ignored", self.env._("Message cancelled by %s.", self.env.user.name)
            )
        self.env["hc.integration.audit"]._log_many("message.cancel", todo, "cancelled")
        return True

    def action_view_audit(self):
        self.ensure_one()
        return filtered_action(
            self.env, "hc_integration_audit_action", [("message_id", "=", self.id)]
        )

    def action_view_exceptions(self):
        self.ensure_one()
        return filtered_action(
            self.env, "hc_integration_exception_action", [("message_id", "=", self.id)]
        )

    # ------------------------------------------------------------------------------------
    # Housekeeping
    # ------------------------------------------------------------------------------------
    @api.model
    def _cron_purge_payloads(self, batch_size=1000):
        """Drop the payload of finished messages past the retention period; metadata, hash
        and audit entries stay."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("hc_integration.payload_retention_days", 30)
        )
        if days <= 0:
            return 0
        limit = fields.Datetime.now() - timedelta(days=days)
        self.env.cr.execute(
            """
            UPDATE hc_integration_message
               SET payload = NULL, payload_purged_at = now() AT TIME ZONE 'UTC'
             WHERE id IN (
                 SELECT id FROM hc_integration_message
                  WHERE state IN ('done', 'cancelled') AND payload IS NOT NULL
                    AND finished_at < %s
                  LIMIT %s
                  FOR UPDATE SKIP LOCKED)
            RETURNING id
            """,
            (limit, batch_size),
        )
        purged = [row[0] for row in self.env.cr.fetchall()]
        self.invalidate_model(["payload", "payload_purged_at"])
        if purged:
            self.env["hc.integration.audit"]._log(
                "message.purge", f"payload of {len(purged)} message(s) purged after {days} days"
            )
        remaining = len(purged) == batch_size
        self.env["ir.cron"]._notify_progress(done=len(purged), remaining=int(remaining))
        return len(purged)
