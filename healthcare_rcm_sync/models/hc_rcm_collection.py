from decimal import Decimal

from odoo import fields, models

from ..tools.journal_entry import EntryBuilder


class HcRcmCollection(models.Model):
    """A patient balance placed with a collection agency (``collections.placed``), or cash
    the agency recovered on it (``collections.recovered``, ``placement_ref_id`` set).

    Placed, per the company policy: patient receivable → collections receivable (partner =
    the agency), or → bad debt. Recovered: a payment from the agency that clears the
    collections receivable (reconciled with the placement), or credits bad debt (a
    recovery, never a negative write-off)."""

    _name = "hc.rcm.collection"
    _description = "Collections placement or recovery"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _rec_name = "external_id"

    kind = fields.Selection(
        [("placed", "Placed with agency"), ("recovered", "Recovered by agency")],
        required=True,
        readonly=True,
        index=True,
    )
    external_id = fields.Char(
        string="Placement / recovery ID", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    backend_id = fields.Many2one("hc.integration.backend", readonly=True, ondelete="restrict")
    message_id = fields.Many2one(
        "hc.integration.message", string="Integration message", readonly=True, ondelete="restrict"
    )
    agency_id = fields.Many2one("res.partner", readonly=True)
    placement_ref_id = fields.Many2one(
        "hc.rcm.collection", string="Placement", readonly=True, ondelete="restrict"
    )
    recovery_ids = fields.One2many("hc.rcm.collection", "placement_ref_id", string="Recoveries")
    policy = fields.Selection(
        [("receivable", "Collections receivable"), ("bad_debt", "Bad debt")],
        readonly=True,
        help="The company policy when the balance was placed; its recoveries follow it.",
    )
    amount = fields.Monetary(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    date = fields.Date(readonly=True, index=True)
    account_reference = fields.Char(readonly=True)
    move_id = fields.Many2one("account.move", string="Journal entry", readonly=True, copy=False)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)
    content_hash = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "collection_backend_unique",
            "unique(backend_id, kind, external_id)",
            "This placement or recovery was already received from this billing system.",
        ),
    ]

    def _hc_rcm_target_account(self):
        """Collections receivable or bad debt, per the placement's policy."""
        self.ensure_one()
        placement = self.placement_ref_id or self
        key = "collections_receivable" if placement.policy == "receivable" else "writeoff_bad_debt"
        return self.company_id._hc_rcm_settings((key,))[key]

    def _hc_rcm_post_placement(self, settings):
        """Patient receivable → collections receivable (agency) or bad debt."""
        self.ensure_one()
        amount = Decimal(str(self.amount))
        date = self.company_id._hc_rcm_posting_date(self.date, settings["journal"])
        builder = EntryBuilder(self.company_id, self.currency_id, date)
        label = self.env._(
            "Placed with %(agency)s: %(id)s", agency=self.agency_id.name, id=self.external_id
        )
        builder.add(self._hc_rcm_target_account().id, amount, label, self.agency_id.id)
        builder.add(settings["patient_receivable"].id, -amount, label)
        self.move_id = builder.post(self.env, settings["journal"], label)
        return self.move_id

    def _hc_rcm_post_recovery(self, settings, trace):
        """The agency's payment, against the collections receivable (reconciled with the
        placement) or bad debt."""
        self.ensure_one()
        date = self.company_id._hc_rcm_posting_date(self.date, settings["payment_journal"])
        account = self._hc_rcm_target_account()
        reference = trace or self.external_id
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.agency_id.id,
                "amount": self.amount,
                "currency_id": self.currency_id.id,
                "date": date,
                "journal_id": settings["payment_journal"].id,
                "memo": reference,
                "payment_reference": reference,
                "destination_account_id": account.id,
            }
        )
        payment.action_post()
        self.payment_id = payment
        if account.reconcile:
            self.env["hc.rcm.remittance"]._hc_rcm_reconcile_open_items(
                self.company_id, self.agency_id, account
            )
        self.env["account.bank.statement.line"]._hc_rcm_reassociate_payment(payment)
        return payment
