from odoo import api, models


# hc.integration.processor is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationProcessor(models.AbstractModel):
    """The maintenance cron also compacts the exception desk's per-cause counts."""

    _inherit = "hc.integration.processor"

    @api.model
    def _cron_maintenance(self):
        result = super()._cron_maintenance()
        # rows of closed connections folded into one per cause: a few rows, no lane waits
        self.env["hc.integration.exception.cause.summary"]._hc_compact()
        return result
