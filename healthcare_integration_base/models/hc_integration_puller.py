"""Scheduled pulls: fetch pages of changes from a backend and queue each item.

A pull run of a flow walks pages (cursor or next link) from ``pull_endpoint``. Each page is
queued in one savepoint together with the flow's new cursor (or, after the last page, its
new watermark) and committed on its own: a crash or an error never skips an item, and a
retried page is harmless because items are queued idempotently by event id. The watermark
is the start of the run (our clock); the next run asks for changes since the watermark
minus ``pull_overlap_seconds``, so a source whose clock runs a little behind loses nothing.

Decisions worth knowing:

* An item that fails the flow's contract (schema, version, event type, no event id) is
  queued anyway and moved at once to ``exception`` with the list of problems: it is
  visible where people resolve things, counted in the flow's last pull result, and
  nothing is dropped silently.
* An item re-sent with the same event id but different content is a new version of that
  record at the source: it is queued as ``<event id>@<content hash>`` (identical re-sends
  in the overlap window stay duplicates and are dropped).
* Anything that fails while a page is being queued (a handler hook raising, the database
  refusing a value) fails the whole page: nothing of it is kept, the cursor and watermark
  do not move, the error is shown on the flow and the page is fetched again later.
* Failures back off exponentially (``backoff_base``/``backoff_cap`` of the flow) or wait
  for ``Retry-After`` (429/503); ``pull_last_error`` says what happened and, from
  ``hc_integration.pull_alert_after_failures`` consecutive failures (default 3), a
  ``pull_failing`` alert is raised for the flow's owners; it is cleared by the next
  successful pull.
"""

import logging
import random
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import urljoin

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..exceptions import (
    BusinessError,
    IngestHookError,
    IntegrationError,
    RetryableError,
    ingest_hook,
)
from ..tools.backoff import backoff_ceiling
from ..tools.payload import canonical_json, sha256_hex
from ..tools.tracecontext import make_traceparent, new_trace_id
from .hc_integration_http_client import is_absolute_url, origin
from .hc_integration_processor import _testing

_logger = logging.getLogger(__name__)

STAT_KEYS = ("created", "updated", "duplicate", "invalid")


class PageError(BusinessError):
    """A page that cannot be read (not JSON, wrong shape, a next link to another host)."""


