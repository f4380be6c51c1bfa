from decimal import Decimal

from odoo import api, fields, models

from ..tools.journal_entry import EntryBuilder

CATEGORIES = [
    ("bad_debt", "Bad debt"),
    ("charity", "Charity care"),
    ("small_balance", "Small balance"),
    ("administrative", "Administrative"),
]


class HcRcmWriteoff(models.Model):
    """A write-off decided in the billing system (``writeoff`` event): the account of its
    category is debited against patient receivable. Idempotent by ``writeoff_id``."""

    _name = "hc.rcm.writeoff"
    _description = "Write-off"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _rec_name = "writeoff_id"

    writeoff_id = fields.Char(string="Write-off ID", required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    backend_id = fields.Many2one("hc.integration.backend", readonly=True, ondelete="restrict")
    message_id = fields.Many2one(
        "hc.integration.message", string="Integration message", readonly=True, ondelete="restrict"
    )
    category = fields.Selection(CATEGORIES, required=True, readonly=True, index=True)
    amount = fields.Monetary(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    date = fields.Date(readonly=True, index=True)
    account_reference = fields.Char(
        readonly=True, help="The billing system's account the write-off belongs to."
    )
    account_id = fields.Many2one("account.account", string="Write-off account", readonly=True)
    move_id = fields.Many2one("account.move", string="Journal entry", readonly=True, copy=False)
    content_hash = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "writeoff_backend_unique",
            "unique(backend_id, writeoff_id)",
            "This write-off was already received from this billing system.",
        ),
    ]

    def _hc_rcm_post(self, settings):
        """Debit the category's account, credit patient receivable."""
        self.ensure_one()
        amount = Decimal(str(self.amount))
        builder = EntryBuilder(self.company_id, self.currency_id, self.date)
        label = self.env._(
            "Write-off %(id)s (%(category)s)",
            id=self.writeoff_id,
            category=dict(CATEGORIES)[self.category],
        )
        builder.add(self.account_id.id, amount, label)
        builder.add(settings["patient_receivable"].id, -amount, label)
        move = builder.post(self.env, settings["journal"], label, hc_rcm_writeoff_id=self.id)
        self.move_id = move
        return move

    @api.model
    def _hc_rcm_categories(self):
        return [code for code, _label in CATEGORIES]

    def action_view_move(self):
        self.ensure_one()
        return self.move_id._get_records_action() if self.move_id else False
