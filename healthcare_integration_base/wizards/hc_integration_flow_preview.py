import json

from odoo import fields, models


class HcIntegrationFlowPreview(models.TransientModel):
    """Paste a sample event, see what the declarative flow would write (dry run)."""

    _name = "hc.integration.flow.preview"
    _description = "Preview a declarative flow"

    flow_id = fields.Many2one("hc.integration.flow", required=True, ondelete="cascade")
    payload = fields.Text(string="Sample event (JSON)", required=True)
    result = fields.Text(readonly=True)
    ok = fields.Boolean(readonly=True)

    def action_run(self):
        self.ensure_one()
        try:
            payload = json.loads(self.payload)
        except ValueError:
            outcome = {"errors": ["the sample is not valid JSON"]}
        else:
            outcome = self.flow_id._hc_preview(payload)
        self.write(
            {"result": json.dumps(outcome, indent=2, default=str), "ok": not outcome["errors"]}
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
