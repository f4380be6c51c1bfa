from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, ConflictError


class HcHrPayrollJournal(models.Model):
    """One pay run of the payroll system in the ledger (``payroll.journal`` event): its
    control totals and the balanced entry posted for it. Amounts are per payroll code and
    cost centre only (the entry's lines); nothing per employee is ever stored.

    A corrected run (same pay period id, other figures) never edits the posted entry: it
    is reversed on its own date and a new entry is posted, so that the ledger shows the
    history and its net effect is the corrected figures."""

    _name = "hc.hr.payroll.journal"
    _description = "Payroll journal"
    _inherit = ["mail.thread"]
    _order = "period_end desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    backend_id = fields.Many2one(
        "hc.integration.backend", required=True, readonly=True, ondelete="restrict", index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    pay_period_id = fields.Char(string="Pay period", required=True, readonly=True, index=True)
    period_start = fields.Date(readonly=True)
    period_end = fields.Date(readonly=True, index=True)
    date = fields.Date(string="Accounting date", readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    earnings_total = fields.Monetary(string="Earnings", readonly=True)
    deductions_total = fields.Monetary(string="Deductions", readonly=True)
    employer_total = fields.Monetary(string="Employer contributions", readonly=True)
    net_pay_total = fields.Monetary(string="Net pay", readonly=True)
    revision = fields.Integer(
        readonly=True, default=1, help="1 for the first posting, +1 for each correction."
    )
    move_id = fields.Many2one(
        "account.move", string="Journal entry", readonly=True, copy=False, ondelete="restrict"
    )
    move_ids = fields.One2many(
        "account.move",
        "hc_hr_payroll_journal_id",
        string="Entries",
        readonly=True,
        help="Every entry of this pay run: postings and the reversals of corrected ones.",
    )
    move_count = fields.Integer(compute="_compute_move_count")
    message_id = fields.Many2one(
        "hc.integration.message",
        string="Last integration message",
        readonly=True,
        ondelete="restrict",
    )
    occurred_at = fields.Datetime(string="Run finalised at", readonly=True)
    content_hash = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        (
            "backend_period_unique",
            "unique(backend_id, pay_period_id)",
            "This pay period of this payroll system already has a payroll journal.",
        ),
    ]

    @api.depends("pay_period_id")
    def _compute_name(self):
        for journal in self:
            journal.name = self.env._("Payroll %s", journal.pay_period_id or "")

    @api.depends("move_ids")
    def _compute_move_count(self):
        for journal in self:
            journal.move_count = len(journal.move_ids)

    # ------------------------------------------------------------------------------------
    # Posting (called by the payroll journal handler, inside the message's savepoint)
    # ------------------------------------------------------------------------------------
    def _hc_post(self, journal, line_values):
        """Post the entry of this run in ``journal`` with ``line_values`` (journal item
        values, balanced) and make it the current one."""
        self.ensure_one()
        move = (
            self.env["account.move"]
            .with_company(journal.company_id)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": journal.id,
                    "date": self.date,
                    "ref": self.name,
                    "hc_hr_payroll_journal_id": self.id,
                    "line_ids": [fields.Command.create(values) for values in line_values],
                }
            )
        )
        self._hc_accounting_step(move.action_post)
        self.move_id = move
        return move

    def _hc_reverse_current(self):
        """Reverse the current entry on its own date. Reconciles the two only when the
        entry was not matched yet (e.g. with a salary payment): an accountant's matching is
        never undone. Returns the reversal (empty when there was nothing to reverse)."""
        self.ensure_one()
        move = self.move_id
        if not move or move.state == "cancel" or move.reversal_move_ids:
            return self.env["account.move"]  # cancelled or already reversed in Odoo
        if move.state != "posted":
            raise ConflictError(
                self.env._(
                    "The entry of %(run)s was reset to draft in Odoo, so the corrected figures "
                    "cannot replace it. Post or cancel it, then retry this message.",
                    run=self.name,
                ),
                record=move,
            )
        matched = move.line_ids.filtered(
            lambda line: line.matched_debit_ids or line.matched_credit_ids
        )
        reversal = self._hc_accounting_step(
            move._reverse_moves,
            [
                {
                    "date": move.date,
                    "ref": self.env._("Reversal of %s (corrected by payroll)", self.name),
                    "hc_hr_payroll_journal_id": self.id,
                }
            ],
            cancel=not matched,
        )
        if matched:
            self._hc_accounting_step(reversal.action_post)
            self.message_post(
                body=self.env._(
                    "The corrected entry was already matched (e.g. with a salary payment): the "
                    "reversal is not matched automatically; reconcile the difference."
                ),
                subtype_xmlid="mail.mt_note",
            )
        return reversal

    def _hc_accounting_step(self, method, *args, **kwargs):
        """Run an accounting method; Odoo's refusals (lock dates, closed journals…) become
        a business error that a finance user can act on."""
        try:
            return method(*args, **kwargs)
        except UserError as error:
            raise BusinessError(
                self.env._(
                    "%(run)s could not be posted: %(reason)s",
                    run=self.name,
                    reason=error.args[0] if error.args else "",
                )
            ) from None

    def action_view_moves(self):
        self.ensure_one()
        return self.move_ids._get_records_action(name=self.env._("Payroll entries"))
