from odoo import api, models


class HcIntegrationMessage(models.Model):
    _inherit = "hc.integration.message"

    @api.model
    def _hc_enqueue(self, flow, payload, **kwargs):
        """Near real-time outbound messages wake the delivery cron, not the inbound lanes."""
        message, status = super()._hc_enqueue(flow, payload, **kwargs)
        if (
            status == "created"
            and flow.direction == "outbound"
            and flow.sync_mode == "realtime"
            and not flow.paused
        ):
            self.env["hc.integration.processor"]._wake_up_outbound(at=message.effective_at)
        return message, status
