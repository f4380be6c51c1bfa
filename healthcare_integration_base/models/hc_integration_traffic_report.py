from datetime import timedelta

from odoo import fields, models, tools

from .hc_integration_traffic_hour import ACTION_OUTCOME_SQL, OUTCOMES

#: The audit rows after the watermark of the hourly roll-up (shared with the metrics),
#: grouped as the rolled-up hours are. A function, so that the audit's timestamp index is
#: chosen for the watermark's value (a view's subquery would be planned for any value:
#: a third of the table, a sequential scan).
LIVE_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION hc_integration_traffic_live()
RETURNS TABLE (hour timestamp, flow_id integer, backend_id integer, company_id integer,
               direction varchar, outcome text, message_count integer,
               latency_seconds double precision)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    watermark timestamp;
BEGIN
    SELECT max(b.bucket_start) + interval '1 hour' INTO watermark
      FROM hc_integration_metric_bucket b WHERE b.action = 'rolled_up';
    RETURN QUERY EXECUTE format($q$
        SELECT date_trunc('hour', a.timestamp), m.flow_id, m.backend_id, m.company_id,
               m.direction::varchar, {ACTION_OUTCOME_SQL}, count(*)::integer,
               coalesce(sum(m.latency_seconds) FILTER (WHERE a.action = 'message.done'),
                        0)::double precision
          FROM hc_integration_audit a
          JOIN LATERAL (SELECT flow_id, backend_id, company_id, direction, latency_seconds
                          FROM hc_integration_message
                         WHERE id = a.message_id LIMIT 1) m ON true
         WHERE a.timestamp >= %L
           AND a.action IN ('message.received', 'message.done', 'message.exception')
         GROUP BY 1, 2, 3, 4, 5, 6
    $q$, coalesce(watermark, '-infinity'::timestamp));
END
$fn$;
"""
#: The rolled-up hours, then the live ones.
VIEW_SQL = """
CREATE VIEW hc_integration_traffic_report AS
SELECT t.id * 2 AS id, t.hour, t.flow_id, t.backend_id, t.company_id,
       t.direction, t.outcome, t.message_count, t.latency_seconds
  FROM hc_integration_traffic_hour t
 UNION ALL
SELECT (row_number() OVER ())::int * 2 + 1, live.*
  FROM hc_integration_traffic_live() live
"""


class HcIntegrationTrafficReport(models.Model):
    """Traffic analysis: messages per hour, flow, backend, direction and outcome.

    The hours rolled up (``hc.integration.traffic.hour``) plus the audit rows after the
    watermark, grouped the same way: a graph or pivot over a month reads about
    hours × flows × outcomes rows whatever the size of the message table. An outcome is an
    event of that hour: a message received, done, or moved to exception (a message failing
    and then done counts in both). Users see the traffic of the flows of their groups, as
    for messages; each row opens its messages.
    """

    _name = "hc.integration.traffic.report"
    _description = "Integration traffic analysis"
    _auto = False
    _order = "hour desc, flow_id, outcome"
    _rec_name = "hour"
    _depends = {"hc.integration.traffic.hour": ["hour", "outcome", "message_count"]}

    hour = fields.Datetime(readonly=True)
    flow_id = fields.Many2one("hc.integration.flow", readonly=True)
    backend_id = fields.Many2one("hc.integration.backend", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    direction = fields.Selection([("inbound", "Inbound"), ("outbound", "Outbound")], readonly=True)
    outcome = fields.Selection(OUTCOMES, readonly=True)
    message_count = fields.Integer("Messages", readonly=True, aggregator="sum")
    latency_seconds = fields.Float(
        "Latency (s, total)",
        readonly=True,
        aggregator="sum",
        help="Sum of the processing latency of the messages done in the hour.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(LIVE_FUNCTION_SQL)
        self.env.cr.execute(VIEW_SQL)

    def _get_messages_domain(self):
        """The messages of these rows: their flows, over the hours they span, by the time
        of their outcome (received: arrival; done or exception: when they finished, now
        in that state)."""
        if not self:
            return [("id", "=", False)]
        start = min(self.mapped("hour"))
        end = max(self.mapped("hour")) + timedelta(hours=1)
        outcomes = set(self.mapped("outcome"))
        domain = [("flow_id", "in", self.flow_id.ids)]
        if outcomes == {"done"}:
            return domain + [
                ("state", "=", "done"),
                ("finished_at", ">=", start),
                ("finished_at", "<", end),
            ]
        if outcomes == {"exception"}:
            return domain + [
                ("state", "in", ("exception", "cancelled")),
                ("finished_at", ">=", start),
                ("finished_at", "<", end),
            ]
        return domain + [("received_at", ">=", start), ("received_at", "<", end)]

    def action_view_messages(self):
        """Drill down from the analysis to the messages (with the user's record rules)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "healthcare_integration_base.hc_integration_message_action"
        )
        action.update(domain=self._get_messages_domain(), context={})
        return action
