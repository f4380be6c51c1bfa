from odoo import api, fields, models

from .hc_rcm_handler_remittance import EVENT_TYPE

CHAIN = "remittance_to_bank_reconciled"

# 835 received → payment reconciled with the bank: from the 835's occurred_at (JSON files
# carry one; else when the file was received — the file message the transaction was split
# from — else when the transaction was queued) to the moment the remittance's payment was
# fully reconciled with a bank statement line by Odoo's reconciliation (the create_date of
# the full reconcile that holds both), for reconciliations of the last 24 hours: per 835
# flow (the dashboard cards) and in all (the metrics), in one query with grouping sets
REMITTANCE_TO_BANK_SQL = """
    SELECT flow_id,
           count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY elapsed),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY elapsed)
      FROM (
            SELECT child.flow_id,
                   EXTRACT(EPOCH FROM max(full_rec.create_date) - min(
                       COALESCE(child.occurred_at, parent.occurred_at, parent.received_at,
                                child.received_at))) AS elapsed
              FROM account_full_reconcile full_rec
              JOIN account_move_line pay_line
                ON pay_line.full_reconcile_id = full_rec.id AND pay_line.payment_id IS NOT NULL
              JOIN hc_rcm_remittance rem ON rem.payment_id = pay_line.payment_id
              JOIN hc_integration_message child ON child.id = rem.message_id
         LEFT JOIN hc_integration_message parent
                ON parent.flow_id = child.flow_id
               AND parent.external_id = child.payload -> 'source' ->> 'event_id'
             WHERE full_rec.create_date >= (now() AT TIME ZONE 'UTC') - interval '24 hours'
               AND EXISTS (
                    SELECT 1 FROM account_move_line bank_line
                     WHERE bank_line.full_reconcile_id = full_rec.id
                       AND bank_line.statement_line_id IS NOT NULL)
          GROUP BY rem.payment_id, child.flow_id
           ) AS chain
     WHERE elapsed >= 0
  GROUP BY GROUPING SETS ((flow_id), ())
"""


# hc.rcm.remittance is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcRcmRemittance(models.Model):
    _inherit = "hc.rcm.remittance"

    # the chain joins remittances on their payment
    payment_id = fields.Many2one(index="btree_not_null")


class HcIntegrationMetrics(models.AbstractModel):
    _inherit = "hc.integration.metrics"

    @api.model
    def _hc_rcm_bank_chain(self):
        """``{835 flow id, or None for all: (count, p50 seconds, p95 seconds)}``."""
        self.env.flush_all()
        self.env.cr.execute(REMITTANCE_TO_BANK_SQL)
        return {
            flow_id: (count, float(p50), float(p95))
            for flow_id, count, p50, p95 in self.env.cr.fetchall()
            if count
        }

    @api.model
    def _hc_business_chains(self):
        chains = super()._hc_business_chains()
        total = self._hc_rcm_bank_chain().get(None)
        if total:
            chains[CHAIN] = total
        return chains

    @api.model
    def _hc_business_chain_flow_stats(self):
        stats = super()._hc_business_chain_flow_stats()
        stats[CHAIN] = {
            flow_id: stat for flow_id, stat in self._hc_rcm_bank_chain().items() if flow_id
        }
        return stats

    @api.model
    def _hc_business_chain_starts(self):
        starts = super()._hc_business_chain_starts()
        starts[CHAIN] = (EVENT_TYPE, self.env._("835 received → reconciled with the bank"))
        return starts
