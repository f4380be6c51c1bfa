from odoo import api, models

PAYER = "payer"


# hc.integration.exception is split by concern, one file each: not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationException(models.Model):
    """The same rejected payer is one cause: exceptions raised because a payer is unknown
    (no mapping yet), unmapped (pending) or rejected (mapped as ignored) share the key
    ``payer:<backend id>:<payer code>``, whatever remittance, payment or billing batch
    raised them. A payer code identifies an insurer, not a patient: it is no PHI."""

    _inherit = "hc.integration.exception"

    @api.depends("res_model", "res_id")
    def _compute_cause_key(self):
        return super()._compute_cause_key()

    def _hc_cause_key(self):
        mapping = self._hc_rcm_payer_mapping()
        if mapping:
            return f"payer:{self.backend_id.id or 0}:{mapping.external_code}"
        return super()._hc_cause_key()

    def _hc_rcm_payer_mapping(self):
        """The payer mapping row this exception waits for (a missing payer) or points at
        (the handlers open a payer mapped as ignored as the record to fix)."""
        self.ensure_one()
        Mapping = self.env["hc.integration.mapping"].sudo()
        mapping = self.mapping_id.sudo()
        if self.category == "mapping" and mapping.mapping_type == PAYER:
            return mapping
        if self.res_model == Mapping._name and self.res_id:
            record = Mapping.browse(self.res_id).exists()
            if record.mapping_type == PAYER:
                return record
        return Mapping
