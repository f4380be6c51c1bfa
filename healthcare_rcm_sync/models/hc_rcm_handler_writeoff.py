from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import ConflictError
from odoo.addons.healthcare_integration_base.tools.payload import canonical_json, sha256_hex

WRITEOFF_TYPE = "writeoff"


class HcRcmHandlerWriteoff(models.AbstractModel):
    """``writeoff``: a journal entry debiting the account of the write-off's category
    (bad debt, charity, small balance, administrative) against patient receivable.
    Idempotent by ``writeoff_id``; the same id with other figures is a conflict."""

    _name = "hc.rcm.handler.writeoff"
    _inherit = ["hc.integration.handler", "hc.rcm.handler.mixin"]
    _description = "Revenue cycle: write-off"
    _hc_allowlist = (
        "writeoff_id",
        "category",
        "amount",
        "currency",
        "date",
        "account_reference",
    )

    @api.model
    def _hc_ordering_key(self, flow, payload):
        writeoff_id = payload.get("writeoff_id")
        return writeoff_id and f"{WRITEOFF_TYPE}:{writeoff_id}"

    @api.model
    def _hc_check_payload(self, flow, payload):
        return self._hc_rcm_positive_amount_errors(payload)

    def _hc_process(self, message):
        payload = message.payload or {}
        backend = message.backend_id
        company = backend.company_id
        category = payload.get("category")
        settings = company._hc_rcm_settings(("journal", "patient_receivable"))
        account = company._hc_rcm_writeoff_account(category)
        currency = self._hc_rcm_currency(payload.get("currency"))
        amount = self._hc_rcm_decimal(payload.get("amount"))
        writeoff_id = str(payload.get("writeoff_id") or "")
        content_hash = sha256_hex(
            canonical_json(
                {
                    "category": category,
                    "amount": f"{amount:.2f}",
                    "currency": currency.name,
                    "date": payload.get("date"),
                    "account_reference": payload.get("account_reference"),
                }
            )
        )
        Writeoff = self.env["hc.rcm.writeoff"]
        existing = Writeoff.sudo().search(
            [("backend_id", "=", backend.id), ("writeoff_id", "=", writeoff_id)], limit=1
        )
        if existing:
            if existing.content_hash == content_hash:
                return [existing, existing.move_id]
            raise ConflictError(
                self.env._(
                    "Write-off %s was already posted with other figures; this event was not "
                    "applied. Reverse the earlier entry in Odoo if the billing system "
                    "corrected it, then send the correction with a new write-off id.",
                    writeoff_id,
                ),
                record=existing,
            )
        writeoff = Writeoff.create(
            {
                "writeoff_id": writeoff_id,
                "company_id": company.id,
                "backend_id": backend.id,
                "message_id": message.id,
                "category": category,
                "amount": float(amount),
                "currency_id": currency.id,
                "date": fields.Date.to_date(payload.get("date")),
                "account_reference": payload.get("account_reference"),
                "account_id": account.id,
                "content_hash": content_hash,
            }
        )
        move = writeoff._hc_rcm_post(settings)
        return [writeoff, move]
