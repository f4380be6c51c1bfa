from odoo import fields, models


class HcIntegrationAlert(models.Model):
    """Alerts raised by transport: a scheduled pull that keeps failing, an outbound endpoint
    paused by the circuit breaker. Both are cleared by the transport code itself when the
    condition ends (a pull succeeds, a delivery goes through)."""

    _inherit = "hc.integration.alert"

    kind = fields.Selection(
        selection_add=[
            ("pull_failing", "Scheduled pull failing"),
            ("circuit_open", "Outbound endpoint paused"),
        ],
        ondelete={"pull_failing": "cascade", "circuit_open": "cascade"},
    )
