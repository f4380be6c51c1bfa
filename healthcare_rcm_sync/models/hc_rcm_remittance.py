from odoo import api, fields, models

from ..tools import x12_835


class HcRcmRemittance(models.Model):
    """One payer remittance: an X12 835 transaction (ST/SE) or its JSON equivalent, as
    posted to accounting. Patient names and member ids never reach this model (the parser
    drops them); claims are identified by the provider's claim id (CLP01)."""

    _name = "hc.rcm.remittance"
    _description = "Payer remittance"
    _inherit = ["mail.thread"]
    _order = "payment_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    backend_id = fields.Many2one("hc.integration.backend", readonly=True, ondelete="restrict")
    message_id = fields.Many2one(
        "hc.integration.message",
        string="Integration message",
        readonly=True,
        ondelete="restrict",
        index="btree_not_null",
    )
    payer_id = fields.Many2one("res.partner", required=True, readonly=True, index=True)
    payer_code = fields.Char(
        readonly=True, help="Payer identifier in the 835 (N1*PR N104, else TRN03)."
    )
    payer_name = fields.Char(string="Payer name in file", readonly=True)
    payee_name = fields.Char(readonly=True)
    payee_identifier = fields.Char(string="Payee id", readonly=True, help="N1*PE N104 (NPI…).")
    trace_number = fields.Char(
        required=True,
        readonly=True,
        index=True,
        help="EFT trace or cheque number (TRN02): the payment's memo, for bank reconciliation.",
    )
    trace_originator = fields.Char(readonly=True, help="TRN03: payer identifier.")
    handling_code = fields.Selection(
        list(x12_835.HANDLING_CODES.items()), readonly=True, help="BPR01"
    )
    payment_method = fields.Selection(
        list(x12_835.PAYMENT_METHODS.items()), readonly=True, help="BPR04"
    )
    payment_date = fields.Date(readonly=True, index=True, help="BPR16")
    production_date = fields.Date(readonly=True, help="DTM*405")
    posting_date = fields.Date(
        readonly=True,
        help="Date of the payment and of every entry of the remittance: the payment date, or "
        "the first open date when that period is locked (company policy).",
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        string="Payment amount", readonly=True, help="BPR02, negative for a debit."
    )
    claims_charged = fields.Monetary(readonly=True)
    claims_paid = fields.Monetary(readonly=True)
    plb_total = fields.Monetary(string="Provider adjustments total", readonly=True)
    forward_balance_amount = fields.Monetary(
        string="Forward balance",
        readonly=True,
        help="Sum of the forward-balance (PLB FB) adjustments of this remittance: negative "
        "when the payer defers a recovery to a later payment, positive when it recovers one.",
    )
    claim_count = fields.Integer(readonly=True)
    denied_count = fields.Integer(readonly=True)
    reversal_count = fields.Integer(readonly=True)
    interchange_control_number = fields.Char(readonly=True)
    group_control_number = fields.Char(readonly=True)
    transaction_control_number = fields.Char(readonly=True)
    content_hash = fields.Char(readonly=True)
    state = fields.Selection(
        [("posted", "Posted"), ("denials", "Open denials")],
        compute="_compute_state",
        store=True,
        index=True,
    )
    open_denial_count = fields.Integer(compute="_compute_state", store=True)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)
    move_id = fields.Many2one("account.move", string="Adjustment entry", readonly=True, copy=False)
    move_ids = fields.One2many("account.move", "hc_rcm_remittance_id", string="Journal entries")
    move_count = fields.Integer(compute="_compute_move_count")
    claim_line_ids = fields.One2many("hc.rcm.claim.line", "remittance_id", string="Claims")
    adjustment_ids = fields.One2many("hc.rcm.adjustment", "remittance_id", string="Adjustments")
    provider_adjustment_ids = fields.One2many(
        "hc.rcm.adjustment",
        "remittance_id",
        string="Provider adjustments",
        domain=[("level", "=", "provider")],
    )
    payer_forward_balance = fields.Monetary(
        string="Open forward balance with payer",
        compute="_compute_payer_forward_balance",
        help="What this payer still has to recover from later payments (deferred minus "
        "recovered forward balances of all its remittances).",
    )

    _sql_constraints = [
        (
            "trace_payer_unique",
            "unique(company_id, payer_id, trace_number)",
            "A remittance with this trace number from this payer is already posted.",
        ),
    ]

    @api.depends("payer_code", "trace_number")
    def _compute_name(self):
        for remittance in self:
            remittance.name = f"{remittance.payer_code or ''}/{remittance.trace_number or ''}"

    @api.depends("claim_line_ids.denial_state")
    def _compute_state(self):
        counts = dict(
            self.env["hc.rcm.claim.line"]
            .sudo()
            ._read_group(
                [("remittance_id", "in", self.ids), ("denial_state", "=", "open")],
                ["remittance_id"],
                ["__count"],
            )
        )
        for remittance in self:
            count = counts.get(remittance, 0)
            remittance.open_denial_count = count
            remittance.state = "denials" if count else "posted"

    def _compute_move_count(self):
        for remittance in self:
            remittance.move_count = len(remittance.move_ids)

    def _compute_payer_forward_balance(self):
        Adjustment = self.env["hc.rcm.adjustment"].sudo()
        totals = dict(
            Adjustment._read_group(
                [
                    ("level", "=", "provider"),
                    ("reason_code", "=", "FB"),
                    ("payer_id", "in", self.payer_id.ids),
                    ("company_id", "in", self.company_id.ids),
                ],
                ["payer_id"],
                ["amount:sum"],
            )
        )
        for remittance in self:
            remittance.payer_forward_balance = -totals.get(remittance.payer_id, 0.0)

    def _hc_rcm_records(self):
        """The records a remittance's message links to."""
        self.ensure_one()
        return [
            records
            for records in (self, self.payment_id, self.payment_id.move_id, self.move_ids)
            if records
        ]

    # ------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------
    def action_view_payment(self):
        self.ensure_one()
        return self.payment_id._get_records_action() if self.payment_id else False

    def action_view_moves(self):
        self.ensure_one()
        return self.move_ids._get_records_action(name=self.env._("Journal entries"))

    def action_view_message(self):
        self.ensure_one()
        return self.message_id._get_records_action() if self.message_id else False
