from odoo import models


# hc.integration.mapping is split by concern, one file each: not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationMapping(models.Model):
    """A payer mapped as ignored rejects its remittances, payments and billing batches;
    mapping it to a contact later re-queues all of them at once, as mapping a pending
    code does (the engine re-queues only what waited for a pending code)."""

    _inherit = "hc.integration.mapping"

    def write(self, vals):
        rejected = self.filtered(lambda m: m.mapping_type == "payer" and m.state == "ignored")
        result = super().write(vals)
        rejected.filtered(lambda m: m.state == "mapped")._hc_rcm_requeue_rejected()
        return result

    def _hc_rcm_requeue_rejected(self):
        """Re-queue the messages whose open exception points at these payer rows (the
        handlers open the ignored payer's mapping as the record to fix)."""
        Exception = self.env["hc.integration.exception"].sudo()
        for mapping in self:
            exceptions = Exception.search(
                [
                    ("state", "=", "open"),
                    ("res_model", "=", self._name),
                    ("res_id", "=", mapping.id),
                ]
            )
            messages = exceptions.message_id.filtered(lambda m: m.state == "exception")
            if not messages:
                continue
            note = self.env._(
                "Payer %(code)s mapped by %(user)s.",
                code=mapping.external_code,
                user=self.env.user.name,
            )
            messages._requeue(note)
            exceptions._close("resolved", note)
