from odoo import models


class HcIntegrationHandlerOutboundJson(models.AbstractModel):
    """Posts the payload as it was queued: the generic outbound flow."""

    _name = "hc.integration.handler.outbound.json"
    _inherit = "hc.integration.handler.outbound"
    _description = "Outbound: JSON payload as queued"
    _hc_abstract_handler = False