class HcIntegrationPuller(models.AbstractModel):
    _name = "hc.integration.puller"
    _description = "Integration scheduled pulls"

    # ------------------------------------------------------------------------------------
    # Cron entry point
    # ------------------------------------------------------------------------------------
    @api.model
    def _get_due_flows_domain(self):
        return [
            ("pull_enabled", "=", True),
            ("direction", "=", "inbound"),
            ("backend_id.active", "=", True),
            "|",
            ("pull_next_at", "=", False),
            ("pull_next_at", "<=", fields.Datetime.now()),
        ]

    @api.model
    def _cron_pull(self, time_budget=None):
        """Pull every due flow, page by page, for up to ``time_budget`` seconds.

        A flow interrupted by the time budget keeps its cursor and stays due; progress is
        reported so the scheduler calls again at once while flows remain due.
        """
        processor = self.env["hc.integration.processor"]
        # within the configured budget and what is left of the cron round
        budget = time_budget or min(
            processor._get_param("pull_time_budget_seconds", 50), processor._call_time_budget()
        )
        deadline = time.monotonic() + budget
        flows = self.env["hc.integration.flow"].search(
            self._get_due_flows_domain(), order="pull_next_at, id"
        )
        done = 0
        for flow in flows:
            if time.monotonic() >= deadline:
                break
            if self._pull_flow(flow, deadline=deadline):
                done += 1
        remaining = self.env["hc.integration.flow"].search_count(self._get_due_flows_domain())
        if remaining and time.monotonic() >= deadline:
            processor._hc_come_back(did_nothing=not done)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    # ------------------------------------------------------------------------------------
    # One flow
    # ------------------------------------------------------------------------------------
    @api.model
    def _pull_flow(self, flow, deadline=None):
        """Pull ``flow`` until its last page, an error or ``deadline`` (monotonic).

        Returns True when the run ended (successfully or not: the flow is no longer due),
        False when it was interrupted by the deadline (its cursor is kept).
        """
        flow.ensure_one()
        stats = Counter(pages=0)
        try:
            return self._pull_pages(flow, stats, deadline)
        except IntegrationError as error:
            self._pull_failed(flow, error, stats)
        except psycopg2.OperationalError as error:
            # e.g. the flow was edited meanwhile (serialization failure): next run retries
            _logger.warning("Pull of flow %s interrupted: %s", flow.id, type(error).__name__)
            if _testing():
                raise
            self.env.cr.rollback()
            return True
        except UserError as error:  # e.g. the flow's handler is not installed
            self._pull_failed(flow, BusinessError(str(error.args[0])), stats)
        except Exception as error:
            _logger.warning(
                "Pull of flow %s failed (%s)",
                flow.id,
                type(error).__name__,
                exc_info=not isinstance(error, psycopg2.Error),
            )
            self._pull_failed(
                flow, RetryableError(f"unexpected error ({type(error).__name__})"), stats
            )
        self._commit()
        return True

    @api.model
    def _pull_pages(self, flow, stats, deadline):
        """Fetch, check and queue the pages of a run one by one, committing each page with
        the flow's new cursor; after the last page the run succeeds. True when the run
        ended, False when ``deadline`` interrupted it (the cursor stays for the next call).
        """
        handler = flow._get_handler()
        since = self._pull_start_run(flow)
        trace_id = new_trace_id()
        session = self.env["hc.integration.http.client"]._hc_session(flow.backend_id.sudo())
        try:
            while True:
                traceparent = make_traceparent(trace_id)
                items, next_cursor = self._fetch_page(
                    flow, handler, session, since, traceparent, stats
                )
                self._queue_page_or_fail(flow, handler, items, next_cursor, traceparent, stats)
                self._commit()
                if not next_cursor:
                    self._pull_succeeded(flow, stats)
                    self._commit()
                    return True
                if deadline and time.monotonic() >= deadline:
                    return False
        finally:
            session.close()

    @api.model
    def _pull_start_run(self, flow):
        """Start a run unless one is interrupted (its cursor kept): its start becomes the
        watermark at the end. Returns the time to ask changes from (None: everything)."""
        if not flow.pull_cursor or not flow.pull_run_started_at:
            flow.pull_run_started_at = fields.Datetime.now()
            self._commit()
        if not flow.pull_watermark:
            return None
        return flow.pull_watermark - timedelta(seconds=max(0, flow.pull_overlap_seconds))

    @api.model
    def _fetch_page(self, flow, handler, session, since, traceparent, stats):
        """GET the page at the flow's cursor; ``(items, next cursor)`` or
        :class:`PageError` (also when the next cursor is the same, which would loop)."""
        cursor = flow.pull_cursor or None
        if cursor and is_absolute_url(cursor):
            path, params = cursor, None
        else:
            path = flow.pull_endpoint or ""
            params = handler._hc_pull_request_params(flow, cursor, since)
        response = self.env["hc.integration.http.client"]._hc_request(
            flow.backend_id,
            "GET",
            path,
            session=session,
            params=params,
            traceparent=traceparent,
        )
        stats["pages"] += 1
        items, next_cursor = self._read_page(flow, handler, response, stats["pages"])
        if next_cursor and next_cursor == cursor:
            raise PageError(
                self.env._(
                    "Page %(page)s gave the same cursor again; the pull stopped to avoid a loop.",
                    page=stats["pages"],
                )
            )
        return items, next_cursor

    @api.model
    def _queue_page_or_fail(self, flow, handler, items, next_cursor, traceparent, stats):
        """:meth:`_queue_page`, any unexpected error turned into a :class:`PageError`
        that names its type only (database errors may quote the refused value)."""
        try:
            self._queue_page(flow, handler, items, next_cursor, traceparent, stats)
        except (IntegrationError, psycopg2.OperationalError):
            raise
        except Exception as error:
            _logger.warning(
                "Flow %s: page %s could not be queued (%s)",
                flow.id,
                stats["pages"],
                type(error).__name__,
                exc_info=not isinstance(error, psycopg2.Error),
            )
            raise PageError(
                self.env._(
                    "Page %(page)s could not be queued (%(error)s); nothing of it "
                    "was kept and it will be fetched again.",
                    page=stats["pages"],
                    error=type(error).__name__,
                )
            ) from None

    @api.model
    def _read_page(self, flow, handler, response, page):
        """``(items, next)`` of a response, or :class:`PageError`. The page content is
        never quoted in the error (it may hold personal data)."""
        try:
            data = response.json()
        except ValueError:
            raise PageError(
                self.env._(
                    "Page %(page)s from %(backend)s is not valid JSON; nothing of it was "
                    "queued and it will be fetched again.",
                    page=page,
                    backend=flow.backend_id.name,
                )
            ) from None
        try:
            items, next_cursor = handler._hc_pull_parse_page(flow, data)
        except ValueError as error:
            raise PageError(
                self.env._(
                    "Page %(page)s from %(backend)s has an unexpected shape (%(reason)s); "
                    "nothing of it was queued and it will be fetched again.",
                    page=page,
                    backend=flow.backend_id.name,
                    reason=str(error)[:200],
                )
            ) from None
        link = response.links.get("next", {}).get("url")
        if not next_cursor and link:
            # RFC 8288 header ``Link: <…>; rel="next"``, relative to the page's URL
            next_cursor = urljoin(response.url, link)
        if is_absolute_url(next_cursor) and origin(next_cursor) != origin(flow.backend_id.base_url):
            raise PageError(
                self.env._(
                    "Page %(page)s from %(backend)s links to another server for the next "
                    "page; it is not followed (credentials stay with the backend).",
                    page=page,
                    backend=flow.backend_id.name,
                )
            )
        return items, next_cursor or None

    # ------------------------------------------------------------------------------------
    # Queue a page
    # ------------------------------------------------------------------------------------
    @api.model
    def _queue_page(self, flow, handler, items, next_cursor, traceparent, stats):
        """Queue ``items`` and move the cursor (or the watermark after the last page) in
        one savepoint: either the whole page and its position are kept, or nothing."""
        page_stats = Counter()
        with self.env.cr.savepoint():
            for item in items:
                page_stats[self._queue_item(flow, handler, item, traceparent)] += 1
            if next_cursor:
                flow.write({"pull_cursor": next_cursor})
            else:
                flow.write(
                    {
                        "pull_cursor": False,
                        "pull_watermark": flow.pull_run_started_at,
                        "pull_run_started_at": False,
                    }
                )
        stats.update(page_stats)
        if page_stats:
            # the dashboard figures (last_received_at for the stale-source alert, backlog…)
            # are computed from the queue: recompute them in this transaction too
            flow.invalidate_recordset(
                [name for name, f in flow._fields.items() if f.compute == "_compute_dashboard"]
            )

    @api.model
    def _queue_item(self, flow, handler, item, traceparent):
        """Queue one pulled item; returns ``created``, ``updated`` (new version of an
        event id), ``duplicate`` or ``invalid``."""
        messages = self.env["hc.integration.message"]
        errors = flow._validate_payload(item)
        event_id = handler._hc_event_id(flow, item) if isinstance(item, dict) else None
        if not errors and not event_id:
            errors = [{"path": "/", "message": "the item has no event id"}]
        if errors:
            return self._queue_invalid(flow, item, event_id, errors, traceparent)
        try:
            with ingest_hook("allow-list"):
                payload, dropped = flow._minimize_payload(item)
            content_hash = sha256_hex(canonical_json(payload))
            # raises before anything is inserted when the handler's hooks fail
            _message, status = messages._hc_enqueue(
                flow,
                payload,
                external_id=str(event_id),
                content_hash=content_hash,
                traceparent=traceparent,
                minimized=True,
            )
        except IngestHookError as error:
            # fail closed: the handler cannot read it, so it is an invalid item
            problem = {"path": "/", "message": str(error)}
            return self._queue_invalid(flow, item, event_id, [problem], traceparent)
        if dropped:
            _logger.debug("Flow %s: %d field(s) dropped by the allow-list", flow.id, len(dropped))
        if status != "conflict":
            return status
        _message, status = messages._hc_enqueue(
            flow,
            payload,
            external_id=f"{event_id}@{content_hash[:16]}",
            content_hash=content_hash,
            traceparent=traceparent,
            minimized=True,
        )
        return "updated" if status == "created" else status

    @api.model
    def _queue_invalid(self, flow, item, event_id, errors, traceparent):
        """Queue an item that fails the contract and put it in exception at once."""
        messages = self.env["hc.integration.message"]
        payload = item if isinstance(item, dict) else {}
        kept, _dropped = flow._minimize_payload(payload)
        content_hash = sha256_hex(canonical_json(kept))
        external_id = str(event_id) if event_id else f"invalid-{sha256_hex(canonical_json(item))}"
        try:
            with self.env.cr.savepoint():
                message, status = messages._hc_enqueue(
                    flow,
                    kept,
                    external_id=external_id,
                    content_hash=content_hash,
                    traceparent=traceparent,
                    minimized=True,
                )
        except (TypeError, ValueError, AttributeError, KeyError):
            # the handler's ordering/effective-date hooks choke on the malformed payload:
            # keep the problem list, not the payload
            message, status = messages._hc_enqueue(
                flow,
                {},
                external_id=external_id,
                content_hash=content_hash,
                traceparent=traceparent,
                minimized=True,
            )
        if status == "conflict":
            message, status = messages._hc_enqueue(
                flow,
                {},
                external_id=f"{external_id}@{content_hash[:16]}",
                content_hash=content_hash,
                traceparent=traceparent,
                minimized=True,
            )
        if status != "created":
            return "duplicate"
        lines = "\n".join(f"• {error['path']}: {error['message']}" for error in errors[:20])
        if len(errors) > 20:
            lines += "\n" + self.env._("… and %s more", len(errors) - 20)
        self.env["hc.integration.processor"]._on_business(
            message,
            self.env._(
                "An item pulled from %(backend)s does not match the contract of this flow:\n"
                "%(lines)s\nCorrect it in %(backend)s: the next pull queues the corrected "
                "item. Then ignore this exception.",
                backend=flow.backend_id.name,
                lines=lines,
            ),
            "validation",
            title=self.env._("Pulled item rejected (%s problem(s))", len(errors)),
        )
        return "invalid"

    # ------------------------------------------------------------------------------------
    # Outcome of a run
    # ------------------------------------------------------------------------------------
    @api.model
    def _summary(self, stats):
        return self.env._(
            "%(pages)s page(s): %(created)s new, %(updated)s new version(s), "
            "%(duplicate)s duplicate(s), %(invalid)s invalid (in exception)",
            pages=stats["pages"],
            created=stats["created"],
            updated=stats["updated"],
            duplicate=stats["duplicate"],
            invalid=stats["invalid"],
        )

    @api.model
    def _pull_succeeded(self, flow, stats):
        now = fields.Datetime.now()
        summary = self._summary(stats)
        flow.write(
            {
                "pull_next_at": now + timedelta(minutes=max(1, flow.pull_interval_minutes)),
                "pull_last_at": now,
                "pull_last_error": False,
                "pull_failure_count": 0,
                "pull_last_summary": summary,
            }
        )
        self.env["hc.integration.audit"]._log(
            "pull.done", f"{flow.code}: {summary}", record=flow, backend=flow.backend_id
        )
        self.env["hc.integration.alert"].search(
            [("flow_id", "=", flow.id), ("kind", "=", "pull_failing"), ("state", "=", "active")]
        )._clear()
        _logger.info("Pull of flow %s: %s", flow.id, summary)

    @api.model
    def _pull_failed(self, flow, error, stats):
        """Show the error on the flow and schedule the next try: ``Retry-After`` when the
        backend gave one, else exponential backoff with jitter."""
        now = fields.Datetime.now()
        failures = flow.pull_failure_count + 1
        delay = getattr(error, "delay", None)
        if delay is None:
            ceiling = backoff_ceiling(failures, max(flow.backoff_base, 1), flow.backoff_cap)
            # "equal jitter": at least half the ceiling, so a failing source is not hammered
            delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        next_at = now + timedelta(seconds=int(delay))
        queued = sum(stats[key] for key in STAT_KEYS)
        text = self.env._(
            "%(when)s UTC, failure %(count)s: %(error)s Next try at %(next)s UTC.",
            when=fields.Datetime.to_string(now),
            count=failures,
            error=error.message.rstrip(".") + ".",
            next=fields.Datetime.to_string(next_at),
        )
        if queued:
            text += " " + self.env._(
                "Pages queued before the failure: %(summary)s.", summary=self._summary(stats)
            )
        flow.write(
            {
                "pull_next_at": next_at,
                "pull_last_at": now,
                "pull_last_error": text,
                "pull_failure_count": failures,
            }
        )
        self.env["hc.integration.audit"]._log(
            "pull.failed",
            f"{flow.code}: failure {failures}, next at {next_at}: {error.message}",
            record=flow,
            backend=flow.backend_id,
        )
        alert_after = self.env["hc.integration.processor"]._get_param(
            "pull_alert_after_failures", 3
        )
        if alert_after and failures >= alert_after:
            self.env["hc.integration.alert"]._raise_alert(
                "pull_failing",
                self.env._(
                    "The scheduled pull of %(flow)s failed %(count)s times in a row. "
                    "Last error: %(error)s",
                    flow=flow.display_name,
                    count=failures,
                    error=error.message,
                ),
                flow=flow,
                value=failures,
                threshold=alert_after,
            )
        _logger.warning("Pull of flow %s failed (%s), next at %s", flow.id, failures, next_at)

    @api.model
    def _commit(self):
        """Commit what is done so far (a page and its cursor), except in tests."""
        if not _testing():
            self.env.cr.commit()  # pylint: disable=invalid-commit
