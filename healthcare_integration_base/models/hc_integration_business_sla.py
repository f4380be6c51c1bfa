from odoo import api, fields, models

WINDOW_HOURS = 24

# business elapsed time: the event's occurred_at (at the source) to done, per flow, over
# the last 24 hours, as percentiles computed by PostgreSQL
ELAPSED_SQL = """
    SELECT flow_id,
           count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY elapsed)
      FROM (
            SELECT flow_id, EXTRACT(EPOCH FROM finished_at - occurred_at) AS elapsed
              FROM hc_integration_message
             WHERE state = 'done'
               AND occurred_at IS NOT NULL
               AND finished_at >= (now() AT TIME ZONE 'UTC') - make_interval(hours => %s)
               AND finished_at >= occurred_at
           ) AS done
  GROUP BY flow_id
"""


class HcIntegrationFlow(models.Model):
    """Business SLA of a flow: how long after the event happened it was done."""

    _inherit = "hc.integration.flow"

    business_p50_minutes = fields.Float(
        string="Event to done p50 (min)",
        compute="_compute_business_elapsed",
        digits=(16, 1),
        help="Median minutes from the event's occurred_at to done, last 24 hours.",
    )
    business_p95_minutes = fields.Float(
        string="Event to done p95 (min)",
        compute="_compute_business_elapsed",
        digits=(16, 1),
    )

    def _compute_business_elapsed(self):
        stats = self.env["hc.integration.metrics"]._hc_business_elapsed()
        for flow in self:
            _count, p50, p95 = stats.get(flow.id, (0, 0.0, 0.0))
            flow.business_p50_minutes = p50 / 60.0
            flow.business_p95_minutes = p95 / 60.0


class HcIntegrationMetrics(models.AbstractModel):
    _inherit = "hc.integration.metrics"

    @api.model
    def _hc_business_elapsed(self):
        """``{flow_id: (count, p50 seconds, p95 seconds)}`` over the last 24 hours."""
        self.env["hc.integration.message"].flush_model(
            ["state", "occurred_at", "finished_at", "flow_id"]
        )
        self.env.cr.execute(ELAPSED_SQL, [WINDOW_HOURS])
        return {
            flow_id: (count, float(p50 or 0.0), float(p95 or 0.0))
            for flow_id, count, p50, p95 in self.env.cr.fetchall()
        }

    @api.model
    def _hc_business_chains(self):
        """``{chain name: (count, p50 seconds, p95 seconds)}`` of elapsed times across
        flows (hire received → user active, 835 received → reconciled with the bank).
        Flow addons add their chains with ``super()``."""
        return {}

    @api.model
    def _hc_latency_family(self, out, labels, *args, **kwargs):
        result = super()._hc_latency_family(out, labels, *args, **kwargs)
        samples = []
        for flow_id, (count, p50, p95) in sorted(self._hc_business_elapsed().items()):
            samples.append(("", labels(flow_id, quantile="0.5"), p50))
            samples.append(("", labels(flow_id, quantile="0.95"), p95))
            samples.append(("_count", labels(flow_id), count))
        out.family(
            "hc_business_elapsed_seconds",
            "summary",
            "Time from the event's occurred_at to done, per flow, last 24 hours.",
            samples,
        )
        chains = []
        for chain, (count, p50, p95) in sorted(self._hc_business_chains().items()):
            chains.append(("", {"chain": chain, "quantile": "0.5"}, p50))
            chains.append(("", {"chain": chain, "quantile": "0.95"}, p95))
            chains.append(("_count", {"chain": chain}, count))
        out.family(
            "hc_business_chain_seconds",
            "summary",
            "Elapsed time of business chains across flows, last 24 hours.",
            chains,
        )
        return result
