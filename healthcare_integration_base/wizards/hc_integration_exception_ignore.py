from odoo import fields, models


class HcIntegrationExceptionIgnore(models.TransientModel):
    """Ignore exceptions with a mandatory note (their messages are cancelled)."""

    _name = "hc.integration.exception.ignore"
    _description = "Ignore integration exceptions"

    exception_ids = fields.Many2many(
        "hc.integration.exception",
        default=lambda self: self.env.context.get("active_ids"),
        readonly=True,
    )
    note = fields.Text(required=True, help="Why these exceptions need no further action.")

    def action_confirm(self):
        self.exception_ids._ignore(self.note)
        return {"type": "ir.actions.act_window_close"}
