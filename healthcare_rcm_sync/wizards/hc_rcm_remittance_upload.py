import base64

from odoo import api, fields, models
from odoo.exceptions import UserError

HANDLER = "hc.rcm.handler.remittance"


class HcRcmRemittanceUpload(models.TransientModel):
    """A finance user uploads an 835 file: it takes the same path as a webhook delivery
    (parse, validate, queue with the file's SHA-256 as event id).

    The raw file (patient names included) is never stored, not even in this transient row:
    ``file`` and ``filename`` are not stored fields; writing the file parses it within the
    same request (:meth:`_inverse_file`) and the row keeps only the minimised payload and
    the file's SHA-256, which :meth:`action_upload` queues.
    """

    _name = "hc.rcm.remittance.upload"
    _description = "Upload an 835 remittance file"

    flow_id = fields.Many2one(
        "hc.integration.flow",
        required=True,
        domain=[("handler_model", "=", HANDLER), ("payload_format", "=", "x12")],
        default=lambda self: self._default_flow(),
    )
    file = fields.Binary(
        string="835 file", store=False, compute="_compute_file", inverse="_inverse_file"
    )
    filename = fields.Char(store=False, compute="_compute_file", inverse="_inverse_filename")
    payload = fields.Json(readonly=True, groups="base.group_system")
    file_sha256 = fields.Char(readonly=True)

    def _compute_file(self):
        """Never read back: the raw file exists only during the request that sent it."""
        self.file = self.filename = False

    def _inverse_file(self):
        """Parse the file now and keep only its minimised form (no raw data is stored)."""
        for wizard in self:
            data = base64.b64decode(wizard.file or b"")
            if not data:
                raise UserError(self.env._("Choose an 835 file to upload."))
            wizard.flow_id.check_access("read")
            payload, digest = (
                self.env[HANDLER].sudo()._hc_rcm_read_file(wizard.flow_id.sudo(), data)
            )
            wizard.sudo().write({"payload": payload, "file_sha256": digest})

    def _inverse_filename(self):
        """The name may carry a patient's name: it is not kept."""

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
        wizard_sudo = self.sudo()
        if not wizard_sudo.payload or not wizard_sudo.file_sha256:
            raise UserError(self.env._("Choose an 835 file to upload."))
        handler = self.env[HANDLER].sudo()
        message, status = handler._hc_rcm_enqueue_file(
            self.flow_id.sudo(), wizard_sudo.payload, wizard_sudo.file_sha256
        )
        wizard_sudo.payload = False  # queued: the message holds it now
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
