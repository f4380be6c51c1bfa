import base64

from odoo import api, fields, models
from odoo.exceptions import UserError

HANDLER = "hc.rcm.handler.remittance"


class HcRcmRemittanceUpload(models.TransientModel):
    """A finance user uploads an 835 file: it takes the same path as a webhook delivery
    (parse, validate, queue with the file's SHA-256 as event id)."""

    _name = "hc.rcm.remittance.upload"
    _description = "Upload an 835 remittance file"

    flow_id = fields.Many2one(
        "hc.integration.flow",
        required=True,
        domain=[("handler_model", "=", HANDLER), ("payload_format", "=", "x12")],
        default=lambda self: self._default_flow(),
    )
    file = fields.Binary(string="835 file", required=True, attachment=False)
    filename = fields.Char()

    @api.model
    def _default_flow(self):
        company = self.env.company
        return company.hc_rcm_inbound_flow_id or self.env["hc.integration.flow"].search(
            [
                ("handler_model", "=", HANDLER),
                ("payload_format", "=", "x12"),
                ("company_id", "=", company.id),
            ],
            limit=1,
        )

    def action_upload(self):
        self.ensure_one()
        self.flow_id.check_access("read")
        data = base64.b64decode(self.file or b"")
        handler = self.env[HANDLER].sudo()
        message, status = handler._hc_rcm_ingest(self.flow_id.sudo(), data)
        if status == "conflict":  # the same SHA-256 with other content: not possible
            raise UserError(self.env._("This file conflicts with a file already received."))
        text = (
            self.env._("The file was queued; its remittances are posted in a moment.")
            if status == "created"
            else self.env._("This file was already received: nothing is posted twice.")
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if status == "created" else "warning",
                "message": text,
                "next": {
                    "type": "ir.actions.act_window",
                    "res_model": "hc.integration.message",
                    "res_id": message.id,
                    "views": [(False, "form")],
                    "target": "current",
                },
            },
        }
