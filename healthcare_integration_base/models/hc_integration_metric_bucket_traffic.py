from odoo import api, models


# hc.integration.metric.bucket is split by concern, one file each: not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationMetricBucket(models.Model):
    """The hours the metrics roll up are rolled up for the traffic analysis too, in the
    same transaction: both share one watermark."""

    _inherit = "hc.integration.metric.bucket"

    @api.model
    def _hc_roll_up(self, bounds, deadline=None, now=None):
        start = self._hc_watermark()
        if start is None:
            self.env.cr.execute(
                "SELECT date_trunc('hour', min(timestamp)) FROM hc_integration_audit"
            )
            start = self.env.cr.fetchone()[0]
        rolled = super()._hc_roll_up(bounds, deadline=deadline, now=now)
        end = self._hc_watermark()
        if rolled and start and end:
            self.env["hc.integration.traffic.hour"]._hc_roll_up(start, end)
        return rolled
