from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import x12_835
from ..tools.journal_entry import EntryBuilder

RESOLVER_GROUP = "healthcare_rcm_sync.group_rcm_resolver"
MANAGER_GROUP = "healthcare_integration_base.group_integration_manager"


class HcRcmClaimLine(models.Model):
    """A claim paid, adjusted, denied or reversed by a remittance (CLP loop).

    The claim id is the provider's own claim number (CLP01); patient names and member ids
    are never stored. The ``(payer, claim id, status)`` of posted and denied claims is
    unique: a payer paying a claim again must reverse it first (status 22).
    """

    _name = "hc.rcm.claim.line"
    _description = "Remittance claim"
    _order = "remittance_id desc, sequence, id"
    _rec_name = "claim_id"

    remittance_id = fields.Many2one(
        "hc.rcm.remittance", required=True, readonly=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(readonly=True)
    # Copies of the (immutable) remittance header, written at creation: stored related
    # fields would be computed record by record, which dominates the creation of the tens
    # of thousands of claims and adjustments of a large remittance.
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    payer_id = fields.Many2one("res.partner", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    payment_date = fields.Date(readonly=True)
    claim_id = fields.Char(
        string="Claim ID", required=True, readonly=True, index=True, help="CLP01"
    )
    status = fields.Selection(
        list(x12_835.CLAIM_STATUSES.items()), string="Claim status", readonly=True, help="CLP02"
    )
    charged = fields.Monetary(string="Billed", readonly=True, help="CLP03")
    paid = fields.Monetary(readonly=True, help="CLP04")
    patient_responsibility = fields.Monetary(readonly=True, help="CLP05")
    contractual_amount = fields.Monetary(
        string="Contractual", readonly=True, help="Contractual (CO) and payer-initiated (PI)."
    )
    patient_amount = fields.Monetary(
        string="Patient share", readonly=True, help="Patient responsibility adjustments (PR)."
    )
    other_adjustment_amount = fields.Monetary(
        string="Other adjustments", readonly=True, help="Other adjustments (OA)."
    )
    payer_claim_control_number = fields.Char(
        string="Payer claim number", readonly=True, index="btree_not_null", help="CLP07"
    )
    original_reference = fields.Char(
        string="Original claim number", readonly=True, help="REF*F8 of a reversal."
    )
    filing_indicator = fields.Char(readonly=True, help="CLP06")
    facility_code = fields.Char(string="Facility type", readonly=True, help="CLP08")
    frequency = fields.Char(readonly=True, help="CLP09")
    remarks = fields.Char(string="Remark codes", readonly=True)
    service_count = fields.Integer(string="Service lines", readonly=True)
    state = fields.Selection(
        [
            ("posted", "Posted"),
            ("denied", "Denied"),
            ("reversal", "Reversal"),
            ("reversed", "Reversed"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    denial_state = fields.Selection(
        [
            ("open", "To work"),
            ("written_off", "Written off"),
            ("appealed", "Appealed"),
            ("reversed", "Reversed by payer"),
            ("paid", "Paid later"),
        ],
        readonly=True,
        index="btree_not_null",
    )
    denied = fields.Integer(
        string="Denied claims", compute="_compute_denial_figures", store=True, aggregator="sum"
    )
    denial_rate = fields.Float(
        string="Denial rate (%)",
        compute="_compute_denial_figures",
        store=True,
        aggregator="avg",
        help="100 for a denied claim, 0 otherwise: its average is the denial rate.",
    )
    reverses_id = fields.Many2one("hc.rcm.claim.line", readonly=True, ondelete="set null")
    reversed_by_id = fields.Many2one(
        "hc.rcm.claim.line", string="Reversed by", readonly=True, ondelete="set null"
    )
    adjustment_ids = fields.One2many("hc.rcm.adjustment", "claim_line_id", string="Adjustments")
    move_line_ids = fields.One2many(
        "account.move.line", "hc_rcm_claim_line_id", string="Journal items"
    )

    def init(self):
        # idempotency by claim: one live (payer, claim id, status) per company
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS hc_rcm_claim_line_live_key_uniq
                ON hc_rcm_claim_line (company_id, payer_id, claim_id, status)
             WHERE state IN ('posted', 'denied')
            """
        )

    @api.depends("status")
    def _compute_denial_figures(self):
        for line in self:
            denied = line.status == x12_835.CLAIM_STATUS_DENIED
            line.denied = int(denied)
            line.denial_rate = 100.0 if denied else 0.0

    @api.depends("claim_id", "status")
    def _compute_display_name(self):
        statuses = dict(x12_835.CLAIM_STATUSES)
        for line in self:
            line.display_name = f"{line.claim_id} ({statuses.get(line.status, line.status)})"

    # ------------------------------------------------------------------------------------
    # Working denials
    # ------------------------------------------------------------------------------------
    def _hc_rcm_check_denial_access(self):
        self.check_access("read")
        user = self.env.user
        if not (user.has_group(RESOLVER_GROUP) or user.has_group(MANAGER_GROUP)):
            raise UserError(self.env._("Only the revenue-cycle team can work denials."))
        if self.filtered(lambda line: line.denial_state != "open"):
            raise UserError(self.env._("Only denials still to work can be resolved."))

    def action_hc_rcm_write_off_denial(self):
        """Write the denied claims off: their adjustments go to the denial account
        (patient responsibility to patient receivable) against the payer's receivable."""
        self._hc_rcm_check_denial_access()
        for line in self:
            line._hc_rcm_post_denial_write_off()
        self.sudo().write({"denial_state": "written_off"})
        self._hc_rcm_after_denial_worked(self.env._("written off"))
        return True

    def action_hc_rcm_mark_appealed(self):
        """The claims are appealed or resubmitted: nothing is posted, the balance stays in
        the insurance receivable until the payer's next remittance for them."""
        self._hc_rcm_check_denial_access()
        self.sudo().write({"denial_state": "appealed"})
        self._hc_rcm_after_denial_worked(self.env._("marked appealed"))
        return True

    def _hc_rcm_after_denial_worked(self, what):
        for line in self:
            self.env["hc.integration.audit"]._log(
                "rcm.denial",
                f"a denied claim of remittance {line.remittance_id.name} {what}",
                message=line.remittance_id.message_id,
                record=line,
                backend=line.remittance_id.backend_id,
            )
        remittances = self.remittance_id.sudo()
        remittances.invalidate_recordset(["open_denial_count", "state"])
        remittances._hc_rcm_close_denial_exception(
            self.env._("Every denial of the remittance was worked (last: %s).", what)
        )

    def _hc_rcm_post_denial_write_off(self):
        self.ensure_one()
        remittance = self.remittance_id.sudo()
        company = remittance.company_id
        settings = company._hc_rcm_settings(
            ("journal", "insurance_receivable", "patient_receivable", "denial")
        )
        overrides = self.env["hc.integration.mapping"]._hc_rcm_adjustment_accounts(
            remittance.backend_id
        )
        buckets = defaultdict(Decimal)
        for adjustment in self.sudo().adjustment_ids:
            code = f"{adjustment.group_code}-{adjustment.reason_code}"
            default = (
                settings["patient_receivable"]
                if adjustment.group_code == "PR"
                else settings["denial"]
            )
            # the adjustment_reason mappings ("CO-50", "OA") win, as at remittance
            account_id = overrides.get(
                code.upper(), overrides.get((adjustment.group_code or "").upper(), default.id)
            )
            buckets[(account_id, code)] += Decimal(str(adjustment.amount))
        builder = EntryBuilder(company, remittance.currency_id, fields.Date.context_today(self))
        payer, total = remittance.payer_id.id, Decimal(0)
        for (account_id, code), amount in buckets.items():
            if not amount:
                continue
            partner = False if account_id == settings["patient_receivable"].id else payer
            label = self.env._("%(claim)s denial %(code)s", claim=self.claim_id, code=code)
            builder.add(account_id, amount, label, partner, hc_rcm_claim_line_id=self.id)
            total += amount
        builder.add(
            settings["insurance_receivable"].id,
            -total,
            self.env._("%s denial written off", self.claim_id),
            payer,
            hc_rcm_claim_line_id=self.id,
        )
        move = builder.post(
            self.env,
            settings["journal"],
            self.env._("Denial write-off %s", self.claim_id),
            hc_rcm_remittance_id=remittance.id,
        )
        self.env["hc.rcm.remittance"]._hc_rcm_reconcile_open_items(
            company, remittance.payer_id, settings["insurance_receivable"]
        )
        return move
