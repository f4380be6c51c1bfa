from odoo import api, fields, models


class HcIntegrationMessageLink(models.Model):
    """A record a message created or changed (employee, journal entry, payment…)."""

    _name = "hc.integration.message.link"
    _description = "Integration Message Link"
    _order = "id"

    message_id = fields.Many2one(
        "hc.integration.message", required=True, ondelete="cascade", index=True
    )
    res_model = fields.Char(required=True, index=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True, index=True)
    record_name = fields.Char(compute="_compute_record_name")

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        for link in self:
            record = (
                self.env[link.res_model].browse(link.res_id).exists()
                if link.res_model in self.env
                else None
            )
            link.record_name = record.display_name if record else f"{link.res_model} #{link.res_id}"

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
            "target": "current",
        }
