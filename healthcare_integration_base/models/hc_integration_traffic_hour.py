from odoo import api, fields, models

#: Audit actions the traffic analysis counts, and the outcome each one stands for.
OUTCOMES = [
    ("received", "Received"),
    ("done", "Done"),
    ("exception", "Exception"),
]
ACTION_OUTCOME_SQL = """CASE a.action WHEN 'message.received' THEN 'received'
                                     WHEN 'message.done' THEN 'done'
                                     ELSE 'exception' END"""
#: Messages per hour, flow, backend, company, direction and outcome of the audit rows of
#: ``[start, end)`` (``end`` NULL: up to now), through the audit's timestamp index. The
#: message of each entry is looked up by id (``LATERAL … LIMIT 1``) so the message table's
#: size never matters, as for the metrics (``hc_integration_metric_bucket.py``).
HOURS_SQL = f"""
    SELECT date_trunc('hour', a.timestamp) AS hour, m.flow_id, m.backend_id, m.company_id,
           m.direction, {ACTION_OUTCOME_SQL} AS outcome, count(*) AS message_count,
           coalesce(sum(m.latency_seconds) FILTER (WHERE a.action = 'message.done'), 0)
               AS latency_seconds
      FROM hc_integration_audit a
      JOIN LATERAL (SELECT flow_id, backend_id, company_id, direction, latency_seconds
                      FROM hc_integration_message WHERE id = a.message_id LIMIT 1) m ON true
     WHERE a.timestamp >= %(start)s AND (%(end)s IS NULL OR a.timestamp < %(end)s)
       AND a.action IN ('message.received', 'message.done', 'message.exception')
     GROUP BY 1, 2, 3, 4, 5, 6
"""
INSERT_SQL = f"""
    INSERT INTO hc_integration_traffic_hour (hour, flow_id, backend_id, company_id, direction,
                                             outcome, message_count, latency_seconds)
    SELECT * FROM ({HOURS_SQL}) h
"""


class HcIntegrationTrafficHour(models.Model):
    """Messages per hour, flow and outcome (received, done, in exception), rolled up from
    the audit log with the metrics' hourly totals, in the same transaction and up to the
    same watermark. The traffic analysis (``hc.integration.traffic.report``) reads these
    rows and, for the hour or so after the watermark, the audit rows themselves: its cost
    follows hours × flows, not the number of messages (issue 13 §7)."""

    _name = "hc.integration.traffic.hour"
    _description = "Integration traffic per hour"
    _log_access = False
    _order = "hour, id"

    hour = fields.Datetime(required=True, readonly=True, index=True)
    flow_id = fields.Many2one("hc.integration.flow", readonly=True, ondelete="cascade")
    backend_id = fields.Many2one("hc.integration.backend", readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", readonly=True, ondelete="cascade")
    direction = fields.Selection([("inbound", "Inbound"), ("outbound", "Outbound")], readonly=True)
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True)
    message_count = fields.Integer(readonly=True)
    latency_seconds = fields.Float(readonly=True)

    def init(self):
        """Installed on a database whose metrics were already rolled up: the same hours
        are counted for the analysis once (later hours come with the metrics' roll-up)."""
        cr = self.env.cr
        cr.execute("SELECT 1 FROM hc_integration_traffic_hour LIMIT 1")
        if cr.fetchone():
            return
        cr.execute("SELECT date_trunc('hour', min(timestamp)) FROM hc_integration_audit")
        start = cr.fetchone()[0]
        end = self.env["hc.integration.metric.bucket"]._hc_watermark()
        if start and end:
            self._hc_roll_up(start, end)

    @api.model
    def _hc_roll_up(self, start, end):
        """The hours of ``[start, end)``, counted again from the audit log (a re-run of
        an hour replaces it)."""
        cr = self.env.cr
        cr.execute(
            "DELETE FROM hc_integration_traffic_hour WHERE hour >= %s AND hour < %s",
            (start, end),
        )
        cr.execute(INSERT_SQL, {"start": start, "end": end})
        self.invalidate_model()
