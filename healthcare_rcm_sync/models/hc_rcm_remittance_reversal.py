from collections import Counter
from decimal import Decimal

from odoo import api, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, ConflictError

from ..tools import x12_835
from ..tools.texts import short_list

ZERO = Decimal(0)
#: Claim lines that hold the (payer, claim id, status) key: posted or denied, not reversed.
ACTIVE_CLAIM_STATES = ("posted", "denied")
REVERSAL = x12_835.CLAIM_STATUS_REVERSAL


# hc.rcm.remittance is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcRcmRemittance(models.Model):
    """Claim idempotency and reversals: which earlier claim a reversal (status 22) undoes,
    and which claims may not be posted again."""

    _inherit = "hc.rcm.remittance"

    @api.model
    def _hc_rcm_match_reversals(self, company, payer, rem):
        """For each claim of ``rem``, the earlier claim line a reversal (status 22) undoes
        (empty for other claims). An unknown original or amounts that do not mirror it
        reject the whole remittance."""
        ClaimLine = self.env["hc.rcm.claim.line"].sudo()
        result, unknown, mismatched, used = [], [], [], ClaimLine.browse()
        for claim in rem.claims:
            if claim.status != REVERSAL:
                result.append(ClaimLine.browse())
                continue
            original = self._hc_rcm_find_original(company, payer, claim, used)
            if not original:
                unknown.append(claim.claim_id)
            elif not _mirrors(original, claim):
                mismatched.append(claim.claim_id)
            used |= original
            result.append(original)
        self._hc_rcm_check_reversals(rem, payer, unknown, mismatched)
        return result

    @api.model
    def _hc_rcm_find_original(self, company, payer, claim, used):
        """The live claim line of ``payer`` a reversal ``claim`` undoes: the one its
        REF*F8 names, else the one with its payer claim number, else the only candidate."""
        ClaimLine = self.env["hc.rcm.claim.line"].sudo()
        candidates = (
            ClaimLine.search(
                [
                    ("company_id", "=", company.id),
                    ("payer_id", "=", payer.id),
                    ("claim_id", "=", claim.claim_id),
                    ("state", "in", ACTIVE_CLAIM_STATES),
                ],
                order="id desc",
            )
            - used
        )
        for reference in (claim.original_reference, claim.payer_claim_control_number):
            if reference:
                match = candidates.filtered(
                    lambda line, reference=reference: line.payer_claim_control_number == reference
                )[:1]
                if match:
                    return match
        return candidates if len(candidates) == 1 else ClaimLine.browse()

    @api.model
    def _hc_rcm_check_reversals(self, rem, payer, unknown, mismatched):
        """Reject the remittance when a reversal has no original or does not mirror it."""
        if unknown:
            raise BusinessError(
                self.env._(
                    "Remittance %(trace)s from %(payer)s reverses claims that no earlier "
                    "remittance of this payer posted; nothing was posted.\n"
                    "Claims: %(claims)s.\n"
                    "If the original remittance is still to come, retry this message once it "
                    "is posted; otherwise ask the payer which payment is reversed.",
                    trace=rem.trace.number,
                    payer=payer.display_name,
                    claims=short_list(unknown),
                ),
                category="dependency",
            )
        if mismatched:
            raise BusinessError(
                self.env._(
                    "Remittance %(trace)s from %(payer)s reverses claims with amounts that do "
                    "not mirror their earlier posting; nothing was posted.\n"
                    "Claims: %(claims)s.\n"
                    "Ask the payer for a corrected remittance.",
                    trace=rem.trace.number,
                    payer=payer.display_name,
                    claims=short_list(mismatched),
                ),
                category="conflict",
            )

    @api.model
    def _hc_rcm_check_claim_keys(self, company, payer, rem, originals):
        """Idempotency by claim: a (payer, claim id, status) already posted and not reversed
        in this remittance may not be posted again (a payer re-paying a claim must reverse
        it first)."""
        keys = [(c.claim_id, c.status) for c in rem.claims if c.status != REVERSAL]
        repeated = sorted({claim_id for (claim_id, _s), n in Counter(keys).items() if n > 1})
        reversed_now = set().union(*(original.ids for original in originals))
        existing = (
            self.env["hc.rcm.claim.line"]
            .sudo()
            .search_read(
                [
                    ("company_id", "=", company.id),
                    ("payer_id", "=", payer.id),
                    ("claim_id", "in", list({claim_id for claim_id, _s in keys})),
                    ("state", "in", ACTIVE_CLAIM_STATES),
                ],
                ["claim_id", "status", "remittance_id"],
            )
        )
        wanted = set(keys)
        posted = sorted(
            {
                row["claim_id"]
                for row in existing
                if (row["claim_id"], row["status"]) in wanted and row["id"] not in reversed_now
            }
        )
        if repeated or posted:
            raise ConflictError(
                self.env._(
                    "Remittance %(trace)s from %(payer)s pays claims with a status that is "
                    "already posted; nothing was posted.\n"
                    "Claims: %(claims)s.\n"
                    "A payer that pays a claim again must reverse the earlier payment first "
                    "(claim status 22). Check the claim's history with the payer.",
                    trace=rem.trace.number,
                    payer=payer.display_name,
                    claims=short_list(repeated + posted),
                )
            )


def _mirrors(original, claim):
    """Whether the reversal ``claim`` carries the exact opposite amounts of ``original``."""
    return Decimal(str(original.charged)) == -(claim.charged or ZERO) and Decimal(
        str(original.paid)
    ) == -(claim.paid or ZERO)
