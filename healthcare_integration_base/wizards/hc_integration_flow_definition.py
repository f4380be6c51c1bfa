from odoo import fields, models


class HcIntegrationFlowDefinition(models.TransientModel):
    """Import a declarative flow definition (JSON) onto a backend, or copy one out."""

    _name = "hc.integration.flow.definition"
    _description = "Import or export a flow definition"

    backend_id = fields.Many2one("hc.integration.backend", required=True, ondelete="cascade")
    definition = fields.Text(string="Definition (JSON)", required=True)

    def action_import(self):
        self.ensure_one()
        flow_id = self.env["hc.integration.flow"].hc_import_definition(
            self.backend_id.code, self.definition
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "hc.integration.flow",
            "res_id": flow_id,
            "view_mode": "form",
        }
