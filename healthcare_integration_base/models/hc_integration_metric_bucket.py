import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

#: Audit actions counted by ``/healthcare/metrics``.
COUNTED_ACTIONS = (
    "message.received",
    "message.done",
    "message.exception",
    "webhook.rejected",
    "webhook.duplicate",
)
#: Action name of the latency rows (one per histogram bound, ``label`` = the bound).
LATENCY = "latency"
#: Action name of the row that marks an hour as rolled up (the watermark).
ROLLED_UP = "rolled_up"
#: An hour is rolled up only once it ended this long ago: an audit row is stamped when
#: its transaction writes it, and a transaction still open may commit it later.
GRACE = timedelta(minutes=5)
#: Hours rolled up per maintenance call at most, within its time budget (a database
#: upgraded with years of audit log catches up over a few hours of maintenance calls).
HOURS_PER_CALL = 168

#: One GROUP BY over the audit rows of ``[start, end)``: the counters' rows per flow,
#: direction, backend, HTTP status and refusal reason; the timestamp index bounds it. The
#: message of each entry is looked up by id (``LATERAL … LIMIT 1``): a join would let the
#: planner hash the whole message table, whose size must not matter.
COUNT_SQL = """
    SELECT a.action, m.flow_id, m.direction, a.backend_id,
           coalesce(substring(a.summary FROM 'status=([0-9]+)'), '') AS status,
           coalesce(substring(a.summary FROM 'reason=([a-z_]+)'), '') AS reason,
           -- an entry of aggregated webhook noise stands for count=N refusals
           sum(CASE WHEN a.action = 'webhook.rejected'
                    THEN coalesce(substring(a.summary FROM ' count=([0-9]+)')::bigint, 1)
                    ELSE 1 END), 0.0
      FROM hc_integration_audit a
      LEFT JOIN LATERAL (SELECT flow_id, direction FROM hc_integration_message
                          WHERE id = a.message_id LIMIT 1) m ON true
     WHERE a.timestamp >= %(start)s AND (%(end)s IS NULL OR a.timestamp < %(end)s)
       AND a.action IN %(actions)s
     GROUP BY 1, 2, 3, 4, 5, 6
"""
#: The latency histogram of the messages done in ``[start, end)``: per flow and bound,
#: how many took at most that long (``status`` holds the bound), and their total.
LATENCY_SQL = """
    SELECT %(latency)s, m.flow_id, m.direction, NULL::int, b.bound::text, '',
           count(*) FILTER (WHERE m.latency_seconds <= b.bound),
           coalesce(sum(m.latency_seconds) FILTER (WHERE b.bound = 'Infinity'), 0)
      FROM hc_integration_audit a
      JOIN LATERAL (SELECT flow_id, direction, latency_seconds FROM hc_integration_message
                     WHERE id = a.message_id LIMIT 1) m ON true
     CROSS JOIN unnest(%(bounds)s::float8[]) AS b(bound)
     WHERE a.timestamp >= %(start)s AND (%(end)s IS NULL OR a.timestamp < %(end)s)
       AND a.action = 'message.done' AND m.latency_seconds IS NOT NULL
     GROUP BY 2, 3, 5
"""


