from odoo import models

from ..tools.texts import short_list


# hc.rcm.remittance is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcRcmRemittance(models.Model):
    """Denied claims (status 4): a follow-up exception for the billing team, closed once
    every denial of the remittance is worked (see ``hc.rcm.claim.line``)."""

    _inherit = "hc.rcm.remittance"

    def _hc_rcm_open_denial_exception(self, message):
        """Denied claims are not written off: the billing team gets a follow-up exception on
        the (successful) message, closed once every denial is worked."""
        self.ensure_one()
        denied = self.claim_line_ids.filtered(lambda line: line.denial_state == "open")
        if not denied:
            return
        lines = []
        for line in denied:
            reasons = "; ".join(
                f"{adjustment.group_code or ''}-{adjustment.reason_code}"
                + (f" ({adjustment.code_id.name})" if adjustment.code_id else "")
                for adjustment in line.adjustment_ids
            )
            lines.append(
                self.env._(
                    "• %(claim)s: charged %(charged)s, paid %(paid)s — %(reasons)s",
                    claim=line.claim_id,
                    charged=f"{line.charged:.2f}",
                    paid=f"{line.paid:.2f}",
                    reasons=reasons or self.env._("no reason code given"),
                )
            )
        description = self.env._(
            "%(payer)s denied %(count)s claim(s) in remittance %(trace)s; they were not "
            "written off.\n%(lines)s\n"
            "Open the remittance and, for each denied claim, choose Write off denial (posts "
            "its adjustments to the denial account) or Appealed (the balance stays open "
            "until the payer decides again). This exception closes when no denial of the "
            "remittance is left open.",
            payer=self.payer_id.display_name,
            count=len(denied),
            trace=self.trace_number,
            lines="\n".join(lines),
        )
        self.env["hc.integration.exception"]._hc_open_for(
            message,
            "validation",
            description,
            record=self,
            title=self.env._("Denied claims to work: %s", short_list(denied.mapped("claim_id"), 3)),
        )

    def _hc_rcm_close_denial_exception(self, note):
        """Close the follow-up exception once no denial of the remittance is open."""
        for remittance in self.sudo():
            if remittance.open_denial_count or not remittance.message_id:
                continue
            remittance.message_id.exception_ids.filtered(
                lambda exception: exception.state == "open"
            )._close("resolved", note)
