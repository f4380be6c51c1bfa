from odoo import api, fields, models


# pylint: disable=consider-merging-classes-inherited
class HcIntegrationMessage(models.Model):
    """Each message of a declarative flow records the definition version it was received
    with, then the one it was processed with (a replay after a change shows both)."""

    _inherit = "hc.integration.message"

    declarative_version = fields.Integer(
        string="Definition version",
        readonly=True,
        copy=False,
        help="Version of the declarative flow's definition the message was last "
        "processed with (at receipt: the version then current).",
    )

    @api.model
    def _prepare_message_values(self, flow, payload, **kwargs):
        values = super()._prepare_message_values(flow, payload, **kwargs)
        if flow._hc_is_declarative():
            values["declarative_version"] = flow.declarative_version
        return values
