from odoo import api, models

#: Mapping types of the revenue-cycle flows (DESIGN §5), with the model each code maps to.
#: ``payer`` (→ res.partner) is defined by the engine.
RCM_MAPPING_TARGETS = {
    # billing.summary service line code → its revenue account
    "service_line": "account.account",
    # billing.summary facility code → analytic account (analytic distribution per facility)
    "facility": "account.analytic.account",
    # optional override of the account of a remittance adjustment: "CO-45", "OA" (a whole
    # group) or "PLB-WO" (a provider-level reason); unmapped codes use the company settings
    "adjustment_reason": "account.account",
}


class HcIntegrationMapping(models.Model):
    _inherit = "hc.integration.mapping"

    @api.model
    def _hc_mapping_types(self):
        return [
            *super()._hc_mapping_types(),
            ("service_line", self.env._("Service line")),
            ("facility", self.env._("Facility")),
            ("adjustment_reason", self.env._("Adjustment reason")),
        ]

    @api.model
    def _mapping_target_models(self):
        targets = super()._mapping_target_models()
        targets.update(RCM_MAPPING_TARGETS)
        return targets

    @api.model
    def _hc_rcm_adjustment_accounts(self, backend):
        """``{code: account id}`` of the mapped adjustment_reason codes of ``backend`` (and
        the shared ones), read once per remittance instead of once per adjustment."""
        rows = self.sudo().search(
            [
                ("mapping_type", "=", "adjustment_reason"),
                ("state", "=", "mapped"),
                ("backend_id", "in", [backend.id, False]),
            ]
        )
        result = {}
        # shared rows first, so that the backend's own rows win
        for row in rows.sorted(lambda r: bool(r.backend_id)):
            if row.target_ref:
                result[row.external_code.strip().upper()] = row.target_ref.id
        return result
