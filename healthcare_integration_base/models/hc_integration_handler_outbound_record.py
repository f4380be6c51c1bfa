from odoo import api, models

from .hc_integration_flow_outbound_event import ORDERING_CONTEXT_KEY


class HcIntegrationHandlerOutboundRecord(models.AbstractModel):
    """Sends the events of Odoo's own record changes (issue 14 §3), queued by the server
    action "Send to integration flow" from a ``base.automation`` rule. Messages of one
    record share an ordering key, so they are delivered in the order of the changes."""

    _name = "hc.integration.handler.outbound.record"
    _inherit = "hc.integration.handler.outbound"
    _description = "Outbound: Odoo record changes (configured in the flow)"
    _hc_abstract_handler = False

    @api.model
    def _hc_ordering_key(self, flow, payload):
        # set by hc.integration.flow._hc_enqueue_record_events (model and id of the
        # record, which the payload does not carry: only the declared fields are sent)
        return self.env.context.get(ORDERING_CONTEXT_KEY)
