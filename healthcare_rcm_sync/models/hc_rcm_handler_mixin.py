from odoo import api, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError
from odoo.addons.healthcare_integration_base.tools.payload import canonical_json, sha256_hex

from ..tools.amounts import amount_problem, to_decimal


class HcRcmHandlerMixin(models.AbstractModel):
    """Helpers shared by the revenue-cycle handlers. Not a handler itself (it does not
    inherit ``hc.integration.handler``, so it is not offered as one on flows)."""

    _name = "hc.rcm.handler.mixin"
    _description = "Revenue cycle handler helpers"

    @api.model
    def _hc_rcm_currency(self, code):
        """The active ``res.currency`` of an ISO 4217 code, or a business error."""
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", (code or "").upper())], limit=1)
        )
        if not currency or not currency.active:
            raise BusinessError(
                self.env._(
                    "Currency %(code)s is not active in Odoo: activate it (Accounting › "
                    "Configuration › Currencies), then retry.",
                    code=code or "?",
                )
            )
        return currency

    @api.model
    def _hc_rcm_decimal(self, value):
        """Decimal of an amount already checked at ingest (``_hc_check_payload``)."""
        amount = to_decimal(value)
        if amount is None:
            raise BusinessError(self.env._("An amount of the event is not a decimal number."))
        return amount

    @api.model
    def _hc_rcm_amount_errors(self, values):
        """``[{"path", "message"}]`` for ``{path: value}`` pairs that are not Appendix A
        amounts (decimal string or number, at most 2 decimals). Value-free messages."""
        errors = []
        for path, value in values.items():
            if value is None:
                continue
            problem = amount_problem(value)
            if problem:
                errors.append({"path": path, "message": problem})
        return errors

    @api.model
    def _hc_rcm_positive_amount_errors(self, payload):
        """``_hc_check_payload`` of events with one ``amount`` that must be above zero."""
        errors = self._hc_rcm_amount_errors({"/amount": payload.get("amount")})
        amount = payload.get("amount")
        if not errors and amount is not None and self._hc_rcm_decimal(amount) <= 0:
            errors.append({"path": "/amount", "message": "must be greater than 0"})
        return errors

    @api.model
    def _hc_rcm_hash(self, payload, keys):
        """SHA-256 of the business content of an event (the listed top-level keys), so that
        the same content sent under another event id is recognised."""
        return sha256_hex(canonical_json({key: payload.get(key) for key in keys}))