class HcIntegrationMetricBucket(models.Model):
    """Running totals of the audit log for ``/healthcare/metrics`` (issue 13), rolled up
    hour by hour.

    A scrape must not scan the whole audit or message table: the counters are the sum of
    these rows (one per action and labels, so their number does not grow with time or
    traffic) plus the audit rows of the hours not yet rolled up, read through the audit's
    timestamp index. The ``rolled_up`` row holds the last hour added (the watermark).
    The audit log is append-only, so the counters only grow — a replayed message counts
    twice as processed, as it was.
    The maintenance cron rolls up hours; nothing on the hot path writes here.
    """

    _name = "hc.integration.metric.bucket"
    _description = "Integration metrics: running totals"
    _order = "bucket_start, id"

    bucket_start = fields.Datetime(required=True, readonly=True, index=True)
    action = fields.Char(required=True, readonly=True)
    flow_id = fields.Many2one("hc.integration.flow", readonly=True, ondelete="set null")
    direction = fields.Char(readonly=True)
    backend_id = fields.Many2one("hc.integration.backend", readonly=True, ondelete="set null")
    status = fields.Char(readonly=True)
    reason = fields.Char(readonly=True)
    count = fields.Integer(readonly=True)
    total = fields.Float(readonly=True)

    @api.model
    def _hc_watermark(self):
        """The end of the last rolled-up hour (None: nothing rolled up yet)."""
        self.env.cr.execute(
            "SELECT max(bucket_start) FROM hc_integration_metric_bucket WHERE action = %s",
            (ROLLED_UP,),
        )
        last = self.env.cr.fetchone()[0]
        return last + timedelta(hours=1) if last else None

    @api.model
    def _hc_rows(self, start, end=None, bounds=()):
        """Counter and latency rows ``(action, flow, direction, backend, status, reason,
        count, total)`` of the audit rows in ``[start, end)`` (``end`` None: up to now)."""
        params = {"start": start, "end": end, "actions": COUNTED_ACTIONS}
        self.env.cr.execute(COUNT_SQL, params)
        rows = self.env.cr.fetchall()
        if bounds:
            params.update(latency=LATENCY, bounds=[float(b) for b in bounds] + [float("inf")])
            self.env.cr.execute(LATENCY_SQL, params)
            rows += self.env.cr.fetchall()
        return rows

    @api.model
    def _hc_roll_up(self, bounds, deadline=None, now=None):
        """Roll up the complete hours since the watermark (at most ``HOURS_PER_CALL``,
        none started after ``deadline``, a ``time.monotonic()`` value)."""
        now = now or fields.Datetime.now()
        start = self._hc_watermark()
        if start is None:
            self.env.cr.execute("SELECT min(timestamp) FROM hc_integration_audit")
            first = self.env.cr.fetchone()[0]
            if not first:
                return 0
            start = first.replace(minute=0, second=0, microsecond=0)
        rolled = 0
        while rolled < HOURS_PER_CALL and start + timedelta(hours=1) + GRACE <= now:
            if deadline and time.monotonic() >= deadline:
                break
            end = start + timedelta(hours=1)
            for row in self._hc_rows(start, end, bounds):
                self._hc_add(start, row)
            self._hc_add(start, (ROLLED_UP, None, None, None, "", "", 0, 0.0))
            start, rolled = end, rolled + 1
        return rolled

    @api.model
    def _hc_add(self, hour, row):
        """Add one hour's ``row`` to the running total of its action and labels (created
        on first use); ``bucket_start`` becomes that hour."""
        action, flow_id, direction, backend_id, status, reason, count, total = row
        self.env.cr.execute(
            """UPDATE hc_integration_metric_bucket
                  SET count = count + %(count)s, total = total + %(total)s,
                      bucket_start = %(hour)s
                WHERE action = %(action)s AND flow_id IS NOT DISTINCT FROM %(flow)s
                  AND direction IS NOT DISTINCT FROM %(direction)s
                  AND backend_id IS NOT DISTINCT FROM %(backend)s
                  AND coalesce(status, '') = %(status)s AND coalesce(reason, '') = %(reason)s""",
            {
                "count": count,
                "total": total or 0.0,
                "hour": hour,
                "action": action,
                "flow": flow_id,
                "direction": direction,
                "backend": backend_id,
                "status": status or "",
                "reason": reason or "",
            },
        )
        if not self.env.cr.rowcount:
            self.sudo().create(
                {
                    "bucket_start": hour,
                    "action": action,
                    "flow_id": flow_id,
                    "direction": direction,
                    "backend_id": backend_id,
                    "status": status,
                    "reason": reason,
                    "count": count,
                    "total": total or 0.0,
                }
            )
        self.invalidate_model()

    @api.model
    def _hc_totals(self, bounds):
        """Every counter row since installation: the rolled-up hours, summed, plus the
        audit rows after the watermark."""
        watermark = self._hc_watermark()
        self.env.cr.execute(
            SQL(
                """SELECT action, flow_id, direction, backend_id, coalesce(status, ''),
                          coalesce(reason, ''), sum(count), sum(total)
                     FROM hc_integration_metric_bucket WHERE action != %s
                    GROUP BY 1, 2, 3, 4, 5, 6""",
                ROLLED_UP,
            )
        )
        rows = self.env.cr.fetchall()
        if watermark is None:
            watermark = fields.Datetime.to_datetime("1970-01-01")
        return rows + self._hc_rows(watermark, None, bounds)
