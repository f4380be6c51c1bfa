from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models

from ..tools.journal_entry import EntryBuilder

ZERO = Decimal(0)


class HcRcmBillingBatch(models.Model):
    """A day's billing summary for one facility (``billing.summary`` event) and the
    balanced journal entry it became: gross charges credited to the revenue account of each
    service line (facility analytic distribution) and debited to each payer's receivable
    (self-pay: patient receivable); contractual estimates only under the *estimated at
    billing* policy.

    A later event with the same ``batch_id`` creates the next version: the earlier entry is
    reversed and the new one posted, so the books always show the latest figures."""

    _name = "hc.rcm.billing.batch"
    _description = "Billing summary batch"
    _inherit = ["mail.thread"]
    _order = "service_date desc, batch_id, version desc"

    name = fields.Char(compute="_compute_name", store=True)
    batch_id = fields.Char(string="Batch ID", required=True, readonly=True, index=True)
    version = fields.Integer(readonly=True, default=1)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    backend_id = fields.Many2one("hc.integration.backend", readonly=True, ondelete="restrict")
    message_id = fields.Many2one(
        "hc.integration.message", string="Integration message", readonly=True, ondelete="restrict"
    )
    facility_code = fields.Char(readonly=True, index=True)
    analytic_account_id = fields.Many2one(
        "account.analytic.account", string="Facility", readonly=True
    )
    service_date = fields.Date(readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    control_total = fields.Monetary(readonly=True)
    gross_total = fields.Monetary(string="Gross charges", readonly=True)
    contractual_total = fields.Monetary(string="Contractual adjustments", readonly=True)
    net_total = fields.Monetary(string="Net charges", readonly=True)
    line_ids = fields.One2many("hc.rcm.billing.batch.line", "batch_id", string="Service lines")
    move_id = fields.Many2one("account.move", string="Journal entry", readonly=True, copy=False)
    reversal_move_id = fields.Many2one(
        "account.move", string="Reversal entry", readonly=True, copy=False
    )
    state = fields.Selection(
        [("posted", "Posted"), ("replaced", "Replaced")],
        required=True,
        default="posted",
        readonly=True,
        index=True,
    )
    replaced_by_id = fields.Many2one("hc.rcm.billing.batch", readonly=True, ondelete="set null")
    replaces_id = fields.Many2one("hc.rcm.billing.batch", readonly=True, ondelete="set null")
    occurred_at = fields.Datetime(readonly=True)
    content_hash = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "batch_version_unique",
            "unique(backend_id, batch_id, version)",
            "This version of the billing batch already exists.",
        ),
    ]

    @api.depends("batch_id", "version")
    def _compute_name(self):
        for batch in self:
            suffix = f" v{batch.version}" if batch.version and batch.version > 1 else ""
            batch.name = f"{batch.batch_id or ''}{suffix}"

    def _hc_rcm_post(self, settings, lines):
        """Post the batch's journal entry. ``lines`` are ``(code, account, gross,
        contractual, payer)`` with Decimal amounts.

        Gross charges: credit revenue per service line (facility analytic), debit the
        payer's insurance receivable (partner = payer) or, for self-pay lines, the patient
        receivable. Under the *estimated at billing* policy the contractual estimates of
        payer lines go to the allowance against the payer's allowance reserve."""
        self.ensure_one()
        distribution = (
            {str(self.analytic_account_id.id): 100.0} if self.analytic_account_id else False
        )
        estimated = self.company_id.hc_rcm_allowance_policy == "estimated"
        date = self.company_id._hc_rcm_posting_date(self.service_date, settings["journal"])
        builder = EntryBuilder(self.company_id, self.currency_id, date)
        receivables, reserves = defaultdict(Decimal), defaultdict(Decimal)
        for code, account, gross, contractual, payer in lines:
            builder.add(
                account.id,
                -gross,
                self.env._("%(batch)s %(line)s gross charges", batch=self.batch_id, line=code),
                analytic_distribution=distribution,
            )
            receivables[payer] += gross
            if estimated and payer and contractual:
                builder.add(
                    settings["allowance"].id,
                    contractual,
                    self.env._(
                        "%(batch)s %(line)s estimated contractual", batch=self.batch_id, line=code
                    ),
                    payer.id,
                    analytic_distribution=distribution,
                )
                reserves[payer] += contractual
        for payer, amount in receivables.items():
            account = settings["insurance_receivable"] if payer else settings["patient_receivable"]
            label = self.env._("%s gross charges", self.batch_id)
            builder.add(account.id, amount, label, payer.id)
        for payer, amount in reserves.items():
            label = self.env._("%s estimated contractual", self.batch_id)
            builder.add(settings["allowance_reserve"].id, -amount, label, payer.id)
        move = builder.post(
            self.env,
            settings["journal"],
            self.env._("Billing batch %s", self.name),
            hc_rcm_billing_batch_id=self.id,
        )
        self.move_id = move
        return move

    def _hc_rcm_reconcile_payers(self, settings):
        """Match the batch's payer receivables with the payers' open credits (835s or cash
        that arrived first), then release estimates of claims now fully remitted."""
        self.ensure_one()
        payers = self.line_ids.payer_id
        Remittance = self.env["hc.rcm.remittance"]
        for payer in payers:
            Remittance._hc_rcm_reconcile_open_items(
                self.company_id, payer, settings["insurance_receivable"]
            )
        if payers:
            Remittance._hc_rcm_release_reserves(self.company_id, payers, settings)

    def _hc_rcm_replace_by(self, new_batch):
        """Reverse this version's entry (on its own date) and point to its successor."""
        self.ensure_one()
        reversal = self.env["account.move"]
        if self.move_id and self.move_id.state == "posted":
            reversal = self.move_id._reverse_moves(
                [
                    {
                        "date": self.move_id.date,
                        "ref": self.env._("Reversal of billing batch %s (replaced)", self.name),
                        "hc_rcm_billing_batch_id": self.id,
                    }
                ],
                cancel=True,
            )
        self.write(
            {"state": "replaced", "replaced_by_id": new_batch.id, "reversal_move_id": reversal.id}
        )
        new_batch.replaces_id = self
        return reversal

    def action_view_move(self):
        self.ensure_one()
        return (self.move_id | self.reversal_move_id)._get_records_action(
            name=self.env._("Journal entries")
        )
