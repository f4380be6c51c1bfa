from decimal import Decimal

from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, StaleEventError
from odoo.addons.healthcare_integration_base.tools.payload import canonical_json, sha256_hex

from ..tools.amounts import to_decimal

BATCH_TYPE = "billing_batch"
BILLING_SETTINGS = (
    "journal",
    "insurance_receivable",
    "patient_receivable",
    "allowance",
)
ZERO = Decimal(0)


class HcRcmHandlerBillingSummary(models.AbstractModel):
    """``billing.summary`` (batch): a day's charges of one facility → one balanced journal
    entry. Service lines map to revenue accounts, the facility to an analytic account, the
    line's ``payer_code`` (1.1) to the payer whose receivable is debited (absent: self-pay).
    The control total must equal the sum of the gross charges. A later event with the same
    ``batch_id`` reverses the earlier entry and posts the new one; an older event arriving
    late is ignored (stale)."""

    _name = "hc.rcm.handler.billing.summary"
    _inherit = ["hc.integration.handler", "hc.rcm.handler.mixin"]
    _description = "Revenue cycle: billing summary"
    _hc_allowlist = (
        "batch_id",
        "facility_code",
        "service_date",
        "currency",
        "lines[].service_line_code",
        "lines[].gross_charges",
        "lines[].contractual_adjustments",
        "lines[].payer_code",
        "control_total",
    )

    @api.model
    def _hc_ordering_key(self, flow, payload):
        batch_id = payload.get("batch_id")
        return batch_id and f"{BATCH_TYPE}:{batch_id}"

    @api.model
    def _hc_check_payload(self, flow, payload):
        lines = payload.get("lines")
        if not isinstance(lines, list):
            return []
        amounts = {"/control_total": payload.get("control_total")}
        for index, line in enumerate(lines):
            if isinstance(line, dict):
                amounts[f"/lines/{index}/gross_charges"] = line.get("gross_charges")
                amounts[f"/lines/{index}/contractual_adjustments"] = line.get(
                    "contractual_adjustments"
                )
        errors = self._hc_rcm_amount_errors(amounts)
        if errors:
            return errors
        control = to_decimal(payload.get("control_total"))
        gross = sum(
            (to_decimal(line.get("gross_charges")) or ZERO)
            for line in lines
            if isinstance(line, dict)
        )
        if control is not None and control != gross:
            errors.append(
                {
                    "path": "/control_total",
                    "message": "must equal the sum of lines[].gross_charges",
                }
            )
        return errors

    def _hc_process(self, message):
        payload = message.payload or {}
        backend = message.backend_id
        company = backend.company_id
        settings = company._hc_rcm_settings(
            BILLING_SETTINGS
            + (("allowance_reserve",) if company.hc_rcm_allowance_policy == "estimated" else ())
        )
        currency = self._hc_rcm_currency(payload.get("currency"))
        batch_id = str(payload.get("batch_id") or "")
        self._hc_rcm_check_control_total(payload, batch_id)
        resolved = self._hc_rcm_resolve_codes(backend, payload, batch_id)
        current = self._hc_rcm_current_version(backend, batch_id, message)
        content_hash = self._hc_rcm_billing_hash(payload, currency)
        if current and current.content_hash == content_hash:
            return [current, current.move_id]
        entry_lines = self._hc_rcm_entry_lines(payload, resolved)
        batch = self.env["hc.rcm.billing.batch"].create(
            self._hc_rcm_batch_values(message, payload, resolved, entry_lines, current)
            | {"currency_id": currency.id, "content_hash": content_hash}
        )
        reversal = current._hc_rcm_replace_by(batch) if current else self.env["account.move"]
        move = batch._hc_rcm_post(settings, entry_lines)
        batch._hc_rcm_reconcile_payers(settings)
        self._hc_binding()._bind(backend, BATCH_TYPE, batch_id, batch, message.occurred_at)
        return [batch, move, reversal]

    @api.model
    def _hc_rcm_check_control_total(self, payload, batch_id):
        """The control total equals the sum of the gross charges, or nothing is posted."""
        lines = payload.get("lines") or []
        gross_total = sum((self._hc_rcm_decimal(line.get("gross_charges")) for line in lines), ZERO)
        control_total = self._hc_rcm_decimal(payload.get("control_total"))
        if gross_total != control_total:
            raise BusinessError(
                self.env._(
                    "Billing batch %(batch)s: the control total does not match the sum of the "
                    "gross charges (difference %(difference)s); nothing was posted. Ask the "
                    "billing system to resend the batch.",
                    batch=batch_id,
                    difference=f"{gross_total - control_total:.2f}",
                )
            )

    @api.model
    def _hc_rcm_resolve_codes(self, backend, payload, batch_id):
        """``{(mapping type, code): record}`` of the facility and the service lines; a
        service line mapped as ignored stops the batch (no revenue account)."""
        lines = payload.get("lines") or []
        resolved = self._hc_map_pairs(
            backend,
            [("facility", payload.get("facility_code"))]
            + [("service_line", line.get("service_line_code")) for line in lines]
            + [("payer", line.get("payer_code")) for line in lines if line.get("payer_code")],
        )
        self._hc_rcm_check_ignored_payers(lines, resolved, batch_id, backend)
        ignored = sorted(
            {
                line.get("service_line_code")
                for line in lines
                if not resolved.get(("service_line", line.get("service_line_code")))
            }
        )
        if ignored:
            raise BusinessError(
                self.env._(
                    "Billing batch %(batch)s has charges for service line(s) %(codes)s, which "
                    "are mapped as ignored: charges cannot be posted without a revenue "
                    "account. Map them to an account, then retry.",
                    batch=batch_id,
                    codes=", ".join(ignored),
                )
            )
        return resolved

    @api.model
    def _hc_rcm_check_ignored_payers(self, lines, resolved, batch_id, backend=None):
        """A payer mapped as ignored has no receivable to debit: the batch waits (its
        exception opens the first such payer's mapping, the desk groups by it)."""
        ignored = sorted(
            {
                line["payer_code"]
                for line in lines
                if line.get("payer_code") and not resolved.get(("payer", line["payer_code"]))
            }
        )
        if ignored:
            raise BusinessError(
                self.env._(
                    "Billing batch %(batch)s has charges for payer(s) %(codes)s, which are "
                    "mapped as ignored: the charges cannot be posted to a payer's receivable. "
                    "Map them to a contact, then retry.",
                    batch=batch_id,
                    codes=", ".join(ignored),
                ),
                record=self.env["hc.integration.mapping"]._lookup(backend, "payer", ignored[0])
                if backend
                else None,
            )

    @api.model
    def _hc_rcm_current_version(self, backend, batch_id, message):
        """The posted version of the batch (empty for a new batch); an event older than
        it is stale."""
        binding = self._hc_binding()._find_binding(backend, BATCH_TYPE, batch_id)
        if binding and binding._is_stale(message.occurred_at):
            raise StaleEventError(
                self.env._(
                    "A more recent version of billing batch %s was already posted.", batch_id
                )
            )
        return binding.record if binding else self.env["hc.rcm.billing.batch"]

    @api.model
    def _hc_rcm_entry_lines(self, payload, resolved):
        """``[(code, revenue account, gross, contractual, payer)]`` with Decimal amounts;
        the payer is an empty ``res.partner`` for self-pay lines."""
        entry_lines = []
        no_payer = self.env["res.partner"]
        for line in payload.get("lines") or []:
            code = line.get("service_line_code")
            payer_code = line.get("payer_code")
            entry_lines.append(
                (
                    code,
                    resolved[("service_line", code)],
                    self._hc_rcm_decimal(line.get("gross_charges")),
                    to_decimal(line.get("contractual_adjustments")) or ZERO,
                    resolved.get(("payer", payer_code), no_payer) if payer_code else no_payer,
                )
            )
        return entry_lines

    @api.model
    def _hc_rcm_batch_values(self, message, payload, resolved, entry_lines, current):
        """Values of the new ``hc.rcm.billing.batch`` version and its lines."""
        facility_code = payload.get("facility_code")
        facility = resolved.get(("facility", facility_code))
        gross_total = sum((item[2] for item in entry_lines), ZERO)
        contractual_total = sum((item[3] for item in entry_lines), ZERO)
        codes = [line.get("payer_code") or False for line in payload.get("lines") or []]
        return {
            "batch_id": str(payload.get("batch_id") or ""),
            "version": (current.version + 1) if current else 1,
            "company_id": message.backend_id.company_id.id,
            "backend_id": message.backend_id.id,
            "message_id": message.id,
            "facility_code": facility_code,
            "analytic_account_id": facility.id if facility else False,
            "service_date": fields.Date.to_date(payload.get("service_date")),
            "control_total": float(self._hc_rcm_decimal(payload.get("control_total"))),
            "gross_total": float(gross_total),
            "contractual_total": float(contractual_total),
            "net_total": float(gross_total - contractual_total),
            "occurred_at": message.occurred_at,
            "line_ids": [
                (
                    0,
                    0,
                    {
                        "service_line_code": code,
                        "account_id": account.id,
                        "gross_charges": float(gross),
                        "contractual_adjustments": float(contractual),
                        "net_charges": float(gross - contractual),
                        "payer_code": payer_code,
                        "payer_id": payer.id,
                    },
                )
                for (code, account, gross, contractual, payer), payer_code in zip(
                    entry_lines, codes, strict=True
                )
            ],
        }

    @api.model
    def _hc_rcm_billing_hash(self, payload, currency):
        """Business content with amounts normalised (120 and "120.00" are the same)."""
        lines = [
            {
                "service_line_code": line.get("service_line_code"),
                "payer_code": line.get("payer_code") or None,
                "gross_charges": f"{to_decimal(line.get('gross_charges')) or ZERO:.2f}",
                "contractual_adjustments": (
                    f"{to_decimal(line.get('contractual_adjustments')) or ZERO:.2f}"
                ),
            }
            for line in payload.get("lines") or []
        ]
        content = {
            "facility_code": payload.get("facility_code"),
            "service_date": payload.get("service_date"),
            "currency": currency.name,
            "lines": lines,
        }
        return sha256_hex(canonical_json(content))
