from odoo import api, fields, models


def format_elapsed(seconds):
    """``42 min``, ``5.3 h`` or ``2.1 d``: chains range from minutes to days."""
    minutes = (seconds or 0.0) / 60.0
    if minutes < 120:
        return f"{minutes:.1f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


# hc.integration.flow and hc.integration.metrics are split by concern: not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationMetrics(models.AbstractModel):
    _inherit = "hc.integration.metrics"

    @api.model
    def _hc_business_chain_starts(self):
        """``{chain name: (event type of the flow it starts on, label)}``: the dashboard
        card of that flow shows the chain's figures. Flow addons add theirs with
        ``super()``, next to their ``_hc_business_chains``."""
        return {}

    @api.model
    def _hc_business_chain_flow_stats(self):
        """``{chain name: {flow id: (count, p50, p95)}}`` for chains that know the flow
        each case started on (two 835 flows); other chains show their totals."""
        return {}


class HcIntegrationFlow(models.Model):
    """Business chains across flows (hire received → user active, 835 received →
    reconciled with the bank) on the card of the flow where they start."""

    _inherit = "hc.integration.flow"

    business_chain_summary = fields.Char(
        string="Business chains (24 h)",
        compute="_compute_business_chain_summary",
        help="p50 and p95 of the elapsed time of the business chains starting on this flow, "
        "over the last 24 hours.",
    )

    def _compute_business_chain_summary(self):
        Metrics = self.env["hc.integration.metrics"]
        starts = Metrics._hc_business_chain_starts()
        stats = Metrics._hc_business_chains() if starts and self else {}
        per_flow = Metrics._hc_business_chain_flow_stats() if starts and self else {}
        for flow in self:
            lines = []
            for chain, (event_type, label) in sorted(starts.items()):
                if flow.event_type != event_type:
                    continue
                stat = per_flow[chain].get(flow.id) if chain in per_flow else stats.get(chain)
                lines.append(flow._hc_business_chain_line(label, stat))
            flow.business_chain_summary = "\n".join(lines) or False

    def _hc_business_chain_line(self, label, stat):
        if not stat or not stat[0]:
            return self.env._("%s (24 h): none ended", label)
        count, p50, p95 = stat
        return self.env._(
            "%(label)s (24 h): p50 %(p50)s · p95 %(p95)s · %(count)s",
            label=label,
            p50=format_elapsed(p50),
            p95=format_elapsed(p95),
            count=count,
        )
