from odoo import models


# hc.rcm.remittance is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcRcmRemittance(models.Model):
    """A claim the payer denied earlier and now pays: its denial is settled. A written-off
    denial has its write-off reversed (the payment credits the receivable instead, so the
    payer's receivable is not credited twice); an open or appealed denial is closed as paid,
    and its remittance's follow-up exception closes once nothing is left to work."""

    _inherit = "hc.rcm.remittance"

    def _hc_rcm_settle_earlier_denials(self, lines):
        """Settle the earlier denials of the claims ``lines`` (this remittance) pays."""
        self.ensure_one()
        paid = lines.filtered(lambda line: line.state == "posted" and line.paid > 0)
        if not paid:
            return
        denials = (
            self.env["hc.rcm.claim.line"]
            .sudo()
            .search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("payer_id", "=", self.payer_id.id),
                    ("claim_id", "in", paid.mapped("claim_id")),
                    ("state", "=", "denied"),
                    ("denial_state", "in", ("open", "appealed", "written_off")),
                    ("remittance_id", "!=", self.id),
                ]
            )
        )
        if not denials:
            return
        for denial in denials.filtered(lambda line: line.denial_state == "written_off"):
            self._hc_rcm_reverse_denial_write_off(denial)
        denials.write({"denial_state": "paid"})
        remittances = denials.remittance_id
        remittances.invalidate_recordset(["open_denial_count", "state"])
        remittances._hc_rcm_close_denial_exception(
            self.env._("The payer paid the denied claim(s) in remittance %s.", self.trace_number)
        )

    def _hc_rcm_reverse_denial_write_off(self, denial):
        """Reverse the posted write-off entry of ``denial`` on this remittance's date."""
        moves = denial.move_line_ids.move_id.filtered(lambda move: move.state == "posted")
        if not moves:
            return
        reversals = moves._reverse_moves(
            [
                {
                    "date": self._hc_rcm_date(),
                    "ref": self.env._(
                        "Reversal of denial write-off %(claim)s (paid in %(trace)s)",
                        claim=denial.claim_id,
                        trace=self.trace_number,
                    ),
                    "hc_rcm_remittance_id": self.id,
                }
                for _move in moves
            ]
        )
        reversals.action_post()
