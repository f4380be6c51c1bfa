from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, ConflictError

from ..tools.amounts import to_decimal

PLACED, RECOVERED = "collections.placed", "collections.recovered"


class HcRcmHandlerCollections(models.AbstractModel):
    """``collections.placed`` and ``collections.recovered`` (see ``hc.rcm.collection``).
    Idempotent by placement / recovery id; other figures under the same id are a conflict;
    a recovery above what is still placed is a conflict (never a negative write-off)."""

    _name = "hc.rcm.handler.collections"
    _inherit = ["hc.integration.handler", "hc.rcm.handler.mixin"]
    _description = "Revenue cycle: collections"
    _hc_allowlist = (
        "placement_id",
        "recovery_id",
        "agency_code",
        "amount",
        "currency",
        "date",
        "account_reference",
        "trace_number",
    )
    _hc_content_keys = ("placement_id", "agency_code", "amount", "currency", "date")

    @api.model
    def _hc_ordering_key(self, flow, payload):
        placement = payload.get("placement_id")
        return placement and f"collections:{placement}"

    @api.model
    def _hc_check_payload(self, flow, payload):
        return self._hc_rcm_positive_amount_errors(payload)

    def _hc_process(self, message):
        payload = dict(message.payload or {})
        payload["amount"] = f"{self._hc_rcm_decimal(payload.get('amount')):.2f}"
        backend = message.backend_id
        recovered = message.flow_id.event_type == RECOVERED
        kind = "recovered" if recovered else "placed"
        external_id = str(payload.get("recovery_id" if recovered else "placement_id") or "")
        content_hash = self._hc_rcm_hash(payload, self._hc_content_keys)
        Collection = self.env["hc.rcm.collection"]
        existing = Collection.sudo().search(
            [
                ("backend_id", "=", backend.id),
                ("kind", "=", kind),
                ("external_id", "=", external_id),
            ],
            limit=1,
        )
        if existing:
            if existing.content_hash != content_hash:
                raise ConflictError(
                    self.env._(
                        "%(id)s was already received with other figures; this event was not "
                        "applied. Send a correction under a new id.",
                        id=external_id,
                    ),
                    record=existing,
                )
            return [existing, existing.move_id or existing.payment_id]
        values = {
            "kind": kind,
            "external_id": external_id,
            "company_id": backend.company_id.id,
            "backend_id": backend.id,
            "message_id": message.id,
            "amount": float(payload["amount"]),
            "currency_id": self._hc_rcm_currency(payload.get("currency")).id,
            "date": fields.Date.to_date(payload.get("date")),
            "content_hash": content_hash,
        }
        if recovered:
            return self._hc_rcm_recover(backend, payload, values)
        return self._hc_rcm_place(backend, payload, values)

    def _hc_rcm_place(self, backend, payload, values):
        company = backend.company_id
        settings = company._hc_rcm_settings(("journal", "patient_receivable"))
        agency = self._hc_map(backend, "agency", payload.get("agency_code"))
        if not agency:
            raise BusinessError(
                self.env._(
                    "Agency %s is mapped as ignored: the placement was not posted. Map the "
                    "agency to a contact, then retry.",
                    payload.get("agency_code"),
                )
            )
        placement = self.env["hc.rcm.collection"].create(
            values
            | {
                "agency_id": agency.id,
                "policy": company.hc_rcm_collections_policy,
                "account_reference": payload.get("account_reference"),
            }
        )
        return [placement, placement._hc_rcm_post_placement(settings)]

    def _hc_rcm_recover(self, backend, payload, values):
        company = backend.company_id
        settings = company._hc_rcm_settings(("payment_journal",))
        placement = (
            self.env["hc.rcm.collection"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("kind", "=", "placed"),
                    ("external_id", "=", str(payload.get("placement_id") or "")),
                ],
                limit=1,
            )
        )
        if not placement:
            raise BusinessError(
                self.env._(
                    "Recovery %s is for a placement Odoo never received; nothing was posted. "
                    "Ask the billing system to send the placement first, then retry.",
                    values["external_id"],
                )
            )
        still_placed = to_decimal(placement.amount) - sum(
            (to_decimal(r.amount) for r in placement.recovery_ids), to_decimal(0)
        )
        if to_decimal(values["amount"]) > still_placed:
            raise ConflictError(
                self.env._(
                    "Recovery %(id)s is for more than is still placed with the agency "
                    "(%(left)s); nothing was posted (a recovery is never a negative "
                    "write-off). Check the placement with the billing system.",
                    id=values["external_id"],
                    left=f"{still_placed:.2f}",
                ),
                record=placement,
            )
        recovery = self.env["hc.rcm.collection"].create(
            values | {"agency_id": placement.agency_id.id, "placement_ref_id": placement.id}
        )
        payment = recovery._hc_rcm_post_recovery(settings, payload.get("trace_number"))
        return [recovery, payment, payment.move_id]
